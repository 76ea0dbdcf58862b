"""Index bookkeeping: which links have a searchable copy, which the search index must catch
up on (needs_index), and reading those copies out for it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import defer

from archiver._engine import Database
from archiver.models import Link, Snapshot

__all__ = ["IndexBookkeeping"]


class IndexBookkeeping(Database):
    """The database's side of keeping the search index in step with the stored copies."""

    def searchable_ids(self) -> set[int]:
        with self.session() as session:
            return set(session.scalars(select(Link.id).where(Link.snapshot_id.is_not(None))))

    def ids_needing_index(self) -> list[int]:
        with self.session() as session:
            query = select(Link.id).where(Link.needs_index.is_(True)).order_by(Link.id)
            return list(session.scalars(query))

    def mark_indexed(self, link_ids: Iterable[int]) -> None:
        ids = list(link_ids)
        if not ids:
            return
        with self.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                session.execute(update(Link).where(Link.id.in_(chunk)).values(needs_index=False))

    def mark_needs_index(self, link_ids: Iterable[int]) -> None:
        ids = list(link_ids)
        with self.session() as session:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                session.execute(update(Link).where(Link.id.in_(chunk)).values(needs_index=True))

    def searchable(
        self, link_ids: Sequence[int] | None = None, *, with_text: bool = True
    ) -> Iterator[tuple[Link, Snapshot]]:
        """Links with a searchable copy and that copy, in id order, 500 at a time. Without
        text, snapshot.text is not loaded (and must not be read)."""
        base = select(Link, Snapshot).join(Snapshot, Link.snapshot_id == Snapshot.id)
        if not with_text:
            base = base.options(defer(Snapshot.text, raiseload=True))
        if link_ids is not None:
            # In chunks: SQLite limits the number of bound parameters in one statement.
            ids = sorted(set(link_ids))
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                with self.session() as session:
                    query = base.where(Link.id.in_(chunk)).order_by(Link.id)
                    rows = [(link, snap) for link, snap in session.execute(query).all()]
                yield from rows
            return
        last_id = 0
        while True:
            with self.session() as session:
                query = base.where(Link.id > last_id).order_by(Link.id).limit(500)
                rows = [(link, snap) for link, snap in session.execute(query).all()]
            if not rows:
                return
            yield from rows
            last_id = rows[-1][0].id
