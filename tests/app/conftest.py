"""App fixtures: the fixture archive, a TestClient over it, and the app under uvicorn.

The archive, and so every test using it, runs once per search backend: Whoosh over SQLite,
and PostgreSQL full-text search over PostgreSQL (skipped with a message when PostgreSQL is
not installed). A module can narrow that with ``SEARCH_BACKENDS = ("whoosh",)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from index import BACKENDS
from tests.app._archive import TOKEN, Archive, LiveServer, build_archive
from tests.support.browser import SHARED as SHARED_CHROMIUM

# Modules about the Whoosh index itself (its searcher pool, its files): one backend only.
WHOOSH_ONLY = {"test_search_load"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "search_backend" not in metafunc.fixturenames:
        return
    module = metafunc.module
    default = ("whoosh",) if module.__name__.rpartition(".")[2] in WHOOSH_ONLY else BACKENDS
    backends = getattr(module, "SEARCH_BACKENDS", default)
    metafunc.parametrize("search_backend", backends, indirect=True, scope="module")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """Chromium stays open from one browser test to the next (launching it costs a second or
    more) and is closed, after the test's fixtures, when the next test does not use it."""
    yield
    if nextitem is None or "browser" not in getattr(nextitem, "fixturenames", ()):
        SHARED_CHROMIUM.close()


@pytest.fixture(scope="module")
def search_backend(request: pytest.FixtureRequest) -> str:
    return str(getattr(request, "param", "whoosh"))


@pytest.fixture(scope="module")
def archive(
    search_backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Archive:
    database_url = None
    if search_backend == "postgres":
        database_url = request.getfixturevalue("postgres_server").database()
    folder = tmp_path_factory.mktemp(f"archive-{search_backend}")
    return build_archive(folder, database_url=database_url, search_backend=search_backend)


@pytest.fixture(scope="module")
def client(archive: Archive) -> Iterator[TestClient]:
    app = create_app(archive.settings(api_token=TOKEN))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def fresh_archive(tmp_path: Path) -> Archive:
    """For tests that write: a private copy of the archive."""
    return build_archive(tmp_path / "data")


@pytest.fixture(scope="module")
def live_server(archive: Archive) -> Iterator[LiveServer]:
    app = create_app(archive.settings())
    with LiveServer(app) as server:
        yield server
