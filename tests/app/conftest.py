"""App fixtures: the fixture archive, a TestClient over it, and the app under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import TOKEN, Archive, LiveServer, build_archive, make_settings


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("archive"))


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    app = create_app(make_settings(archive.data_dir, api_token=TOKEN))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def fresh_archive(tmp_path: Path) -> Archive:
    """For tests that write: a private copy of the archive."""
    return build_archive(tmp_path / "data")


@pytest.fixture(scope="module")
def live_server(archive: Archive) -> Iterator[LiveServer]:
    app = create_app(make_settings(archive.data_dir))
    with LiveServer(app) as server:
        yield server
