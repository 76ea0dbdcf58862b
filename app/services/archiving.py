"""The archiving use cases, each decided here once for the command line, the write API's
background jobs and the worker: which links to archive or refresh, and whether they run here
and now or, with LINKVAULT_WORK_QUEUE on, go to the queue for `linkvault worker`
(archiver/queue.py). Callers show the outcome; they do not choose it."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from app.services.vault import Vault
from archiver import LinkTask
from archiver.pipeline import LinkDone, RunSummary
from archiver.queue import ARCHIVE, REFRESH, QueueCounts, enqueue, queue_counts
from archiver.refresh import RefreshSelection, refresh_tasks

OnDone = Callable[[LinkDone], None]
# Entered around a run here (never when the links are queued) with the links to run; gives
# the function that hears of each finished link: the command line's progress bar.
Watch = Callable[[Sequence[LinkTask]], AbstractContextManager[OnDone | None]]
_Run = Callable[..., RunSummary]


@dataclass(frozen=True, slots=True)
class Queued:
    """Links handed to the workers instead of run here."""

    kind: str  # archive or refresh
    chosen: int  # links asked for
    queued: int  # newly queued; the others were queued already
    waiting: QueueCounts  # the queue afterwards

    @property
    def already(self) -> int:
        return self.chosen - self.queued


def tasks_to_archive(vault: Vault, link_ids: Sequence[int]) -> list[LinkTask]:
    """Those of these links not archived yet (pending, failed, blocked or dead)."""
    return vault.store.links.tasks_for_archive(link_ids)


def tasks_to_refresh(vault: Vault, selection: RefreshSelection) -> list[LinkTask]:
    """The links this selection makes due for a check (LINKVAULT_REFRESH_AFTER)."""
    return refresh_tasks(vault.store, selection, vault.settings.refresh_after)


def archive_or_queue(
    vault: Vault, tasks: Sequence[LinkTask], watch: Watch | None = None
) -> RunSummary | Queued:
    """Fetches, extracts, stores and indexes these links, or queues them for the workers."""
    return _run_or_queue(vault, ARCHIVE, tasks, vault.archive, watch)


def refresh_or_queue(
    vault: Vault, tasks: Sequence[LinkTask], watch: Watch | None = None
) -> RunSummary | Queued:
    """Re-checks these links (see Vault.refresh), or queues them for the workers."""
    return _run_or_queue(vault, REFRESH, tasks, vault.refresh, watch)


def queue(vault: Vault, kind: str, tasks: Sequence[LinkTask]) -> Queued:
    """Queues these links for the workers; a link checked since it was chosen is left off."""
    seen = {task.id: task.checked_at for task in tasks}
    queued = enqueue(vault.store.engine, list(seen), kind, seen=seen)
    return Queued(kind, len(tasks), queued, queue_counts(vault.store.engine))


def _run_or_queue(
    vault: Vault, kind: str, tasks: Sequence[LinkTask], run: _Run, watch: Watch | None
) -> RunSummary | Queued:
    if vault.settings.work_queue:  # the workers fetch them (`linkvault worker`)
        return queue(vault, kind, tasks)
    with (watch or _unwatched)(tasks) as on_done:
        summary: RunSummary = run(tasks, on_done=on_done)
    return summary


@contextlib.contextmanager
def _unwatched(tasks: Sequence[LinkTask]) -> Iterator[OnDone | None]:
    yield None
