"""Read-only database queries behind the HTTP service: link listings, detail, history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from archiver.curation import tagged
from archiver.models import Check, FollowedList, Link, LinkStatus, ListedLink, Snapshot

# Ids are 32-bit integers on PostgreSQL (64-bit on SQLite): a larger one names no link, and
# is refused before it reaches the database, which would fail on it.
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class LinkView:
    """A link with the snapshot whose text is searchable (None when never archived)."""

    link: Link
    snapshot: Snapshot | None

    @property
    def title(self) -> str:
        # The same choice the index makes: the list's title first, then the page's, then the URL.
        snap_title = self.snapshot.title if self.snapshot else None
        return self.link.title or snap_title or self.link.url


def list_links(
    session: Session, status: LinkStatus | None, page: int, per_page: int, tag: str | None = None
) -> tuple[int, list[Link]]:
    """One page of links in list order, with the total matching the filters: a status, and
    a tag (whole, case-insensitively)."""
    where = [] if status is None else [Link.status == status.value]
    if tag is not None:
        where.append(tagged(tag, session.get_bind().dialect.name))
    total = session.scalar(select(func.count()).select_from(Link).where(*where)) or 0
    query = (
        select(Link).where(*where).order_by(Link.id).offset((page - 1) * per_page).limit(per_page)
    )
    return total, list(session.scalars(query))


def links_in_section(
    session: Session, section: str, page: int, per_page: int
) -> tuple[int, list[LinkView]]:
    """One page of a section's links in list order, archived or not, with the total."""
    where = Link.section == section
    total = session.scalar(select(func.count()).select_from(Link).where(where)) or 0
    query = (
        select(Link, Snapshot)
        .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
        .where(where)
        .order_by(Link.position, Link.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return total, [LinkView(link, snapshot) for link, snapshot in session.execute(query)]


def link_view(session: Session, link_id: int) -> LinkView | None:
    link = session.get(Link, link_id)
    if link is None:
        return None
    snapshot = session.get(Snapshot, link.snapshot_id) if link.snapshot_id is not None else None
    return LinkView(link, snapshot)


def link_checks(session: Session, link_id: int, limit: int = 100) -> list[Check]:
    """The newest checks first: the link's history."""
    query = (
        select(Check)
        .where(Check.link_id == link_id)
        .order_by(Check.checked_at.desc(), Check.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Link.status, func.count()).group_by(Link.status))
    counts = {status.value: 0 for status in LinkStatus}
    counts.update({status: count for status, count in rows})
    return counts


def section_counts(session: Session, limit: int = 50) -> list[tuple[str | None, int, int]]:
    """(section, links, archived links), biggest sections first."""
    # count(column) skips NULLs: the links with an archived copy.
    query = (
        select(Link.section, func.count(), func.count(Link.snapshot_id))
        .group_by(Link.section)
        .order_by(func.count().desc(), Link.section)
        .limit(limit)
    )
    return [(section, links, int(done or 0)) for section, links, done in session.execute(query)]


def recent_links(session: Session, limit: int = 10) -> list[LinkView]:
    """The most recently archived links, newest first."""
    query = (
        select(Link, Snapshot)
        .join(Snapshot, Link.snapshot_id == Snapshot.id)
        .where(Link.archived_at.is_not(None))
        .order_by(Link.archived_at.desc(), Link.id.desc())
        .limit(limit)
    )
    return [LinkView(link, snapshot) for link, snapshot in session.execute(query)]


def dead_links(session: Session, limit: int = 100) -> Sequence[Link]:
    query = (
        select(Link)
        .where(Link.status == LinkStatus.DEAD.value)
        .order_by(Link.dead_since.desc(), Link.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def unreachable_links(session: Session, limit: int = 100) -> Sequence[Link]:
    """Links not dead that saw a 404/410 or "host not found" once, not confirmed yet."""
    query = (
        select(Link)
        .where(Link.unreachable_since.is_not(None), Link.status != LinkStatus.DEAD.value)
        .order_by(Link.unreachable_since.desc(), Link.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def unreachable_count(session: Session) -> int:
    query = select(func.count()).where(
        Link.unreachable_since.is_not(None), Link.status != LinkStatus.DEAD.value
    )
    return session.scalar(query) or 0


def link_snapshots(session: Session, link_id: int) -> list[Snapshot]:
    """A link's snapshots, newest first, without their text and body (loaded on access)."""
    query = (
        select(Snapshot)
        .options(defer(Snapshot.text), defer(Snapshot.raw))
        .where(Snapshot.link_id == link_id)
        .order_by(Snapshot.fetched_at.desc(), Snapshot.id.desc())
    )
    return list(session.scalars(query))


def link_snapshot(session: Session, link_id: int, snapshot_id: int) -> Snapshot | None:
    """One snapshot, only if it belongs to this link."""
    snapshot = session.get(Snapshot, snapshot_id)
    return snapshot if snapshot is not None and snapshot.link_id == link_id else None


def lists_that_dropped(session: Session, link_id: int) -> list[str]:
    """The URLs of the followed lists that listed this link and no longer do."""
    query = (
        select(FollowedList.url)
        .join(ListedLink, ListedLink.list_id == FollowedList.id)
        .where(ListedLink.link_id == link_id, ListedLink.still_listed.is_(False))
        .order_by(FollowedList.id)
    )
    return list(session.scalars(query))
