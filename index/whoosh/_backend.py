"""SearchIndex: the one object the rest of linkvault uses to index and search."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from index._errors import IndexUnavailable, QueryError
from index._types import IndexRecord, SearchPage, SearchQuery
from index.whoosh import _search
from index.whoosh._check import index_versions
from index.whoosh._readers import SearcherPool
from index.whoosh._rebuild import build as build_index
from index.whoosh._store import Store
from index.whoosh._values import SegmentValues
from index.whoosh._writer import IndexWriter

log = logging.getLogger(__name__)

__all__ = ["SearchIndex", "default_max_searchers"]


def default_max_searchers() -> int:
    """Two searches per core: one can read files while the other holds the GIL; more only
    queue inside the interpreter and each costs a searcher's memory and open files."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class SearchIndex:
    """A Whoosh index in a folder of its own. Thread-safe; one per process is enough.

    ``path`` is created with an empty index if missing. A damaged index or one written by an
    incompatible version is not touched: searching or writing raises IndexUnavailable (the
    message suggests `linkvault reindex`), and rebuild() replaces it.

    At most ``max_searchers`` searches run at once (default: two per core); more wait for a
    searcher up to ``searcher_wait`` seconds, then raise SearchBusy (an IndexUnavailable).
    """

    name = "whoosh"  # the search backend (index/backend.py)

    def __init__(
        self,
        path: Path,
        *,
        search_time_limit: float = 2.0,
        lock_timeout: float = 60.0,
        refresh_interval: float = 0.5,
        max_searchers: int | None = None,
        searcher_wait: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self._store = Store(self.path)
        self._lock_timeout = lock_timeout
        self._time_limit = search_time_limit
        self._store.ensure(lock_timeout)
        self._store.cleanup(holding_lock=False)
        self._pool = SearcherPool(
            self._store,
            size=max_searchers or default_max_searchers(),
            wait=searcher_wait,
            check_interval=refresh_interval,
        )
        self._values = SegmentValues()

    # -- writing ----------------------------------------------------------------------

    def writer(self, batch_size: int = 200, commit_interval: float = 2.0) -> IndexWriter:
        """A writer for incremental changes; see IndexWriter. Raises IndexUnavailable now if
        the index cannot be opened, rather than on the first commit."""
        self._store.open()
        return IndexWriter(
            self._store,
            on_commit=self._pool.invalidate,
            batch_size=batch_size,
            commit_interval=commit_interval,
            lock_timeout=self._lock_timeout,
        )

    def rebuild(self, records: Iterable[IndexRecord], *, workers: int | None = None) -> int:
        """Replace the whole index with ``records``; returns how many were indexed.

        Builds a new index beside the current one and switches to it atomically. Holds the
        write lock throughout, so other writers wait (and fail after their lock timeout)
        rather than write to the index being replaced. Large rebuilds index in ``workers``
        processes (default: one per core, at most 4); repeated ids keep the first record.
        """
        with self._store.lock(self._lock_timeout):
            self._store.cleanup(holding_lock=True)
            build = self._store.new_build()
            try:
                count = build_index(build, records, workers)
                self._store.publish(build)
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
        self._pool.invalidate()
        return count

    # -- reading ----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        """Run a user's query. Raises QueryError (show it to the user) or IndexUnavailable."""
        with self._pool.searcher() as searcher:
            try:
                return _search.run(searcher, self._values, query, self._time_limit)
            except (QueryError, IndexUnavailable):
                raise
            except OSError as exc:
                raise IndexUnavailable(f"The search index cannot be read: {exc}") from exc
            except Exception as exc:  # noqa: BLE001
                # A query the checks above let through but Whoosh cannot run is still the
                # query's fault from the user's side: never an error page.
                log.exception("search failed for %r", query.text)
                raise QueryError("This query could not be run; try simpler words.") from exc

    @property
    def max_searchers(self) -> int:
        return self._pool.size

    def limit_searches(self, max_searchers: int, wait: float | None = None) -> None:
        """Change how many searches run at once, and how long more wait (see __init__)."""
        self._pool.resize(max_searchers, wait)

    def open_searchers(self) -> int:
        """Searchers open now, in use or idle (for tests and diagnostics)."""
        return self._pool.open_searchers

    def doc_count(self) -> int:
        with self._pool.searcher() as searcher:
            return int(searcher.doc_count())

    def indexed_ids(self) -> set[int]:
        """Ids of all indexed documents, from the id field's terms (no stored fields read)."""
        ids: set[int] = set()
        with self._pool.searcher() as searcher:
            for leaf, _base in searcher.reader().leaf_readers():
                if not leaf.has_deletions():
                    ids.update(int(term) for term in leaf.lexicon("id"))
                else:
                    # A deleted document's id stays in the lexicon until its segment is merged.
                    column = leaf.column_reader("id", translate=False)
                    ids.update(int(column[docnum]) for docnum in leaf.all_doc_ids())
        return ids

    def indexed_versions(self) -> dict[int, str]:
        """Indexed id -> the version its record carried (IndexRecord.version)."""
        return index_versions(self._store.open())

    def size_bytes(self) -> int:
        return self._store.size_bytes()

    def close(self) -> None:
        self._pool.close()
