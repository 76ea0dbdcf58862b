"""Archiving started from the write API, run after the response in a worker thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from app.vault import Vault
from archiver.store import LinkTask

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
            tasks = self._vault.store.tasks_for_archive(link_ids)
            self._run(tasks)

    def refresh(self, link_id: int) -> None:
        """Fetches this link again, whatever its status."""
        with self._lock:
            link = self._vault.store.get_link(link_id)
            if link is None:  # deleted between the request and now
                return
            self._run([LinkTask(id=link.id, url=link.url)])

    def _run(self, tasks: list[LinkTask]) -> None:
        if not tasks:
            return
        try:
            summary = self._vault.archive(tasks)
        except Exception:  # a background failure must be visible in the server log
            log.exception("archiving %d links failed", len(tasks))
            return
        log.info("archived %d links: %s", summary.total, dict(summary.counts))
