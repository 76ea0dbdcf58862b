"""Reused Whoosh searchers that follow the index as other writers change it.

Whoosh's docs say a reader relies on file cursor positions and should not be shared between
threads, so each concurrent search borrows its own searcher from a small pool; idle ones are
reused. Whether the index changed is checked at most every ``check_interval`` seconds (or at
once after a commit in this process): a new Whoosh generation or a new CURRENT (rebuild).

Searcher.refresh() is not used: in whoosh-reloaded 2.7.5 it re-adds segments that a merge
removed (documents appear twice) and keeps readers whose deletions changed (deleted documents
still match). Opening a fresh searcher on change is cheap next to a search.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from index._store import Generation, Store
from index._types import IndexUnavailable


class SearcherPool:
    def __init__(self, store: Store, max_idle: int = 4, check_interval: float = 0.5) -> None:
        self._store = store
        self._max_idle = max_idle
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._ix: Any = None
        self._version: tuple[str, int] | None = None
        self._checked_at = 0.0
        self._stale = True
        self._idle: list[Any] = []
        self._epoch = 0
        self._epochs: dict[int, int] = {}  # id(searcher) -> epoch it was opened in
        self._closed = False

    def invalidate(self) -> None:
        """Look for a new index version on the next borrow (called after local commits)."""
        with self._lock:
            self._stale = True

    @contextlib.contextmanager
    def searcher(self) -> Iterator[Any]:
        s = self._borrow()
        try:
            yield s
        finally:
            self._give_back(s)

    def _borrow(self) -> Any:
        with self._lock:
            if self._closed:
                raise IndexUnavailable("The search index has been closed.")
            self._maybe_refresh()
            if self._idle:
                return self._idle.pop()
            ix = self._ix
            epoch = self._epoch
        s = _open_searcher(ix)  # outside the lock: opening reads files
        with self._lock:
            self._epochs[id(s)] = epoch
        return s

    def _give_back(self, s: Any) -> None:
        with self._lock:
            epoch = self._epochs.get(id(s))
            if self._closed or epoch != self._epoch or len(self._idle) >= self._max_idle:
                self._epochs.pop(id(s), None)
                s.close()
            else:
                self._idle.append(s)

    def _maybe_refresh(self) -> None:
        now = time.monotonic()
        if not self._stale and now - self._checked_at < self._check_interval:
            return
        generation = self._store.current()
        if generation != self._generation or self._ix is None:
            ix = self._store.open(generation)
        else:
            ix = self._ix
        try:
            version = (generation.name, int(ix.latest_generation()))
        except OSError as exc:
            raise IndexUnavailable(f"The search index cannot be read: {exc}") from exc
        self._checked_at = now
        self._stale = False
        if version != self._version:
            self._generation, self._ix, self._version = generation, ix, version
            self._epoch += 1
            stale, self._idle = self._idle, []
            for s in stale:
                self._epochs.pop(id(s), None)
                s.close()

    @property
    def version(self) -> tuple[str, int] | None:
        return self._version

    def close(self) -> None:
        with self._lock:
            self._closed = True
            stale, self._idle = self._idle, []
        for s in stale:
            s.close()


def _open_searcher(ix: Any) -> Any:
    try:
        return ix.searcher()
    except OSError as exc:
        raise IndexUnavailable(f"The search index cannot be read: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - damaged segment files fail in many ways
        raise IndexUnavailable(
            f"The search index cannot be read ({type(exc).__name__}). "
            "Run `linkvault reindex` to rebuild it from the database."
        ) from exc
