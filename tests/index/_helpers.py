"""Records to index, for the index tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from index import IndexRecord, SearchIndex

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
    )


def day(n: int) -> datetime:
    return datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=n)


def add_all(index: SearchIndex, records: Iterable[IndexRecord]) -> None:
    with index.writer() as writer:
        for r in records:
            writer.add(r)
