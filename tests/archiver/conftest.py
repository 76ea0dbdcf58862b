"""Archiver fixtures: the storage tests run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver import Store, make_engine
from tests.support.databases import migrated


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a new database on the test PostgreSQL server
    (skipped, saying how to enable it, when PostgreSQL is not installed)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A Store with the schema made, on each database of `database_url` (a copy of one
    migrated once per test process: tests/support/databases.py)."""
    migrated(database_url)
    store = Store(make_engine(database_url))
    store.create_schema()
    yield store
    store.engine.dispose()
