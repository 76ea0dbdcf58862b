"""The shared work queue: links waiting for a worker, and the leases of the workers on them.

The queue is four columns of `links` (migration 0003): `queued` says what to do ("archive"
or "refresh"), `queued_at` since when, `lease_owner` and `lease_until` which worker holds
the link and until when. Any number of `linkvault worker` processes, on any number of
machines, share one database:

- `enqueue` marks links; a link already queued stays as it is (one entry per link).
- `WorkQueue.claim` leases due links (queued, and not leased or the lease expired) to one
  worker, oldest first, never more than `per_host` leases on one host across all workers.
- The worker renews its leases while it works on them. One that dies stops renewing; its
  leases expire and other workers claim those links: nothing is lost.
- A result is stored and the link taken off the queue in one transaction (`QueueStore`), so
  a link is fetched again only if its worker died (or stalled past its lease) before storing
  it. `release` hands links back unfinished: at shutdown, or after an unexpected error.
- A link taken MAX_ATTEMPTS times without a stored result (its workers died on it, or hit
  an unexpected error) is given up on: off the queue, marked with the reason, due again
  only as a failed link's retry (the rot policy's spacing), so it cannot take down worker
  after worker forever.

Lease times come from the database's clock on PostgreSQL, so workers on machines whose
clocks disagree still agree on when a lease ends. SQLite is one machine: its clock is ours.

One module of about 400 lines on purpose: enqueueing, claiming, renewing, finishing and
releasing are one protocol over the same four columns, and each step relies on the others'
rules (what "off the queue" holds, whose clock, when a lease is free); read apart, the
protocol could not be checked in one place.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from archiver.links import Links
from archiver.models import Link, LinkStatus, Snapshot, UTCDateTime, host_of, utcnow
from archiver.records import LinkTask
from archiver.rot import RotPolicy

log = logging.getLogger("linkvault.queue")

ARCHIVE = "archive"
REFRESH = "refresh"
KINDS = (ARCHIVE, REFRESH)

MAX_ATTEMPTS = 5
GAVE_UP = f"gave up after {MAX_ATTEMPTS} attempts: the workers that took it died or failed on it"

# What a link off the queue holds: no work, no lease, no attempts.
_OFF_QUEUE: dict[str, object] = {
    "queued": None,
    "queued_at": None,
    "lease_owner": None,
    "lease_until": None,
    "queue_attempts": 0,
}

# pg_advisory_xact_lock key ("lvclaim" in ASCII) that serialises claims; see WorkQueue.claim.
CLAIM_LOCK = 0x6C76_636C_6169_6D
# Passes of the claim over the queue, each skipping the hosts the previous ones found full.
_CLAIM_PASSES = 4
_CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _now(conn: Connection) -> datetime:
    """The database's time on PostgreSQL (one clock for every machine), else ours.

    clock_timestamp(), not now(): now() is when the transaction began, before a claim
    waited its turn."""
    if conn.dialect.name == "postgresql":
        value: datetime = conn.execute(select(func.clock_timestamp())).scalar_one()
        return value
    return utcnow()


def _unleased(now: datetime) -> ColumnElement[bool]:
    # A released link may carry a "not before" time with no owner: unleased once it passes.
    return or_(Link.lease_until.is_(None), Link.lease_until <= now)


def enqueue(
    engine: Engine,
    link_ids: Sequence[int],
    kind: str,
    seen: Mapping[int, datetime | None] | None = None,
) -> int:
    """Queues these links for the workers; returns how many were not queued already.

    With `seen` (each link's checked_at when the caller chose it), a link checked since is
    left off the queue: a scheduler that chose the links due, while workers were finishing
    some of them, would otherwise have them fetched again at once."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of work: {kind!r}")
    queued = 0
    values = {"queued": kind, "lease_owner": None, "lease_until": None, "queue_attempts": 0}
    with engine.begin() as conn:
        now = _now(conn)
        for chunk in _chunks(sorted(set(link_ids))):
            # Links made before their host was known (or by hand) get it now: the claim
            # counts leases by host.
            missing = conn.execute(
                select(Link.id, Link.url).where(Link.id.in_(chunk), Link.host.is_(None))
            ).all()
            if missing:
                conn.execute(
                    update(Link).where(Link.id == bindparam("id_")).values(host=bindparam("h")),
                    [{"id_": row.id, "h": host_of(row.url)} for row in missing],
                )
            if seen is None:
                result = conn.execute(
                    update(Link)
                    .where(Link.id.in_(chunk), Link.queued.is_(None))
                    .values(queued_at=now, **values)
                )
                queued += result.rowcount
                continue
            free = list(
                conn.execute(
                    select(Link.id).where(Link.id.in_(chunk), Link.queued.is_(None))
                ).scalars()
            )
            if not free:
                continue
            conn.execute(
                update(Link)
                .where(
                    Link.id == bindparam("id_"),
                    Link.queued.is_(None),
                    Link.checked_at.is_not_distinct_from(bindparam("seen", type_=UTCDateTime)),
                )
                .values(queued_at=now, **values),
                [{"id_": link_id, "seen": seen.get(link_id)} for link_id in free],
            )
            # Counted, not summed from rowcount: not every driver totals an executemany.
            queued += conn.execute(
                select(func.count()).where(
                    Link.id.in_(free), Link.queued == kind, Link.queued_at == now
                )
            ).scalar_one()
    return queued


@dataclass(frozen=True, slots=True)
class QueueCounts:
    queued: int  # links waiting or being worked on
    leased: int  # of those, held by a live lease
    expired: int  # held by a lease that ran out: their worker is gone, or stalled


def queue_counts(engine: Engine) -> QueueCounts:
    with engine.connect() as conn:
        now = _now(conn)
        held = Link.lease_owner.is_not(None)
        row = conn.execute(
            select(
                func.count(),
                func.count().filter(held & (Link.lease_until > now)),
                func.count().filter(held & (Link.lease_until <= now)),
            ).where(Link.queued.is_not(None))
        ).one()
    return QueueCounts(queued=row[0], leased=row[1], expired=row[2])


class WorkQueue:
    """One worker's side of the queue: what it claims, renews, finishes and releases."""

    def __init__(self, engine: Engine, *, owner: str, lease: timedelta, per_host: int) -> None:
        if per_host < 1:
            raise ValueError("per_host must be at least 1")
        self.engine = engine
        self.owner = owner
        self.lease = lease
        self.per_host = per_host

    def claim(self, limit: int) -> list[LinkTask]:
        """Leases up to `limit` due links to this worker, oldest first, keeping every host
        within `per_host` leases across all workers; returns them ready to fetch.

        The per-host count and the taking must be one atomic step across workers: two
        workers that each see one free slot on a host would otherwise both take it. Claims
        are therefore serialised by one transaction-scoped advisory lock on PostgreSQL (on
        SQLite, by taking the write lock first). A claim is a few milliseconds against a
        fetch of hundreds, so the serialisation costs little, and it needs no lock order and
        no hosts table, as per-host locks would. FOR UPDATE SKIP LOCKED still locks the rows
        taken, passing over any that a worker is renewing, finishing or releasing right now.
        """
        if limit <= 0:
            return []
        with self.engine.begin() as conn:
            self._serialise_claims(conn)
            now = _now(conn)
            chosen, exhausted = self._choose(conn, now, limit)
            if exhausted:
                self._give_up(conn, now, exhausted)
            if not chosen:
                return []
            taken = list(
                conn.execute(
                    select(Link.id)
                    .where(Link.id.in_(chosen), Link.queued.is_not(None), _unleased(now))
                    .with_for_update(skip_locked=True)
                ).scalars()
            )
            if not taken:
                return []
            conn.execute(
                update(Link)
                .where(Link.id.in_(taken))
                .values(
                    lease_owner=self.owner,
                    lease_until=now + self.lease,
                    queue_attempts=Link.queue_attempts + 1,
                )
            )
            return self._tasks(conn, taken)

    @staticmethod
    def _give_up(conn: Connection, now: datetime, link_ids: list[int]) -> None:
        urls = conn.execute(select(Link.url).where(Link.id.in_(link_ids))).scalars().all()
        conn.execute(
            update(Link)
            .where(Link.id.in_(link_ids))
            .values(
                **_OFF_QUEUE,
                # A link with a copy keeps its status (and copy); one without is failed.
                status=case(
                    (Link.status == LinkStatus.PENDING, LinkStatus.FAILED), else_=Link.status
                ),
                # Not a failure of the site: its failure count (the road to dead) stays.
                error=GAVE_UP,
                checked_at=now,
            )
        )
        log.warning("gave up on %d links after %d attempts: %s", len(urls), MAX_ATTEMPTS, urls)

    @staticmethod
    def _serialise_claims(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK)))
        else:
            # A write that changes nothing takes SQLite's write lock now, so what this
            # claim reads cannot change before it writes.
            conn.execute(text("UPDATE links SET lease_owner = lease_owner WHERE id = -1"))

    def _choose(self, conn: Connection, now: datetime, limit: int) -> tuple[list[int], list[int]]:
        """The due links to take, and the due links met on the way that were taken
        MAX_ATTEMPTS times already (given up on by the caller). Exhausted links are found
        among the rows the claim reads anyway, oldest first, not by a scan of their own."""
        host = func.coalesce(Link.host, "")
        leased: Counter[str] = Counter(
            dict(
                conn.execute(
                    select(host, func.count())
                    .where(Link.lease_owner.is_not(None), Link.lease_until > now)
                    .group_by(host)
                ).all()
            )
        )
        full = {name for name, count in leased.items() if count >= self.per_host}
        chosen: list[int] = []
        exhausted: list[int] = []
        for _ in range(_CLAIM_PASSES):
            wanted = limit - len(chosen)
            scan = wanted * 4 + self.per_host
            query = (
                select(Link.id, host.label("host"), Link.queue_attempts)
                .where(Link.queued.is_not(None), _unleased(now))
                .order_by(Link.queued_at, Link.id)
                .limit(scan)
            )
            if full:
                query = query.where(host.not_in(sorted(full)))
            if chosen or exhausted:
                query = query.where(Link.id.not_in(chosen + exhausted))
            rows = conn.execute(query).all()
            for row in rows:
                if row.queue_attempts >= MAX_ATTEMPTS:
                    exhausted.append(row.id)
                    continue
                if row.host in full:
                    continue
                chosen.append(row.id)
                leased[row.host] += 1
                if leased[row.host] >= self.per_host:
                    full.add(row.host)
                if len(chosen) >= limit:
                    return chosen, exhausted
            if len(rows) < scan:
                break  # every due link was seen
        return chosen, exhausted

    @staticmethod
    def _tasks(conn: Connection, link_ids: list[int]) -> list[LinkTask]:
        """What the pipeline needs; a refresh brings the current copy's validators, so an
        unchanged page costs a 304."""
        rows = conn.execute(
            select(
                Link.id,
                Link.url,
                Link.status,
                Link.queued,
                Snapshot.etag,
                Snapshot.last_modified,
                Snapshot.content_hash,
            )
            .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
            .where(Link.id.in_(link_ids))
            .order_by(Link.queued_at, Link.id)
        ).all()
        tasks = []
        for row in rows:
            refresh = row.queued == REFRESH
            tasks.append(
                LinkTask(
                    id=row.id,
                    url=row.url,
                    etag=row.etag if refresh else None,
                    last_modified=row.last_modified if refresh else None,
                    content_hash=row.content_hash if refresh else None,
                    status=row.status,
                )
            )
        return tasks

    def renew(self, link_ids: Sequence[int]) -> set[int]:
        """Extends this worker's leases on these links; returns those it no longer holds
        (it stalled past a lease and another worker claimed the link). A link removed
        meanwhile is not among them: nobody holds it, and its result will be recorded
        nowhere (archiver/links.py, LinkGone)."""
        held: set[int] = set()
        with self.engine.begin() as conn:
            now = _now(conn)
            for chunk in _chunks(list(link_ids)):
                result = conn.execute(
                    update(Link)
                    .where(Link.id.in_(chunk), Link.lease_owner == self.owner)
                    .values(lease_until=now + self.lease)
                    .returning(Link.id)
                )
                held.update(result.scalars())
            lost: set[int] = set()
            for chunk in _chunks(sorted(set(link_ids) - held)):
                lost.update(conn.execute(select(Link.id).where(Link.id.in_(chunk))).scalars())
        return lost

    def finish(self, conn: Connection, link_ids: Sequence[int]) -> None:
        """Takes these links off the queue, in the transaction that stored their results;
        only those this worker still holds (another may have claimed one after its lease)."""
        for chunk in _chunks(list(link_ids)):
            conn.execute(
                update(Link)
                .where(Link.id.in_(chunk), Link.lease_owner == self.owner)
                .values(**_OFF_QUEUE)
            )

    def release(self, link_ids: Sequence[int] | None = None, delay: timedelta | None = None) -> int:
        """Hands links back unfinished (all this worker holds when None), for any worker to
        claim at once or, with `delay`, after that long. Returns how many were released."""
        released = 0
        with self.engine.begin() as conn:
            not_before = None if delay is None else _now(conn) + delay
            mine = Link.lease_owner == self.owner
            values: dict[str, object] = {"lease_owner": None, "lease_until": not_before}
            if delay is None:  # handed back unharmed (a shutdown): not an attempt
                values["queue_attempts"] = case(
                    (Link.queue_attempts > 0, Link.queue_attempts - 1), else_=0
                )
            if link_ids is None:
                return conn.execute(update(Link).where(mine).values(**values)).rowcount
            for chunk in _chunks(list(link_ids)):
                chosen = and_(Link.id.in_(chunk), mine)
                result = conn.execute(update(Link).where(chosen).values(**values))
                released += result.rowcount
        return released

    def pending(self) -> int:
        """Links queued, whoever holds them: a worker told to exit when idle waits for these
        (an expired lease makes its links claimable again)."""
        with self.engine.connect() as conn:
            count: int = conn.execute(
                select(func.count()).where(Link.queued.is_not(None))
            ).scalar_one()
        return count


class QueueStore(Links):
    """The store a worker's pipeline writes through: each stored result also takes its link
    off the queue, in the same transaction."""

    def __init__(self, engine: Engine, rot: RotPolicy | None, queue: WorkQueue) -> None:
        super().__init__(engine, rot)
        self.queue = queue

    def _recorded(self, conn: Connection, link_ids: Sequence[int]) -> None:
        self.queue.finish(conn, link_ids)
