"""Archiving started from the write API, run after the response in a worker thread; or,
with LINKVAULT_WORK_QUEUE on, queued for `linkvault worker` (app/services/archiving.py
decides which)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from app.services.archiving import (
    Queued,
    archive_or_queue,
    refresh_or_queue,
    tasks_to_archive,
    tasks_to_refresh,
)
from app.services.vault import Vault
from archiver import LinkTask
from archiver.pipeline import RunSummary
from archiver.refresh import RefreshSelection

log = logging.getLogger("linkvault.jobs")


class ArchiveJobs:
    """Runs one archive at a time: the index has a single writer, and a second run would only
    wait on its lock (or time out) while holding a worker thread."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._lock = threading.Lock()

    def archive_new(self, link_ids: Sequence[int]) -> None:
        """Fetches those of these links not archived yet (pending or failed)."""
        with self._lock:
            tasks = tasks_to_archive(self._vault, link_ids)
            self._run("archive", archive_or_queue, tasks)

    def refresh(self, link_id: int) -> None:
        """Checks this link again, whatever its status: a conditional request when its copy
        has validators, a new snapshot only if the page changed."""
        with self._lock:
            # Empty when the link was deleted between the request and now.
            selection = RefreshSelection(link_ids=[link_id])
            tasks = tasks_to_refresh(self._vault, selection)
            self._run("refresh", refresh_or_queue, tasks)

    def _run(
        self,
        kind: str,
        use_case: Callable[[Vault, Sequence[LinkTask]], RunSummary | Queued],
        tasks: list[LinkTask],
    ) -> None:
        if not tasks:
            return
        try:
            outcome = use_case(self._vault, tasks)
        except Exception:  # a background failure must be visible in the server log
            log.exception("%s of %d links failed", kind, len(tasks))
            return
        if isinstance(outcome, Queued):
            log.info("queued %d links to %s for the workers", outcome.queued, kind)
        elif outcome.outage:
            log.warning(
                "%s of %d links stopped: %s (%d not tried)",
                kind,
                len(tasks),
                outcome.outage,
                outcome.not_tried,
            )
        else:
            log.info("%s: %d links: %s", kind, outcome.total, dict(outcome.counts))
