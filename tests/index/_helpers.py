"""Records to index, for the index tests; and a PostgreSQL search database to index them in."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from archiver import Store, make_engine
from archiver.models import Link
from bench.postgres import PostgresServer
from index import IndexRecord, SearchIndex
from index.postgres import PostgresSearch

_ids = itertools.count(1000)


def record(
    id: int | None = None,
    *,
    title: str = "A page",
    text: str = "Some archived text.",
    section: str | None = None,
    domain: str = "example.com",
    status: str = "ok",
    archived_at: datetime | None = None,
    published: datetime | None = None,
    url: str | None = None,
    tags: tuple[str, ...] = (),
    note: str | None = None,
) -> IndexRecord:
    link_id = next(_ids) if id is None else id
    return IndexRecord(
        id=link_id,
        url=url or f"https://{domain}/{link_id}",
        title=title,
        text=text,
        section=section,
        domain=domain,
        status=status,
        archived_at=archived_at,
        published=published,
        tags=tags,
        note=note,
    )


def day(n: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)


def add_all(index: SearchIndex, records: Iterable[IndexRecord]) -> None:
    with index.writer() as writer:
        for r in records:
            writer.add(r)


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_engine(server: PostgresServer) -> sa.Engine:
    """A new database on `server` with linkvault's schema made."""
    engine = make_engine(server.database())
    Store(engine).create_schema()  # type: ignore[call-arg]
    return engine


def add_links(engine: sa.Engine, ids: Iterable[int]) -> None:
    """search_documents.link_id references links: the links come first."""
    with Store(engine).session() as session:  # type: ignore[call-arg]
        for link_id in ids:
            url = f"https://example.com/{link_id}"
            session.add(Link(id=link_id, url=url, normalized_url=url))


def index_all(backend: PostgresSearch, records: Iterable[IndexRecord]) -> None:
    records = list(records)
    add_links(backend.engine, [r.id for r in records])
    with backend.writer() as writer:
        for r in records:
            writer.add(r)


@contextlib.contextmanager
def both_backends(
    records: Iterable[IndexRecord], folder: Path, server: PostgresServer
) -> Iterator[tuple[SearchIndex, PostgresSearch]]:
    """The same records in a Whoosh index (in `folder`) and in a PostgreSQL search database,
    for tests that ask both the same questions."""
    records = list(records)
    whoosh = SearchIndex(folder / "index")
    with whoosh.writer() as writer:
        for r in records:
            writer.add(r)
    engine = postgres_engine(server)
    pg = PostgresSearch(engine)
    index_all(pg, records)
    try:
        yield whoosh, pg
    finally:
        whoosh.close()
        engine.dispose()
