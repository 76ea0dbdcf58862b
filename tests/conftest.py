"""Fixtures shared by every test package."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import HOW_TO_ENABLE, PostgresServer, find_binaries
from tests.support.site import LocalSite


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A real HTTP server on 127.0.0.1 with programmable routes (tests/support/site.py)."""
    with LocalSite() as site:
        yield site
    assert not site.errors, "a route handler raised:\n" + "\n".join(site.errors)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster for the session; skipped when PostgreSQL is missing."""
    if find_binaries() is None:
        pytest.skip(HOW_TO_ENABLE)
    # Not under pytest's tmp folder: its parents are private to this user, and the server
    # runs as the postgres user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="linkvault-pg-"))
    server = PostgresServer(folder).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a new, empty PostgreSQL database."""
    return postgres_server.database()
