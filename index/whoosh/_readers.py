"""Reused Whoosh searchers that follow the index as other writers change it.

Whoosh's docs say a reader relies on file cursor positions and should not be shared between
threads, so each concurrent search borrows its own searcher from a pool. The pool holds at most
``size`` searchers and keeps them all when idle: a fresh searcher's first search costs several
times a warm one's, and searches are CPU-bound under the GIL, so more of them at once than a few
per core only add latency. A borrower waits for a free searcher up to ``wait`` seconds, then
gets SearchBusy (the service answers 503 with Retry-After).

Whether the index changed is checked at most every ``check_interval`` seconds (or at once after
a commit in this process): a new Whoosh generation or a new CURRENT (rebuild). Then every
searcher is replaced, idle ones at once, lent ones when they come back.

Searcher.refresh() is not used: in whoosh-reloaded 2.7.5 it re-adds segments that a merge
removed (documents appear twice) and keeps readers whose deletions changed (deleted documents
still match).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from index._errors import IndexUnavailable, SearchBusy
from index.whoosh._store import Generation, Store


class SearcherPool:
    def __init__(
        self, store: Store, size: int = 4, wait: float = 30.0, check_interval: float = 0.5
    ) -> None:
        if size < 1:
            raise ValueError("a searcher pool needs a size of at least 1")
        self._store = store
        self._size = size
        self._wait = wait
        self._check_interval = check_interval
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)
        self._generation: Generation | None = None
        self._ix: Any = None
        self._version: tuple[str, int] | None = None
        self._checked_at = 0.0
        self._stale = True
        self._idle: list[Any] = []
        self._open = 0  # searchers that exist, lent or idle, of any epoch
        self._epoch = 0
        self._epochs: dict[int, int] = {}  # id(searcher) -> epoch it was opened in
        self._closed = False

    @staticmethod
    def open_searcher(ix: Any) -> Any:
        """A new Whoosh searcher on ``ix``; a hook, so the tests can count what is opened."""
        return _open_searcher(ix)

    @property
    def size(self) -> int:
        return self._size

    def resize(self, size: int, wait: float | None = None) -> None:
        """At most ``size`` searchers from now on (idle ones beyond it are closed)."""
        if size < 1:
            raise ValueError("a searcher pool needs a size of at least 1")
        with self._lock:
            self._size = size
            if wait is not None:
                self._wait = wait
            while self._idle and self._open > size:
                self._discard(self._idle.pop())
            self._freed.notify_all()

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
        deadline: float | None = None
        with self._lock:
            while True:
                if self._closed:
                    raise IndexUnavailable("The search index has been closed.")
                self._maybe_refresh()
                if self._idle:
                    return self._idle.pop()
                if self._open < self._size:
                    self._open += 1  # reserved now, opened below
                    ix = self._ix
                    epoch = self._epoch
                    break
                if deadline is None:
                    deadline = time.monotonic() + self._wait
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SearchBusy(
                        f"all {self._size} searchers stayed busy for {self._wait:g} s."
                    )
                self._freed.wait(remaining)
        try:
            s = self.open_searcher(ix)  # outside the lock: opening reads files
        except BaseException:
            with self._lock:
                self._open -= 1
                self._freed.notify()
            raise
        with self._lock:
            self._epochs[id(s)] = epoch
        return s

    def _give_back(self, s: Any) -> None:
        with self._lock:
            epoch = self._epochs.get(id(s))
            if self._closed or epoch != self._epoch or self._open > self._size:
                self._discard(s)
            else:
                self._idle.append(s)
            self._freed.notify()

    def _discard(self, s: Any) -> None:
        # Under the lock: closing only closes files, and the count stays exact.
        self._epochs.pop(id(s), None)
        self._open -= 1
        s.close()

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
                self._discard(s)
            # Lent searchers of the old epoch are closed when they come back.
            self._freed.notify_all()

    @property
    def version(self) -> tuple[str, int] | None:
        return self._version

    @property
    def open_searchers(self) -> int:
        """Searchers that exist now, lent or idle."""
        return self._open

    def close(self) -> None:
        with self._lock:
            self._closed = True
            stale, self._idle = self._idle, []
            for s in stale:
                self._discard(s)
            self._freed.notify_all()


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
