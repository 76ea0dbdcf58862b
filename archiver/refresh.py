"""Which links a refresh re-checks, each with what a conditional request needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from archiver.models import Link, LinkStatus, Snapshot, utcnow
from archiver.records import LinkTask
from archiver.store import Store


@dataclass(frozen=True, slots=True)
class RefreshSelection:
    """What `linkvault refresh` was asked for.

    By default: links last checked longer than `refresh_after` ago (or never), failed links
    whose retry delay has passed, and links with an unconfirmed death signal (unreachable
    since) once the failure spacing has passed, so the second check that decides comes soon.
    `older_than` replaces that age (and drops both rules); `failed_only` keeps failed links
    only, whatever their age unless `older_than` is given;
    `everything` ignores age; `link_ids` names the links, whatever their age.
    """

    older_than: timedelta | None = None
    failed_only: bool = False
    everything: bool = False
    link_ids: Sequence[int] | None = None


def refresh_tasks(
    store: Store,
    selection: RefreshSelection,
    refresh_after: timedelta,
    now: datetime | None = None,
) -> list[LinkTask]:
    """The links due, in list order, with the current copy's validators and hash."""
    now = now or utcnow()
    query = (
        select(
            Link.id,
            Link.url,
            Link.status,
            Link.checked_at,
            Link.failure_count,
            Link.unreachable_since,
            Snapshot.etag,
            Snapshot.last_modified,
            Snapshot.content_hash,
        )
        .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
        .order_by(Link.position, Link.id)
    )
    if selection.failed_only:
        query = query.where(Link.status == LinkStatus.FAILED)
    wanted = None if selection.link_ids is None else set(selection.link_ids)
    tasks: list[LinkTask] = []
    with store.session() as session:
        for row in session.execute(query):
            if wanted is not None and row.id not in wanted:
                continue
            if not _due(
                row.status, row.checked_at, row.failure_count, selection, store, refresh_after, now
            ) and not _confirm_due(row.unreachable_since, row.checked_at, selection, store, now):
                continue
            tasks.append(
                LinkTask(
                    id=row.id,
                    url=row.url,
                    etag=row.etag,
                    last_modified=row.last_modified,
                    content_hash=row.content_hash,
                    status=row.status,
                    checked_at=row.checked_at,
                )
            )
    return tasks


def _confirm_due(
    unreachable_since: datetime | None,
    checked_at: datetime | None,
    selection: RefreshSelection,
    store: Store,
    now: datetime,
) -> bool:
    if unreachable_since is None or checked_at is None or selection.older_than is not None:
        return False
    if selection.failed_only or selection.link_ids is not None:
        return False  # _due decided for these
    return checked_at <= now - store.rot.failure_spacing


def _due(
    status: str,
    checked_at: datetime | None,
    failure_count: int,
    selection: RefreshSelection,
    store: Store,
    refresh_after: timedelta,
    now: datetime,
) -> bool:
    if selection.everything:
        return True
    if selection.older_than is not None:
        return checked_at is None or checked_at <= now - selection.older_than
    if selection.link_ids is not None or selection.failed_only:
        return True
    if checked_at is None or checked_at <= now - refresh_after:
        return True
    if status == LinkStatus.FAILED:
        return checked_at <= now - store.rot.retry_delay(failure_count, refresh_after)
    return False
