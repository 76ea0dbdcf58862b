"""Imported copies: an article another tool kept (wallabag, Omnivore), stored as the first
snapshot of a link that has none, marked with the tool it came from (`imported_from`).

The link keeps its status (pending after an import), so `linkvault archive` still fetches
the live page once: a fetched copy then becomes the current one (archiver/links.py,
`record_page`), and the imported one stays in the history. A page already gone leaves the
imported copy current, and the link dead on the first 404 or 410 (`record_failure`: linkvault
never saw it alive, so there is nothing to confirm). Extraction is the pipeline's own
(archiver/reextract.py); the app drives it (app/services/imported_copies.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from archiver._engine import Database
from archiver.models import Link, Snapshot, utcnow
from archiver.records import StoredPage

__all__ = ["ImportedCopies"]


class ImportedCopies(Database):
    """Which links still want a copy, and storing one."""

    def without_copy(self, link_ids: Sequence[int]) -> set[int]:
        """Those of these links that have no snapshot at all."""
        found: set[int] = set()
        with self.session() as session:
            for start in range(0, len(link_ids), 500):
                chunk = link_ids[start : start + 500]
                query = select(Link.id).where(Link.id.in_(chunk), Link.snapshot_id.is_(None))
                found.update(session.scalars(query))
        return found

    def record(
        self, link_id: int, page: StoredPage, origin: str, saved_at: datetime | None
    ) -> bool:
        """Stores the copy as the link's current snapshot if it still has none (a fetch may
        have finished meanwhile, or the link been removed); True when stored."""
        when = saved_at or utcnow()
        with self.session() as session:
            link = session.get(Link, link_id, with_for_update=True)
            if link is None or link.snapshot_id is not None:
                return False
            snapshot = Snapshot(
                link_id=link_id,
                fetched_at=when,
                http_status=None,
                final_url=page.final_url,
                content_type=page.content_type,
                content_hash=page.content_hash,
                etag=None,
                last_modified=None,
                size=page.size,
                kind=page.kind,
                title=page.title,
                author=page.author,
                published=page.published,
                sitename=page.sitename,
                description=page.description,
                language=page.language,
                text=page.text,
                document=page.document,
                extracted_with=page.extracted_with,
                raw=page.raw_compressed,
                headers=dict(page.headers),
                imported_from=origin,
            )
            session.add(snapshot)
            session.flush()
            link.snapshot_id = snapshot.id
            link.archived_at = when
            link.needs_index = True
        return True
