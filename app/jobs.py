"""Archiving started from the write API, run after the response in a worker thread; or,
with LINKVAULT_WORK_QUEUE on, queued for `linkvault worker` (archiver/queue.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime

from app.vault import Vault
from archiver.queue import ARCHIVE, REFRESH, enqueue
from archiver.records import LinkTask
from archiver.refresh import RefreshSelection, refresh_tasks

log = logging.getLogger("linkvault.jobs")


class ArchiveJobs:
    """Runs one archive at a time: the index has a single writer, and a second run would only
    wait on its lock (or time out) while holding a worker thread."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._lock = threading.Lock()

    def archive_new(self, link_ids: Sequence[int]) -> None:
        """Fetches those of these links not archived yet (pending or failed)."""
        if self._vault.settings.work_queue:
            tasks = self._vault.store.links.tasks_for_archive(link_ids)
            self._enqueue([task.id for task in tasks], seen={t.id: t.checked_at for t in tasks})
            return
        with self._lock:
            tasks = self._vault.store.links.tasks_for_archive(link_ids)
            self._run(tasks)

    def refresh(self, link_id: int) -> None:
        """Checks this link again, whatever its status: a conditional request when its copy
        has validators, a new snapshot only if the page changed."""
        if self._vault.settings.work_queue:
            self._enqueue([link_id], REFRESH)
            return
        with self._lock:
            # Empty when the link was deleted between the request and now.
            selection = RefreshSelection(link_ids=[link_id])
            tasks = refresh_tasks(self._vault.store, selection, self._vault.settings.refresh_after)
            self._run(tasks, refresh=True)

    def _enqueue(
        self,
        link_ids: list[int],
        kind: str = ARCHIVE,
        seen: Mapping[int, datetime | None] | None = None,
    ) -> None:
        try:
            queued = enqueue(self._vault.store.engine, link_ids, kind, seen=seen)
        except Exception:  # a background failure must be visible in the server log
            log.exception("queueing %d links to %s failed", len(link_ids), kind)
            return
        log.info("queued %d links to %s for the workers", queued, kind)

    def _run(self, tasks: list[LinkTask], refresh: bool = False) -> None:
        if not tasks:
            return
        kind = "refresh" if refresh else "archive"
        try:
            run = self._vault.refresh if refresh else self._vault.archive
            summary = run(tasks)
        except Exception:  # a background failure must be visible in the server log
            log.exception("%s of %d links failed", kind, len(tasks))
            return
        log.info("%s: %d links: %s", kind, summary.total, dict(summary.counts))
