"""Links and their snapshots: importing links, choosing what to fetch, and recording what
each fetch brought (a new snapshot, an unchanged copy, a failure, an inconclusive check) with
its check. A link removed while it was being fetched (archiver/curation.py) gets nothing
recorded: each write raises LinkGone instead, and the run goes on.

About 500 lines on purpose: every write of a fetch's result goes through `_recorded`, which
the work queue's store (archiver/queue.py) overrides so that a result and the link's release
from the queue commit together; split over several classes, that one override would have to
follow each of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound
from sqlalchemy.orm import Session

from archiver._engine import Database
from archiver._statements import (
    CHECK_UNCHANGED,
    CURRENT_COPY,
    EXTRACTED_FIELDS,
    INSERT_CHECK,
    INSERT_SNAPSHOT,
    LATEST_HASH,
    MARK_UNCHANGED,
    PAGE_FIELDS,
    UPDATE_LINK,
)
from archiver.models import (
    CHECK_INCONCLUSIVE,
    CHECK_UNREACHABLE,
    Check,
    Link,
    LinkStatus,
    Snapshot,
    utcnow,
)
from archiver.records import (
    ImportCounts,
    LinkSpec,
    LinkTask,
    StoredPage,
    same_text,
    unsupported_reason,
)
from archiver.rot import RotPolicy

__all__ = ["LinkGone", "Links", "Reextracted", "StoredBody"]

_INSERT_BATCH = 1000


class LinkGone(LookupError):
    """The link was removed while it was being fetched: its result is recorded nowhere, so
    a run finishing after the removal cannot bring it back."""

    def __init__(self, link_id: int) -> None:
        super().__init__(f"link {link_id} was removed meanwhile")
        self.link_id = link_id


@dataclass(frozen=True, slots=True)
class StoredBody:
    """A snapshot's fetched body and what came with it, for extracting it again."""

    snapshot_id: int
    link_id: int
    final_url: str
    http_status: int | None
    content_type: str | None
    headers: dict[str, str]
    raw_compressed: bytes  # empty: no body kept (an image, an archive)


@dataclass(frozen=True, slots=True)
class Reextracted:
    """One snapshot extracted again: did its text or title change, and is it its link's
    current copy (the one the index holds)?"""

    snapshot_id: int
    link_id: int
    text_changed: bool
    current: bool


class Links(Database):
    """Reads and writes links and snapshots; every write is its own short transaction."""

    def __init__(self, engine: Engine, rot: RotPolicy | None = None) -> None:
        super().__init__(engine)
        self.rot = rot or RotPolicy()

    # -- import ---------------------------------------------------------------------------

    def add_links(self, specs: Iterable[LinkSpec]) -> ImportCounts:
        """Stores each new normalised URL once; a link seen before keeps what it was, but
        becomes shelved when the import says so (an import never unshelves one).

        All in one transaction: an error (or a crash) midway leaves none of them stored.
        Inserted in batches of plain rows, not ORM objects: an export of 100,000 entries
        took half a gigabyte as objects in one flush."""
        unique: dict[str, LinkSpec] = {}
        for spec in specs:
            unique.setdefault(spec.normalized_url, spec)
        with self.session() as session:
            # Looked up 500 at a time and inserted 1,000 a statement: a statement per link
            # cost seconds for a long list on a database across the network.
            known = self._ids_of(session, list(unique))
            position = session.scalar(select(func.max(Link.position))) or 0
            fresh = [url for url in unique if url not in known]
            added: dict[str, int] = {}
            for start in range(0, len(fresh), _INSERT_BATCH):
                batch = fresh[start : start + _INSERT_BATCH]
                rows = []
                for url in batch:
                    spec = unique[url]
                    position += 1
                    rows.append(self._row(spec, position))
                session.execute(insert(Link), rows)
                added.update(self._ids_of(session, batch))
            ids = [known[url] if url in known else added[url] for url in unique]
            # A link already here is shelved when the import says so, never unshelved by one.
            shelve = [known[url] for url, spec in unique.items() if url in known and spec.shelved]
            for start in range(0, len(shelve), 500):
                chunk = shelve[start : start + 500]
                session.execute(update(Link).where(Link.id.in_(chunk)).values(shelved=True))
        return ImportCounts(new=len(added), existing=len(known), link_ids=ids)

    @staticmethod
    def _ids_of(session: Session, urls: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start : start + 500]
            query = select(Link.normalized_url, Link.id).where(Link.normalized_url.in_(chunk))
            found.update({url: link_id for url, link_id in session.execute(query)})
        return found

    @staticmethod
    def _row(spec: LinkSpec, position: int) -> dict[str, Any]:
        return {
            "url": spec.url,
            "normalized_url": spec.normalized_url,
            "title": spec.title,
            "section": spec.section,
            "tags": list(spec.tags),
            "note": spec.note,
            "source": spec.source,
            "source_line": spec.line,
            "position": position,
            "status": LinkStatus.PENDING,
            "shelved": spec.shelved,
            # An imported link keeps the date its tool saved it; every row names every
            # column, as one statement inserts the whole batch.
            "created_at": spec.added_at or utcnow(),
        }

    # -- what to fetch ----------------------------------------------------------------------

    def tasks_for_archive(self, link_ids: Sequence[int] | None = None) -> list[LinkTask]:
        """Links with no archived copy yet, except those fetched fine but without text.

        Dead links with no copy are tried again too: a first run on a machine whose resolver
        was down marks every host "not found", and the next run should mend that. Blocked
        links cost no request; the setting that blocked them may have changed.
        """
        retry = (LinkStatus.PENDING, LinkStatus.FAILED, LinkStatus.BLOCKED)
        never_archived_dead = (Link.status == LinkStatus.DEAD) & Link.snapshot_id.is_(None)
        with self.session() as session:
            query = (
                select(Link.id, Link.url, Link.checked_at)
                .where(Link.status.in_(retry) | never_archived_dead)
                .order_by(Link.id)
            )
            rows = session.execute(query).all()
        if link_ids is not None:
            keep = set(link_ids)
            rows = [row for row in rows if row.id in keep]
        return [LinkTask(id=row.id, url=row.url, checked_at=row.checked_at) for row in rows]

    # -- results ------------------------------------------------------------------------------

    def record_page(self, link_id: int, page: StoredPage) -> bool:
        """Stores a fetched page; returns True when its content changed (a new snapshot).

        Cached Core statements with bound parameters rather than ORM objects: this runs once
        per archived page, and the unit of work cost several times the SQL itself.
        """
        now = utcnow()
        with self._unless_removed(link_id), self.engine.begin() as conn:
            current = conn.execute(CURRENT_COPY, {"link_id_": link_id}).one()
            previous_hash = current.content_hash
            if previous_hash is None and current.status == LinkStatus.UNSUPPORTED:
                # An image keeps no searchable copy; its latest snapshot says if it changed.
                previous_hash = conn.execute(LATEST_HASH, {"link_id_": link_id}).scalar()
            changed = previous_hash != page.content_hash and not same_text(current, page)
            # The first fetch after an import: the page as linkvault saw it becomes the
            # current copy, even where its text is the imported one's.
            changed = changed or current.imported_from is not None
            snapshot_id: int | None = current.id
            if changed:
                snapshot = {
                    "link_id": link_id,
                    "fetched_at": now,
                    "etag": page.headers.get("etag"),
                    "last_modified": page.headers.get("last-modified"),
                    "raw": page.raw_compressed,
                    **{name: getattr(page, name) for name in PAGE_FIELDS},
                }
                snapshot_id = conn.execute(INSERT_SNAPSHOT, snapshot).scalar_one()
            status = LinkStatus.UNSUPPORTED if page.kind == "unsupported" else LinkStatus.OK
            values: dict[str, Any] = {
                "link_id_": link_id,
                "status": status,
                "error": None,
                "http_status": page.http_status,
                "failure_count": 0,
                "checked_at": now,
                "dead_since": None,
                "unreachable_since": None,
                "unreachable_reason": None,
                "snapshot_id": current.snapshot_id,
                "archived_at": current.archived_at,
                "needs_index": current.needs_index,
            }
            if status is LinkStatus.UNSUPPORTED:
                values["error"] = page.error or unsupported_reason(page.content_type)
            else:
                values["snapshot_id"] = snapshot_id
                if changed or current.archived_at is None:
                    values["archived_at"] = now
                values["needs_index"] = current.needs_index or changed or current.status != status
            conn.execute(UPDATE_LINK, values)
            check = {
                "link_id": link_id,
                "checked_at": now,
                "status": status,
                "http_status": page.http_status,
                "error": None,
                "snapshot_id": snapshot_id,
                "changed": changed,
            }
            conn.execute(INSERT_CHECK, check)
            self._recorded(conn, [link_id])
        return changed

    def record_unchanged(self, link_id: int, http_status: int | None) -> None:
        """A re-check that found the current copy unchanged (a 304, or the same bytes): no
        new snapshot, no extraction; a check in the history, and the link is ok again."""
        if self.record_unchanged_many([(link_id, http_status)]):
            raise LinkGone(link_id)

    def record_unchanged_many(self, results: Sequence[tuple[int, int | None]]) -> set[int]:
        """record_unchanged for several links, (link id, HTTP status) each, in one commit.
        Returns the links removed meanwhile, for which nothing was recorded."""
        now = utcnow()
        statuses = dict(results)
        for attempt in (1, 2):
            try:
                with self.engine.begin() as conn:
                    present = self._present(conn, list(statuses))
                    params = [
                        {"link_id_": link_id, "http_status_": http_status, "now_": now}
                        for link_id, http_status in statuses.items()
                        if link_id in present
                    ]
                    if params:
                        # Both statements only touch links that exist: a removed link gets
                        # no check (the insert selects from links) and no update.
                        conn.execute(CHECK_UNCHANGED, params)
                        conn.execute(MARK_UNCHANGED, params)
                    self._recorded(conn, list(statuses))
                return set(statuses) - present
            except IntegrityError:
                # A link removed between the look and the insert (PostgreSQL reads each
                # statement afresh): look again, once.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def record_failure(
        self,
        link_id: int,
        status: LinkStatus,
        error: str,
        http_status: int | None,
        *,
        counted: bool = True,
    ) -> LinkStatus:
        """A fetch that brought no page: failed, dead or blocked. The last good copy stays.

        Returns the link's status afterwards: temporary failures repeated over time make a
        link dead (see archiver.rot), and a dead link stays dead through them. A death signal
        (404, 410, host not found) on a link with a copy is only believed when a second check
        at least the failure spacing later sees it too; until then the link keeps its status
        and says since when it is unreachable. `counted=False` (another link of a host that
        already failed this way in the run) records the check and changes nothing.
        """
        if not counted:
            return self.record_inconclusive(
                link_id, f"{error} (counted once for its host)", http_status
            )
        now = utcnow()
        with self._unless_removed(link_id), self.session() as session:
            link = session.get_one(Link, link_id)
            # A pending link's copy can only be imported (archiver/imported.py): linkvault
            # never saw the page alive, so its first 404 is believed.
            if (
                status is LinkStatus.DEAD
                and link.snapshot_id is not None
                and link.status not in (LinkStatus.DEAD, LinkStatus.PENDING)
            ):
                first = link.unreachable_since
                if first is None or now - first < self.rot.failure_spacing:
                    return self._unconfirmed(session, link, now, error, http_status)
            result = status
            link.failure_count = 0
            if status is LinkStatus.FAILED:
                streak = [*self._failing_streak(session, link_id), now]
                link.failure_count = self.rot.counted_failures(streak)
                if link.status == LinkStatus.DEAD:
                    result = LinkStatus.DEAD  # a timeout says nothing of a page found gone
                elif self.rot.is_dead(link.failure_count):
                    result = LinkStatus.DEAD
                    error = (
                        f"{error}; failed {link.failure_count} checks since {min(streak):%Y-%m-%d}"
                    )
            if result is LinkStatus.DEAD and link.status != LinkStatus.DEAD:
                link.dead_since = now
            if result is LinkStatus.DEAD:
                link.unreachable_since = link.unreachable_reason = None
            if link.snapshot_id is not None and link.status != result:
                link.needs_index = True  # the index shows the status (a badge on dead links)
            # The check records the link going dead; a dead link's later timeouts as seen.
            check_status = result if link.status != result else status
            link.status = result
            link.error = error
            link.http_status = http_status
            link.checked_at = now
            session.add(
                Check(
                    link_id=link_id,
                    checked_at=now,
                    status=check_status,
                    http_status=http_status,
                    error=error,
                )
            )
            self._recorded(session.connection(), [link_id])
        return result

    def _unconfirmed(
        self, session: Session, link: Link, now: datetime, error: str, http_status: int | None
    ) -> LinkStatus:
        """A first death signal on a link with a copy: noted, the link as it was."""
        if link.unreachable_since is None:
            link.unreachable_since = now
            link.unreachable_reason = error
        link.checked_at = now
        session.add(
            Check(
                link_id=link.id,
                checked_at=now,
                status=CHECK_UNREACHABLE,
                http_status=http_status,
                error=f"{error} (not confirmed yet)",
            )
        )
        self._recorded(session.connection(), [link.id])
        return LinkStatus(link.status)

    def record_inconclusive(self, link_id: int, error: str, http_status: int | None) -> LinkStatus:
        """A check that says nothing about the link (taken while the network looked down, or
        a further link of a host already counted in this run): kept in the history, counted
        toward nothing; the link keeps its status, and stays due for its next check."""
        now = utcnow()
        with self._unless_removed(link_id), self.session() as session:
            link = session.get_one(Link, link_id)
            session.add(
                Check(
                    link_id=link_id,
                    checked_at=now,
                    status=CHECK_INCONCLUSIVE,
                    http_status=http_status,
                    error=error,
                )
            )
            self._recorded(session.connection(), [link_id])
            return LinkStatus(link.status)

    # -- re-extraction ----------------------------------------------------------------------

    def snapshots_to_reextract(
        self, link_ids: Sequence[int] | None = None, *, older_than: int | None = None
    ) -> list[int]:
        """Snapshot ids, oldest first: those extracted before version ``older_than`` (or
        before versions were kept), every one if it is None; of these links only if given."""
        query = select(Snapshot.id).order_by(Snapshot.id)
        if older_than is not None:
            query = query.where(
                or_(Snapshot.extracted_with.is_(None), Snapshot.extracted_with < older_than)
            )
        with self.session() as session:
            if link_ids is None:
                return list(session.scalars(query))
            ids: list[int] = []
            wanted = sorted(set(link_ids))
            for start in range(0, len(wanted), 500):  # SQLite's bound-parameter limit
                chunk = wanted[start : start + 500]
                ids += session.scalars(query.where(Snapshot.link_id.in_(chunk)))
            return sorted(ids)

    def stored_bodies(self, snapshot_ids: Sequence[int]) -> list[StoredBody]:
        """These snapshots' bodies (compressed, as stored), in the order given."""
        query = select(
            Snapshot.id,
            Snapshot.link_id,
            Snapshot.final_url,
            Snapshot.http_status,
            Snapshot.content_type,
            Snapshot.headers,
            Snapshot.raw,
        )
        found: dict[int, StoredBody] = {}
        with self.session() as session:
            for start in range(0, len(snapshot_ids), 500):
                chunk = list(snapshot_ids[start : start + 500])
                for row in session.execute(query.where(Snapshot.id.in_(chunk))):
                    found[row.id] = StoredBody(
                        snapshot_id=row.id,
                        link_id=row.link_id,
                        final_url=row.final_url,
                        http_status=row.http_status,
                        content_type=row.content_type,
                        headers=dict(row.headers or {}),
                        raw_compressed=row.raw or b"",
                    )
        return [found[i] for i in snapshot_ids if i in found]

    def record_reextractions(
        self, pages: Sequence[tuple[int, StoredPage]], skipped: Sequence[int] = (), version: int = 0
    ) -> list[Reextracted]:
        """Stores what extracting these snapshots' bodies again gave, in one commit; marks
        ``skipped`` (no body to extract) as done by ``version``. A link whose current
        snapshot's text or title changed is marked for the index in the same commit.

        The fetch itself (body, hash, headers, when) stays as it was: the snapshot still
        records that fetch, only read better."""
        done: list[Reextracted] = []
        if not pages and not skipped:
            return done
        with self.engine.begin() as conn:
            for snapshot_id, page in pages:
                before = conn.execute(
                    select(Snapshot.link_id, Snapshot.text, Snapshot.title, Link.snapshot_id)
                    .join(Link, Link.id == Snapshot.link_id)
                    .where(Snapshot.id == snapshot_id)
                ).one_or_none()
                if before is None:  # deleted meanwhile (a restore, a repair)
                    continue
                conn.execute(
                    update(Snapshot)
                    .where(Snapshot.id == snapshot_id)
                    .values({name: getattr(page, name) for name in EXTRACTED_FIELDS})
                )
                changed = before.text != page.text or before.title != page.title
                current = before.snapshot_id == snapshot_id
                if changed and current:
                    conn.execute(
                        update(Link).where(Link.id == before.link_id).values(needs_index=True)
                    )
                done.append(Reextracted(snapshot_id, before.link_id, changed, current))
            if skipped:
                conn.execute(
                    update(Snapshot)
                    .where(Snapshot.id == bindparam("snapshot_id_"))
                    .values(extracted_with=version),
                    [{"snapshot_id_": snapshot_id} for snapshot_id in skipped],
                )
        return done

    @contextmanager
    def _unless_removed(self, link_id: int) -> Iterator[None]:
        """Around a result's transaction: the errors a write meets when its link was removed
        meanwhile (no row to read, a foreign key to nothing) become LinkGone once the
        transaction is rolled back; any other error stays what it is."""
        try:
            yield
        except (NoResultFound, IntegrityError):
            with self.engine.connect() as conn:
                if self._present(conn, [link_id]):
                    raise
            raise LinkGone(link_id) from None

    @staticmethod
    def _present(conn: Connection, link_ids: Sequence[int]) -> set[int]:
        """Those of these links that exist."""
        found: set[int] = set()
        for start in range(0, len(link_ids), 500):
            chunk = list(link_ids[start : start + 500])
            found.update(conn.execute(select(Link.id).where(Link.id.in_(chunk))).scalars())
        return found

    def _recorded(self, conn: Connection, link_ids: Sequence[int]) -> None:
        """Runs in the transaction that records these links' results. The work queue's store
        (archiver/queue.py) takes them off the queue there, so a result and its release
        commit together: a worker killed in between leaves nothing to fetch twice."""

    @staticmethod
    def _failing_streak(session: Session, link_id: int) -> list[datetime]:
        """When this link's failed checks since its last check of any other status were."""
        last_other = (
            select(func.coalesce(func.max(Check.id), 0))
            .where(
                Check.link_id == link_id,
                Check.status.notin_([LinkStatus.FAILED.value, CHECK_INCONCLUSIVE]),
            )
            .scalar_subquery()
        )
        query = select(Check.checked_at).where(
            Check.link_id == link_id, Check.status == LinkStatus.FAILED, Check.id > last_other
        )
        return list(session.scalars(query))

    def get_link(self, link_id: int) -> Link | None:
        with self.session() as session:
            return session.get(Link, link_id)
