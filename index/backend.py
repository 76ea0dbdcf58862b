"""What the rest of linkvault needs from a search backend, and how to open one.

Two backends, both complete: ``whoosh`` (SearchIndex, a folder beside the database; the
default) and ``postgres`` (PostgresSearch, tables in linkvault's PostgreSQL database). They
share the query language (docs/user-guide.md), the limits, the errors and the result types; the
API tests run against both.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, Self, get_args

from index._errors import IndexUnavailable
from index._types import IndexRecord, SearchPage, SearchQuery
from index.whoosh import IndexHealth, inspect_index, repair_index_files

if TYPE_CHECKING:
    from sqlalchemy import Engine

BackendName = Literal["whoosh", "postgres"]
BACKENDS: tuple[str, ...] = get_args(BackendName)


class BackendWriter(Protocol):
    """Batched changes; a context manager that commits on exit (cancels on an exception)."""

    def add(self, record: IndexRecord) -> None: ...
    def delete(self, link_id: int) -> None: ...
    def commit(self) -> None: ...
    def close(self) -> None: ...
    def cancel(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class SearchBackend(Protocol):
    """A full-text index of archived links, derived from the database and rebuildable."""

    @property
    def name(self) -> str: ...
    def search(self, query: SearchQuery) -> SearchPage: ...
    def writer(self, batch_size: int = 200, commit_interval: float = 2.0) -> BackendWriter: ...
    def rebuild(self, records: Iterable[IndexRecord], *, workers: int | None = None) -> int: ...
    def doc_count(self) -> int: ...
    def indexed_ids(self) -> set[int]: ...
    def indexed_versions(self) -> dict[int, str]: ...
    def size_bytes(self) -> int: ...
    @property
    def max_searchers(self) -> int: ...
    def limit_searches(self, max_searchers: int, wait: float | None = None) -> None: ...
    def close(self) -> None: ...


def _need(kind: str, engine: Engine | None, index_dir: Path | None) -> None:
    if kind not in BACKENDS:
        raise ValueError(f"Unknown search backend {kind!r}: use one of {', '.join(BACKENDS)}.")
    if kind == "postgres" and (engine is None or engine.dialect.name != "postgresql"):
        raise ValueError(
            "LINKVAULT_SEARCH_BACKEND=postgres needs LINKVAULT_DATABASE_URL to be a PostgreSQL "
            "database (postgresql+psycopg://...)."
        )
    if kind == "whoosh" and index_dir is None:
        raise ValueError("The whoosh search backend needs an index folder.")


def open_search_backend(
    kind: str,
    *,
    index_dir: Path | None = None,
    engine: Engine | None = None,
    search_time_limit: float = 2.0,
    lock_timeout: float = 60.0,
) -> SearchBackend:
    """``whoosh``: the index in ``index_dir``; ``postgres``: the tables reached through
    ``engine`` (linkvault's database, at schema revision 0002 or later). ValueError, with a
    message for the user, when what the backend needs is missing."""
    _need(kind, engine, index_dir)
    if kind == "postgres":
        from index.postgres import PostgresSearch

        assert engine is not None
        return PostgresSearch(
            engine, search_time_limit=search_time_limit, lock_timeout=lock_timeout
        )
    from index.whoosh import SearchIndex

    assert index_dir is not None
    return SearchIndex(index_dir, search_time_limit=search_time_limit, lock_timeout=lock_timeout)


def inspect_backend(
    kind: str, *, index_dir: Path | None = None, engine: Engine | None = None
) -> IndexHealth:
    """What `linkvault check` reports about the index, without changing it. PostgreSQL has
    no lock files or leftovers: its transactions leave nothing half-written."""
    _need(kind, engine, index_dir)
    if kind == "whoosh":
        assert index_dir is not None
        return inspect_index(index_dir)
    from index.postgres import PostgresSearch

    assert engine is not None
    health = IndexHealth()
    try:
        health.versions = PostgresSearch(engine).indexed_versions()
    except IndexUnavailable as exc:
        health.problem = str(exc)
    return health


def repair_backend_files(
    kind: str, *, index_dir: Path | None = None, lock_timeout: float = 60.0
) -> list[str]:
    """Clears what a killed writer left behind (Whoosh: a stale lock, unlisted segment files,
    unfinished rebuilds); returns what it removed. Nothing to do on PostgreSQL."""
    if kind == "whoosh":
        assert index_dir is not None
        return repair_index_files(index_dir, lock_timeout=lock_timeout)
    return []
