"""The statements the store runs once per page, built once: SQLAlchemy caches their compiled
form, and each page only binds values."""

from __future__ import annotations

from sqlalchemy import Integer, bindparam, insert, literal, null, select, update

from archiver.models import Check, Link, LinkStatus, Snapshot, UTCDateTime

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
        Snapshot.imported_from,
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
        unreachable_since=None,
        unreachable_reason=None,
        needs_index=Link.needs_index | (Link.status != LinkStatus.OK),
    )
)
# The check of an unchanged page points at the link's current snapshot; as one statement it
# runs as executemany over a whole batch.
CHECK_UNCHANGED = insert(Check).from_select(
    ["link_id", "checked_at", "status", "http_status", "error", "snapshot_id", "changed"],
    select(
        Link.id,
        bindparam("now_", type_=UTCDateTime),
        literal(LinkStatus.OK.value),
        bindparam("http_status_", type_=Integer),
        null(),
        Link.snapshot_id,
        literal(False),
    ).where(Link.id == bindparam("link_id_")),
)
# What extraction makes of a snapshot; re-extraction rewrites these and nothing else.
EXTRACTED_FIELDS = (
    "kind",
    "text",
    "title",
    "author",
    "published",
    "sitename",
    "description",
    "language",
    "document",
    "extracted_with",
)
# A new snapshot: what was fetched, then what extraction made of it.
PAGE_FIELDS = (
    "http_status",
    "final_url",
    "content_type",
    "headers",
    "content_hash",
    "size",
    *EXTRACTED_FIELDS,
)
