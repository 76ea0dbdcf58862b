"""The index fed from a process of its own during a long run.

Writing the index (Whoosh's analysis and segment writes, or PostgreSQL's statements) took
about half of the main process's CPU per archived page, and the main process is the one part
of a run that does not grow with cores: it fetches, stores and hands pages to the extraction
pool. In a process of its own, the index writes beside the rest.

The process only changes where IndexFeeder runs: it reads each stored link from the
database, writes the index, then marks the link indexed, so the database stays the truth and
a crash anywhere leaves links marked for the next run's catch-up (sync_index). It exits when
its parent dies, so a killed run leaves no writer behind.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from app.services.indexing import IndexFeeder
from app.settings import Settings

if TYPE_CHECKING:
    from multiprocessing.queues import Queue

log = logging.getLogger("linkvault.indexing")

# Starting the process (a fresh interpreter importing linkvault) costs about a second of
# CPU: below this many links a thread of the main process indexes them sooner.
MIN_LINKS_FOR_PROCESS = 200


class IndexProcess:
    """IndexFeeder's interface (`add`, `indexed`, `error`) with the feeder in a child
    process; use as a context manager. `indexed` and `error` are known after the exit."""

    def __init__(self, settings: Settings, batch_size: int = 1000, interval: float = 10.0) -> None:
        # spawn, not fork: the main process already runs threads (the database writer, a
        # web server's), and a fork can copy a lock mid-use into the child.
        context = multiprocessing.get_context("spawn")
        self._links: Queue[int | None] = context.Queue()
        self._results: Queue[tuple[int, str | None]] = context.Queue()
        self._process: BaseProcess = context.Process(
            target=_feed,
            args=(settings, self._links, self._results, batch_size, interval),
            name="linkvault-index",
            daemon=True,
        )
        self.indexed = 0
        self.error: str | None = None

    def __enter__(self) -> IndexProcess:
        # Ctrl-C reaches the whole process group: the run decides when to stop and then
        # sends the end, so the links stored before it are still indexed (as the thread
        # does). Ignored from the child's first instruction, its imports included.
        if threading.current_thread() is threading.main_thread():
            before = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self._process.start()
            finally:
                signal.signal(signal.SIGINT, before)
        else:
            self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._links.put(None)
        outcome = self._outcome()
        self.indexed, self.error = outcome or (0, "the index process ended early")
        if exc[0] is not None:
            # The run itself stopped: the next run catches the index up, and says so.
            self.error = None
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._links.close()
        self._results.close()
        if self.error is not None:
            # Whatever the child could not do, the run's closing sync_index does.
            log.warning("indexing during the run: %s (caught up now)", self.error)

    def _outcome(self) -> tuple[int, str | None] | None:
        """What the child reports once it has written everything; None if it died first.
        No time limit while it lives: a large last batch may take minutes to commit."""
        while True:
            try:
                return self._results.get(timeout=1.0)
            except queue.Empty:
                if not self._process.is_alive():
                    return None

    def add(self, link_id: int) -> None:
        self._links.put(link_id)


def _feed(
    settings: Settings,
    links: Queue[int | None],
    results: Queue[tuple[int, str | None]],
    batch_size: int,
    interval: float,
) -> None:
    """The child: hands each link id to an IndexFeeder over the child's own store and index."""
    from app.services.vault import Vault

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # see IndexProcess.__enter__
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_gone, args=(parent,), daemon=True).start()
    vault = Vault(settings)
    try:
        with IndexFeeder(vault.store, vault.index, batch_size, interval) as feeder:
            while (link_id := links.get()) is not None:
                feeder.add(link_id)
        error = None if feeder.error is None else repr(feeder.error)
        results.put((feeder.indexed, error))
    except Exception as exc:  # noqa: BLE001 (told to the parent, which catches up)
        results.put((0, repr(exc)))
    finally:
        vault.close()


def _exit_when_gone(parent: BaseProcess) -> None:
    # A run killed with SIGKILL must not leave a writer holding the index's lock.
    parent.join()
    os._exit(1)
