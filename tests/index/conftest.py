"""Real Whoosh indexes in tmp_path, and an empty PostgreSQL backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.postgres import PostgresServer
from index import SearchIndex
from index.postgres import PostgresSearch
from tests.index._helpers import postgres_engine


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def index(index_path: Path) -> Iterator[SearchIndex]:
    idx = SearchIndex(index_path, lock_timeout=5.0)
    yield idx
    idx.close()


@pytest.fixture
def pg(postgres_server: PostgresServer) -> Iterator[PostgresSearch]:
    """An empty backend in a database of its own."""
    engine = postgres_engine(postgres_server)
    yield PostgresSearch(engine, lock_timeout=2.0)
    engine.dispose()
