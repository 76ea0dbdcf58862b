"""Real Whoosh indexes in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index import SearchIndex


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture
def index(index_path: Path) -> Iterator[SearchIndex]:
    idx = SearchIndex(index_path, lock_timeout=5.0)
    yield idx
    idx.close()
