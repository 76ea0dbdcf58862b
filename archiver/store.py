"""The database: the source of truth for links, snapshots and checks."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, event, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from archiver.models import Base, Check, Link, LinkStatus, Run, Snapshot, utcnow
from archiver.sources import LinkSpec

# Writers wait this long for another process's transaction before SQLite says "locked".
BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine with SQLite tuned for one writer and many readers (WAL, busy timeout)."""
    is_sqlite = url.startswith("sqlite")
    connect_args: dict[str, Any] = {}
    if is_sqlite:
        connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    engine = create_engine(url, connect_args=connect_args)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # NORMAL is durable in WAL mode except for the last transactions on power loss,
    # never corrupting; FULL would fsync every link.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass(frozen=True, slots=True)
class ImportCounts:
    new: int
    existing: int
    link_ids: list[int]


@dataclass(frozen=True, slots=True)
class LinkTask:
    """What the pipeline needs to fetch a link, detached from any session."""

    id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A fetched page as the extraction worker hands it back."""

    final_url: str
    http_status: int | None
    content_type: str | None
    headers: dict[str, str]
    content_hash: str
    raw_compressed: bytes
    size: int
    kind: str
    text: str
    title: str | None
    author: str | None
    published: str | None
    sitename: str | None
    description: str | None
    language: str | None
    error: str | None = None  # why there is no text, for unsupported pages


# Statements built once: SQLAlchemy caches their compiled form, and each page only binds values.
_CURRENT_COPY = (
    select(
        Link.status,
        Link.archived_at,
        Link.needs_index,
        Link.snapshot_id,
        Snapshot.id,
        Snapshot.content_hash,
    )
    .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
    .where(Link.id == bindparam("link_id_"))
)
_INSERT_SNAPSHOT = insert(Snapshot).returning(Snapshot.id)
_UPDATE_LINK = update(Link).where(Link.id == bindparam("link_id_"))
_INSERT_CHECK = insert(Check)
_PAGE_FIELDS = (
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


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress(raw: bytes) -> bytes:
    return zlib.decompress(raw) if raw else b""


class Store:
    """Reads and writes links; every write is its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # -- import ---------------------------------------------------------------------------

    def add_links(self, specs: Iterable[LinkSpec]) -> ImportCounts:
        """Stores each new normalised URL once; a link seen before keeps what it was."""
        new = existing = 0
        ids: list[int] = []
        seen: set[str] = set()
        with self.session() as session:
            position = session.scalar(select(func.max(Link.position))) or 0
            for spec in specs:
                if spec.normalized_url in seen:
                    continue
                seen.add(spec.normalized_url)
                link_id = session.scalar(
                    select(Link.id).where(Link.normalized_url == spec.normalized_url)
                )
                if link_id is not None:
                    existing += 1
                    ids.append(link_id)
                    continue
                position += 1
                link = Link(
                    url=spec.url,
                    normalized_url=spec.normalized_url,
                    title=spec.title,
                    section=spec.section,
                    tags=list(spec.tags),
                    source=spec.source,
                    source_line=spec.line,
                    position=position,
                    status=LinkStatus.PENDING,
                )
                session.add(link)
                session.flush()
                new += 1
                ids.append(link.id)
        return ImportCounts(new=new, existing=existing, link_ids=ids)

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
                select(Link.id, Link.url)
                .where(Link.status.in_(retry) | never_archived_dead)
                .order_by(Link.id)
            )
            rows = session.execute(query).all()
        if link_ids is not None:
            keep = set(link_ids)
            rows = [row for row in rows if row.id in keep]
        return [LinkTask(id=row.id, url=row.url) for row in rows]

    # -- results ------------------------------------------------------------------------------

    def record_page(self, link_id: int, page: StoredPage) -> bool:
        """Stores a fetched page; returns True when its content changed (a new snapshot).

        Cached Core statements with bound parameters rather than ORM objects: this runs once
        per archived page, and the unit of work cost several times the SQL itself.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            current = conn.execute(_CURRENT_COPY, {"link_id_": link_id}).one()
            changed = current.content_hash != page.content_hash
            snapshot_id: int | None = current.id
            if changed:
                snapshot = {
                    "link_id": link_id,
                    "fetched_at": now,
                    "etag": page.headers.get("etag"),
                    "last_modified": page.headers.get("last-modified"),
                    "raw": page.raw_compressed,
                    **{name: getattr(page, name) for name in _PAGE_FIELDS},
                }
                snapshot_id = conn.execute(_INSERT_SNAPSHOT, snapshot).scalar_one()
            status = LinkStatus.UNSUPPORTED if page.kind == "unsupported" else LinkStatus.OK
            values: dict[str, Any] = {
                "link_id_": link_id,
                "status": status,
                "error": None,
                "http_status": page.http_status,
                "failure_count": 0,
                "checked_at": now,
                "dead_since": None,
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
            conn.execute(_UPDATE_LINK, values)
            check = {
                "link_id": link_id,
                "checked_at": now,
                "status": status,
                "http_status": page.http_status,
                "error": None,
                "snapshot_id": snapshot_id,
                "changed": changed,
            }
            conn.execute(_INSERT_CHECK, check)
        return changed

    def record_failure(
        self, link_id: int, status: LinkStatus, error: str, http_status: int | None
    ) -> None:
        """A fetch that brought no page: failed, dead or blocked. The last good copy stays."""
        now = utcnow()
        with self.session() as session:
            link = session.get_one(Link, link_id)
            if status is LinkStatus.DEAD and link.status != LinkStatus.DEAD:
                link.dead_since = now
            if link.snapshot_id is not None and link.status != status:
                link.needs_index = True  # the index shows the status (a badge on dead links)
            link.status = status
            link.error = error
            link.http_status = http_status
            link.checked_at = now
            link.failure_count = link.failure_count + 1 if status is LinkStatus.FAILED else 0
            session.add(
                Check(
                    link_id=link_id,
                    checked_at=now,
                    status=status,
                    http_status=http_status,
                    error=error,
                )
            )

    # -- index bookkeeping ------------------------------------------------------------------

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

    def searchable(self, link_ids: Sequence[int] | None = None) -> Iterator[tuple[Link, Snapshot]]:
        """Links with a searchable copy and that copy, in id order, 500 at a time."""
        base = select(Link, Snapshot).join(Snapshot, Link.snapshot_id == Snapshot.id)
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

    # -- runs and status ----------------------------------------------------------------------

    def start_run(self, kind: str) -> int:
        with self.session() as session:
            run = Run(kind=kind)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(self, run_id: int, counts: dict[str, int]) -> None:
        with self.session() as session:
            run = session.get_one(Run, run_id)
            run.finished_at = utcnow()
            run.counts = counts

    def status_counts(self) -> dict[str, int]:
        with self.session() as session:
            rows = session.execute(select(Link.status, func.count()).group_by(Link.status)).all()
        counts = {status.value: 0 for status in LinkStatus}
        counts.update({status: count for status, count in rows})
        return counts

    def links_with_status(self, status: LinkStatus, limit: int = 100) -> list[Link]:
        with self.session() as session:
            query = select(Link).where(Link.status == status).order_by(Link.id).limit(limit)
            return list(session.scalars(query))

    def problem_links(self, link_ids: Sequence[int], limit: int = 200) -> list[Link]:
        """Links among these that are not archived, for the end-of-run report."""
        bad = [s for s in LinkStatus if s not in (LinkStatus.OK, LinkStatus.PENDING)]
        found: list[Link] = []
        with self.session() as session:
            for start in range(0, len(link_ids), 500):
                chunk = list(link_ids[start : start + 500])
                query = select(Link).where(Link.id.in_(chunk), Link.status.in_(bad))
                found.extend(session.scalars(query.order_by(Link.id)))
        return found[:limit]

    def last_run(self) -> Run | None:
        with self.session() as session:
            return session.scalars(select(Run).order_by(Run.id.desc()).limit(1)).first()

    def get_link(self, link_id: int) -> Link | None:
        with self.session() as session:
            return session.get(Link, link_id)


def unsupported_reason(content_type: str | None) -> str:
    return f"{content_type or 'this content type'} has no text to extract"


def as_datetime(value: str | None) -> datetime | None:
    """Parses an ISO date from extraction metadata; anything else is dropped."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
