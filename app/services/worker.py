"""The queue worker's loop: claim due links from the shared queue, run them through the
pipeline, hand them to the index; renew the leases meanwhile (archiver/queue.py).

Links are claimed as room frees up, so everything a worker holds is in flight. Stopping
(SIGTERM, Ctrl-C) stops claiming and lets the links in flight finish; a second signal
abandons them, and their leases are released for the other workers at once. A worker
killed outright releases nothing: its leases expire after LINKVAULT_WORK_LEASE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError

from app.services.vault import Vault
from app.settings import Settings
from archiver import Store
from archiver.models import LinkStatus
from archiver.outage import OUTAGE_WINDOW, OutageWatch
from archiver.pipeline import LinkDone, NetworkDown, Pipeline, RunState
from archiver.queue import QueueStore, WorkQueue
from archiver.records import LinkTask

T = TypeVar("T")
log = logging.getLogger("linkvault.worker")

# After an unexpected error (not a failed fetch, which is a result), a link waits this long
# before any worker takes it again, so a link that breaks workers does not spin.
ERROR_RETRY_DELAY = timedelta(minutes=5)
Archive = Callable[[LinkTask, RunState | None], Awaitable[LinkDone]]


def worker_id() -> str:
    """Unique across machines and restarts: host, process and a random part."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    lease: timedelta
    capacity: int  # links held (and in flight) at once
    poll: float = 1.0  # seconds between looks at an empty queue
    exit_when_idle: bool = False  # stop once nothing is queued, by anyone
    # Seconds claiming pauses when the network looks down (archiver/outage.py), doubling
    # while it stays down, up to outage_pause_max; the links are handed back meanwhile.
    outage_pause: float = 30.0
    outage_pause_max: float = 600.0


@dataclass(slots=True)
class WorkerReport:
    counts: Counter[str] = field(default_factory=Counter)
    errors: int = 0  # links handed back after an unexpected error
    lost: int = 0  # leases another worker took over (this one stalled past them)
    released: int = 0  # leases handed back unfinished at the end
    outages: int = 0  # times the network looked down and the worker paused

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class Worker:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        options: WorkerOptions,
        *,
        owner: str | None = None,
        on_done: Callable[[LinkDone], None] | None = None,
    ) -> None:
        self.owner = owner or worker_id()
        self.queue = WorkQueue(
            store.engine,
            owner=self.owner,
            lease=options.lease,
            per_host=settings.per_host_concurrency,
        )
        self._store = QueueStore(store.engine, store.rot, self.queue)
        self._settings = settings
        self._options = options
        self._on_done = on_done
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._stop_requests = 0
        self._database_away = False
        self._state = self._fresh_state()
        self._paused_until = 0.0
        self._pause = options.outage_pause
        self.report = WorkerReport()

    @staticmethod
    def _fresh_state() -> RunState:
        # Links failing while the network looks down go back to the queue, not the history.
        return RunState(OutageWatch(), hand_back=True)

    def stop(self) -> None:
        """First call: finish what is in flight, claim nothing more. Second: abandon it."""
        self._stop_requests += 1
        self._wake.set()
        if self._stop_requests > 1:
            for task in self._in_flight.values():
                task.cancel()

    @property
    def stopping(self) -> bool:
        return self._stop_requests > 0

    async def run(self, index: Callable[[int], None]) -> WorkerReport:
        """Works until stopped (or, with exit_when_idle, until the queue is empty); `index`
        takes each link whose searchable copy or status changed."""
        self._wake = asyncio.Event()
        # Queue statements in their own thread: a lease renewal must not wait behind the
        # pipeline's writes.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkvault-queue")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self.stop)
        workers = self._settings.extract_workers or None
        pipeline = Pipeline(self._store, self._settings.fetch_config(), workers=workers)
        renewer: asyncio.Task[None] | None = None
        try:
            async with pipeline.started() as archive:
                renewer = asyncio.create_task(self._renew_leases())
                await self._claim_loop(archive, index)
                if self._in_flight:  # stopping: let them finish
                    await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
        finally:
            if renewer is not None:
                renewer.cancel()
            for task in self._in_flight.values():
                task.cancel()
            await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
            # Whatever is still ours (abandoned links) goes back to the queue at once.
            self.report.released += await self._release()
            self._db.shutdown(wait=True)
            for sig in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(sig)
        return self.report

    async def _claim_loop(self, archive: Archive, index: Callable[[int], None]) -> None:
        options = self._options
        loop = asyncio.get_running_loop()
        # Claims are serialised across workers (see WorkQueue.claim): take links a few at a
        # time rather than one per finished link, unless idle or a poll is due.
        batch = max(1, options.capacity // 4)
        last_claim = -options.poll
        while not self.stopping:
            room = options.capacity - len(self._in_flight)
            due = room >= batch or not self._in_flight or loop.time() - last_claim >= options.poll
            tasks: list[LinkTask] = []
            paused = loop.time() < self._paused_until
            if not paused and self._state.watch.down:
                self._state = self._fresh_state()  # the pause is over: judge afresh
            elif self._state.watch.hosts >= OUTAGE_WINDOW:
                # A window of hosts at a time, so a network lost after hours still shows.
                self._state = self._fresh_state()
            if room > 0 and due and not paused:
                last_claim = loop.time()
                tasks = await self._unless_database_away(self.queue.claim, [], room)
            state = self._state
            for task in tasks:
                self._in_flight[task.id] = asyncio.create_task(
                    self._one(archive, index, task, state)
                )
            waiting = state.watch.waiting
            if not tasks and waiting and waiting >= len(self._in_flight):
                # Every link held waits for the verdict and no other host is coming now.
                state.watch.settle()
            idle = not tasks and not self._in_flight
            # Links leased by a dead worker come back when their lease expires: wait for them.
            if idle and options.exit_when_idle and await self._queued_anywhere() == 0:
                return
            # Until a link finishes (room to claim), a stop, or time to look again.
            self._wake.clear()
            waits = [*self._in_flight.values(), asyncio.ensure_future(self._wake.wait())]
            await asyncio.wait(waits, timeout=options.poll, return_when=asyncio.FIRST_COMPLETED)
            waits[-1].cancel()

    async def _one(
        self, archive: Archive, index: Callable[[int], None], task: LinkTask, state: RunState
    ) -> None:
        try:
            done = await archive(task, state)
        except NetworkDown as exc:
            # Not the link's fault: back to the queue for after the pause, nothing recorded.
            self._network_down(str(exc))
            self.report.counts["inconclusive"] += 1
            await self._release([task.id], timedelta(seconds=self._pause))
            return
        except (OperationalError, InterfaceError) as exc:
            # Its result could not be stored: the database is away. The link is not at
            # fault, so it is due again at once (or when its lease expires).
            log.warning("link %d: result not stored, handed back: %s", task.id, exc)
            self.report.errors += 1
            await self._release([task.id])
            return
        except Exception:  # the pipeline records failed fetches; this is something else
            log.exception("link %d (%s) failed unexpectedly; handed back", task.id, task.url)
            self.report.errors += 1
            await self._release([task.id], ERROR_RETRY_DELAY)
            return
        finally:
            self._in_flight.pop(task.id, None)
        if done.removed:
            # Removed while it was fetched: nothing was stored, and the index must not keep
            # a document of it (the removal deleted it; this makes sure).
            index(task.id)
            self.report.counts["removed"] += 1
            return
        # The store set needs_index on what the index shows; a changed copy or status.
        if done.changed or done.status.value != task.status:
            index(task.id)
        self.report.counts[done.status.value] += 1
        if done.status is LinkStatus.OK:
            self._pause = self._options.outage_pause  # the network works: pause afresh
        if self._on_done is not None:
            self._on_done(done)

    def _network_down(self, message: str) -> None:
        """Pause claiming (once per verdict), doubling the pause while outages repeat."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._paused_until:
            return
        self.report.outages += 1
        log.warning("%s; pausing %.0f s before claiming again", message, self._pause)
        self._paused_until = loop.time() + self._pause
        self._pause = min(self._pause * 2, self._options.outage_pause_max)

    async def _renew_leases(self) -> None:
        every = max(0.2, self._options.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(every)
            held = list(self._in_flight)
            if not held:
                continue
            try:
                lost = await self._in_db(self.queue.renew, held)
            except Exception:  # the database away for a moment: try again next time
                log.exception("renewing %d leases failed", len(held))
                continue
            lost &= set(self._in_flight)  # finished meanwhile is not lost
            if lost:
                # Another worker took them after the lease ran out; both may store a result,
                # which the store handles (same content, no second snapshot).
                self.report.lost += len(lost)
                log.warning("lost the lease on %d links to another worker", len(lost))

    async def _unless_database_away(self, func: Callable[..., T], instead: T, *args: object) -> T:
        """`func` in the database thread; `instead` while the database does not answer (a
        PostgreSQL restart, the network to it down): the worker waits it out, looking again
        every poll, rather than exit and drop the links in flight."""
        try:
            result = await self._in_db(func, *args)
        except (OperationalError, InterfaceError) as exc:
            if not self._database_away:
                log.warning("the database does not answer; trying again: %s", exc)
            self._database_away = True
            return instead
        if self._database_away:
            log.warning("the database answers again")
            self._database_away = False
        return result

    async def _queued_anywhere(self) -> int:
        return await self._unless_database_away(self.queue.pending, -1)  # -1: unknown

    async def _release(
        self, link_ids: list[int] | None = None, delay: timedelta | None = None
    ) -> int:
        try:
            return await self._in_db(self.queue.release, link_ids, delay)
        except (OperationalError, InterfaceError) as exc:
            # Not lost: the leases expire after LINKVAULT_WORK_LEASE and the links are due.
            log.warning("could not hand links back (%s); their leases will expire", exc)
            return 0

    async def _in_db(self, func: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, func, *args)


def work_queue(vault: Vault, worker: Worker) -> WorkerReport:
    """Runs this worker until it stops, as one recorded run, handing each link it stores to
    the index (committed as during an archive run)."""
    store = vault.store
    run_id = store.runs.start_run("worker")
    with vault.indexing() as index:
        report = asyncio.run(worker.run(index))
    store.runs.finish_run(run_id, dict(report.counts))
    return report
