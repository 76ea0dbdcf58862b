"""Counting the searchers a Whoosh index opens, for the tests of the searcher pool."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from index.whoosh import SearcherPool


class SearcherCount:
    """Wraps the pool's searcher factory: how many were opened, and most alive at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened = self.alive = self.most_alive = 0
        self._lock = threading.Lock()
        original = SearcherPool.open_searcher

        def counted(ix: Any) -> Any:
            searcher = original(ix)
            close = searcher.close

            def close_counted() -> None:
                with self._lock:
                    self.alive -= 1
                close()

            searcher.close = close_counted
            with self._lock:
                self.opened += 1
                self.alive += 1
                self.most_alive = max(self.most_alive, self.alive)
            return searcher

        monkeypatch.setattr(SearcherPool, "open_searcher", staticmethod(counted))
