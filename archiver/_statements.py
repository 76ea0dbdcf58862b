"""The statements the store runs once per page, built once: SQLAlchemy caches their compiled
form, and each page only binds values."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from archiver.models import Check, Link, LinkStatus, Snapshot

CURRENT_COPY = (
    select(
        Link.status,
        Link.archived_at,
        Link.needs_index,
        Link.snapshot_id,
        Snapshot.id,
        Snapshot.content_hash,
        Snapshot.kind,
        Snapshot.title,
        Snapshot.text,
    )
    .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
    .where(Link.id == bindparam("link_id_"))
)
INSERT_SNAPSHOT = insert(Snapshot).returning(Snapshot.id)
UPDATE_LINK = update(Link).where(Link.id == bindparam("link_id_"))
INSERT_CHECK = insert(Check)
LATEST_HASH = (
    select(Snapshot.content_hash)
    .where(Snapshot.link_id == bindparam("link_id_"))
    .order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc())
    .limit(1)
)
# Old values on the right-hand side: the index needs the link again only if its status changes.
MARK_UNCHANGED = (
    update(Link)
    .where(Link.id == bindparam("link_id_"))
    .values(
        status=LinkStatus.OK,
        error=None,
        http_status=bindparam("http_status_"),
        failure_count=0,
        checked_at=bindparam("now_"),
        dead_since=None,
        needs_index=Link.needs_index | (Link.status != LinkStatus.OK),
    )
    .returning(Link.snapshot_id)
)
PAGE_FIELDS = (
    "http_status",
    "final_url",
    "content_type",
    "headers",
    "content_hash",
    "size",
    "kind",
    "text",
    "title",
    "author",
    "published",
    "sitename",
    "description",
    "language",
)
