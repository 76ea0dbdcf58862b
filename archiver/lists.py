"""Followed reading lists (`linkvault follow`): the lists, what each last read brought, and
which links each lists. A link dropped from its list is kept, marked as no longer listed;
one that comes back is listed again. `Store.lists`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from archiver._engine import Database
from archiver.followed import ListAddress
from archiver.models import FollowedList, Link, ListedLink, utcnow

__all__ = [
    "LIST_FAILED",
    "LIST_OK",
    "LIST_UNCHANGED",
    "ListState",
    "Listing",
    "ListingChange",
    "Lists",
]

# A followed list's status after its last read.
LIST_OK = "ok"  # read, its links recorded
LIST_UNCHANGED = "unchanged"  # a 304, or the same bytes as last time
LIST_FAILED = "failed"  # not read: the error says why
_MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class ListState:
    """A followed list as stored, with its link counts."""

    id: int
    url: str
    fetch_url: str
    base_url: str
    section_prefix: str | None
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    followed_at: datetime
    read_at: datetime | None
    status: str | None
    error: str | None
    listed: int = 0
    no_longer_listed: int = 0


@dataclass(frozen=True, slots=True)
class ListingChange:
    """What one read changed in a list's links."""

    added: list[int]  # listed for the first time
    returned: list[int]  # listed again after being dropped
    dropped: list[int]  # no longer listed


@dataclass(frozen=True, slots=True)
class Listing:
    """One list that lists (or listed) a link, for the reader and the exports."""

    list_id: int
    list_url: str
    still_listed: bool
    first_listed: datetime
    last_listed: datetime


class Lists(Database):
    """Reads and writes followed lists and their links; each write one short transaction."""

    def find(self, ref: str) -> ListState | None:
        """A followed list by id, by the URL it was followed with, or by where it is read."""
        with self.session() as session:
            query = select(FollowedList)
            if ref.strip().isdecimal():
                # Ids are 32-bit on PostgreSQL: a larger number names no list.
                if int(ref) > _MAX_ID:
                    return None
                query = query.where(FollowedList.id == int(ref))
            else:
                url = ref.strip()
                query = query.where((FollowedList.url == url) | (FollowedList.fetch_url == url))
            row = session.scalars(query.limit(1)).first()
            return None if row is None else self._state(session, row)

    def find_address(self, address: ListAddress) -> ListState | None:
        with self.session() as session:
            query = select(FollowedList).where(FollowedList.fetch_url == address.fetch_url)
            row = session.scalars(query).first()
            return None if row is None else self._state(session, row)

    def all(self) -> list[ListState]:
        """Every followed list, in the order followed."""
        with self.session() as session:
            rows = session.scalars(select(FollowedList).order_by(FollowedList.id)).all()
            counts = self._counts(session)
            return [self._state(session, row, counts) for row in rows]

    def add(self, address: ListAddress, section_prefix: str | None) -> tuple[ListState, bool]:
        """Follows the list (True), or gives the one already followed at that address
        (False; a section prefix given replaces its own)."""
        try:
            with self.session() as session:
                query = select(FollowedList).where(FollowedList.fetch_url == address.fetch_url)
                row = session.scalars(query).first()
                created = row is None
                if row is None:
                    row = FollowedList(
                        url=address.url,
                        fetch_url=address.fetch_url,
                        base_url=address.base_url,
                        section_prefix=section_prefix,
                    )
                    session.add(row)
                    session.flush()
                elif section_prefix is not None:
                    row.section_prefix = section_prefix
                return self._state(session, row), created
        except IntegrityError:  # followed by another process meanwhile
            found = self.find_address(address)
            if found is None:
                raise
            return found, False

    def remove(self, list_id: int) -> bool:
        """Stops following; the links stay, and so does nothing else of the list."""
        with self.session() as session:
            session.execute(delete(ListedLink).where(ListedLink.list_id == list_id))
            gone = session.execute(delete(FollowedList).where(FollowedList.id == list_id))
            return bool(getattr(gone, "rowcount", 0))

    def record_failure(self, list_id: int, error: str) -> None:
        """The list could not be read: its links and validators stay as they were."""
        with self.session() as session:
            row = session.get(FollowedList, list_id)
            if row is not None:
                row.read_at, row.status, row.error = utcnow(), LIST_FAILED, error

    def record_unchanged(
        self, list_id: int, etag: str | None = None, last_modified: str | None = None
    ) -> None:
        """A 304, or the same bytes: nothing changes but when it was read (and validators a
        server sent with the same bytes)."""
        with self.session() as session:
            row = session.get(FollowedList, list_id)
            if row is None:
                return
            row.read_at, row.status, row.error = utcnow(), LIST_UNCHANGED, None
            row.etag = etag or row.etag
            row.last_modified = last_modified or row.last_modified

    def record_read(
        self,
        list_id: int,
        link_ids: Sequence[int],
        *,
        etag: str | None,
        last_modified: str | None,
        content_hash: str,
    ) -> ListingChange:
        """The list as just read lists exactly these links: new ones are listed, returning
        ones listed again, missing ones marked no longer listed; then its validators."""
        now = utcnow()
        listed = list(dict.fromkeys(link_ids))
        with self.session() as session:
            rows = {
                row.link_id: row
                for row in session.scalars(select(ListedLink).where(ListedLink.list_id == list_id))
            }
            added, returned = [], []
            for link_id in listed:
                row = rows.get(link_id)
                if row is None:
                    session.add(
                        ListedLink(
                            list_id=list_id,
                            link_id=link_id,
                            first_listed=now,
                            last_listed=now,
                            still_listed=True,
                        )
                    )
                    added.append(link_id)
                    continue
                if not row.still_listed:
                    returned.append(link_id)
                row.still_listed, row.last_listed = True, now
            keep = set(listed)
            dropped = [i for i, row in rows.items() if row.still_listed and i not in keep]
            for link_id in dropped:
                rows[link_id].still_listed = False
            followed = session.get_one(FollowedList, list_id)
            followed.etag, followed.last_modified = etag, last_modified
            followed.content_hash = content_hash
            followed.read_at, followed.status, followed.error = now, LIST_OK, None
        return ListingChange(added, returned, sorted(dropped))

    def listings(self, link_ids: Sequence[int]) -> dict[int, list[Listing]]:
        """The followed lists that list or listed each of these links."""
        found: dict[int, list[Listing]] = {}
        if not link_ids:
            return found
        with self.session() as session:
            for start in range(0, len(link_ids), 500):
                chunk = list(link_ids[start : start + 500])
                query = (
                    select(ListedLink, FollowedList.url)
                    .join(FollowedList, FollowedList.id == ListedLink.list_id)
                    .where(ListedLink.link_id.in_(chunk))
                    .order_by(ListedLink.list_id)
                )
                for row, url in session.execute(query):
                    found.setdefault(row.link_id, []).append(
                        Listing(
                            row.list_id, url, row.still_listed, row.first_listed, row.last_listed
                        )
                    )
        return found

    def listed_links(self, list_id: int, *, still: bool | None = None) -> list[int]:
        """Ids of the links this list lists (still=True), listed (False), or either."""
        with self.session() as session:
            query = select(ListedLink.link_id).where(ListedLink.list_id == list_id)
            if still is not None:
                query = query.where(ListedLink.still_listed.is_(still))
            return list(session.scalars(query.order_by(ListedLink.link_id)))

    # -- reading rows ----------------------------------------------------------------------

    @staticmethod
    def _counts(session: Session) -> dict[int, tuple[int, int]]:
        listed = func.sum(case((ListedLink.still_listed.is_(True), 1), else_=0))
        dropped = func.sum(case((ListedLink.still_listed.is_(False), 1), else_=0))
        query = (
            select(ListedLink.list_id, listed, dropped)
            .join(Link, Link.id == ListedLink.link_id)
            .group_by(ListedLink.list_id)
        )
        return {list_id: (int(a or 0), int(b or 0)) for list_id, a, b in session.execute(query)}

    def _state(
        self,
        session: Session,
        row: FollowedList,
        counts: dict[int, tuple[int, int]] | None = None,
    ) -> ListState:
        if counts is None:
            counts = self._counts(session)
        listed, dropped = counts.get(row.id, (0, 0))
        return ListState(
            id=row.id,
            url=row.url,
            fetch_url=row.fetch_url,
            base_url=row.base_url,
            section_prefix=row.section_prefix,
            etag=row.etag,
            last_modified=row.last_modified,
            content_hash=row.content_hash,
            followed_at=row.followed_at,
            read_at=row.read_at,
            status=row.status,
            error=row.error,
            listed=listed,
            no_longer_listed=dropped,
        )
