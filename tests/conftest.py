"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.postgres import PostgresServer, throwaway_postgres
from tests.support.site import LocalSite


@pytest.fixture
def local_site() -> Iterator[LocalSite]:
    """A real HTTP server on 127.0.0.1 with programmable routes (tests/support/site.py)."""
    with LocalSite() as site:
        yield site
    assert not site.errors, "a route handler raised:\n" + "\n".join(site.errors)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster shared by the session's tests."""
    with throwaway_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The SQLAlchemy URL of a new, empty PostgreSQL database."""
    return postgres_server.database()
