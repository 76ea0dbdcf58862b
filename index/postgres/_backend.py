"""PostgresSearch: the search backend kept in linkvault's own PostgreSQL database."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from index._errors import IndexUnavailable, QueryError, SearchBusy
from index._types import IndexRecord, SearchPage, SearchQuery
from index.postgres import _search
from index.postgres._writer import PostgresWriter, rebuild, sqlstate

log = logging.getLogger(__name__)

_UNDEFINED_TABLE = "42P01"
_SERVER_TROUBLE = ("08", "53", "57", "58")  # SQLSTATE classes that are not the query's fault
_SIZE = sa.text(
    "SELECT pg_total_relation_size('search_documents') + pg_total_relation_size('search_lexemes')"
)


def _default_searches() -> int:
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class _Gate:
    """At most ``size`` searches at once; the others wait up to ``wait`` seconds, then get
    SearchBusy (as a Whoosh index whose searchers are all lent). Resizable."""

    def __init__(self, size: int, wait: float) -> None:
        self.size, self.wait = size, wait
        self._running = 0
        self._changed = threading.Condition()

    def resize(self, size: int, wait: float | None) -> None:
        with self._changed:
            self.size = max(1, size)
            if wait is not None:
                self.wait = wait
            self._changed.notify_all()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        deadline = time.monotonic() + self.wait
        with self._changed:
            while self._running >= self.size:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SearchBusy(
                        f"the search database is busy: {self._running} searches running; "
                        f"none finished within {self.wait:g} s."
                    )
                self._changed.wait(left)
            self._running += 1
        try:
            yield
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify()


def unavailable(exc: BaseException) -> IndexUnavailable:
    if sqlstate(exc) == _UNDEFINED_TABLE:
        return IndexUnavailable(
            "The database has no search tables: run `linkvault migrate` (the PostgreSQL "
            "search backend needs schema revision 0002)."
        )
    reason = getattr(exc, "orig", None) or exc
    return IndexUnavailable(f"The search database cannot be read: {reason}")


class PostgresSearch:
    """Search documents in the tables of migration 0002, through ``engine`` (linkvault's
    own database; not disposed here). Thread-safe; one per process is enough.

    Same behaviour as the Whoosh SearchIndex: the same query syntax, limits and errors, and
    the same SearchPage (see index/postgres/_search.py for the ranking and the time limit).
    """

    name = "postgres"

    def __init__(
        self,
        engine: sa.Engine,
        *,
        search_time_limit: float = 2.0,
        lock_timeout: float = 60.0,
        max_searchers: int | None = None,
        searcher_wait: float = 30.0,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(
                "The postgres search backend needs a PostgreSQL database, not "
                f"{engine.dialect.name}."
            )
        self.engine = engine
        self._time_limit = search_time_limit
        self._lock_timeout = lock_timeout
        self._gate = _Gate(max_searchers or _default_searches(), searcher_wait)

    # -- writing ----------------------------------------------------------------------

    def writer(self, batch_size: int = 200, commit_interval: float = 2.0) -> PostgresWriter:
        return PostgresWriter(
            self.engine,
            batch_size=batch_size,
            commit_interval=commit_interval,
            lock_timeout=self._lock_timeout,
        )

    def rebuild(self, records: Iterable[IndexRecord], *, workers: int | None = None) -> int:
        """Replace every document with ``records`` in one transaction; searches see the old
        documents until it commits. ``workers`` is for Whoosh: PostgreSQL analyses the text."""
        del workers
        try:
            return rebuild(self.engine, records, self._lock_timeout)
        except DBAPIError as exc:
            raise unavailable(exc) from exc

    # -- reading ----------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchPage:
        """Run a user's query. Raises QueryError (show it to the user) or IndexUnavailable."""
        with self._gate.slot():
            try:
                return _search.run(self.engine, query, self._time_limit)
            except (QueryError, IndexUnavailable):
                raise
            except PoolTimeout as exc:
                raise unavailable(exc) from exc
            except DBAPIError as exc:
                state = sqlstate(exc)
                # No connection, a server shutting down or out of resources, no tables.
                if state is None or state[:2] in _SERVER_TROUBLE or state == _UNDEFINED_TABLE:
                    raise unavailable(exc) from exc
                # A query the parser let through but PostgreSQL refuses is still the query's
                # fault from the user's side: never an error page.
                log.exception("search failed for %r", query.text)
                raise QueryError("This query could not be run; try simpler words.") from exc

    @property
    def max_searchers(self) -> int:
        return self._gate.size

    def limit_searches(self, max_searchers: int, wait: float | None = None) -> None:
        """Change how many searches run at once, and how long more wait."""
        self._gate.resize(max_searchers, wait)

    def _scalar(self, statement: sa.Executable) -> int:
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(statement).scalar_one())
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc

    def doc_count(self) -> int:
        return self._scalar(sa.text("SELECT count(*) FROM search_documents"))

    def indexed_ids(self) -> set[int]:
        return set(self.indexed_versions())

    def indexed_versions(self) -> dict[int, str]:
        """Indexed id -> the version its record carried (see IndexRecord.version)."""
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.text("SELECT link_id, version FROM search_documents"))
                return {int(link_id): version for link_id, version in rows}
        except SQLAlchemyError as exc:
            raise unavailable(exc) from exc

    def size_bytes(self) -> int:
        return self._scalar(_SIZE)

    def close(self) -> None:
        """Nothing to release: the engine belongs to the caller."""
