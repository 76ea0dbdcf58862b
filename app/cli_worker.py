"""`linkvault worker`: take queued links from the shared database and archive them; and the
enqueueing that `archive`, `refresh` and the write API do with LINKVAULT_WORK_QUEUE on."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.markup import escape

from app.cli_common import (
    AllowPrivate,
    Concurrency,
    DataDir,
    Deadline,
    PerHost,
    Workers,
    err,
    fetch_settings_from,
)
from app.vault import Vault
from app.worker import Worker, WorkerOptions
from archiver.durations import format_duration
from archiver.pipeline import LinkDone
from archiver.queue import enqueue, queue_counts
from archiver.records import LinkTask

_REPORT_EVERY = 30.0  # seconds between progress lines in the log


def enqueue_tasks(vault: Vault, tasks: Sequence[LinkTask], kind: str) -> int:
    """Queues these links for the workers and says so; returns how many were new."""
    seen = {task.id: task.checked_at for task in tasks}
    queued = enqueue(vault.store.engine, list(seen), kind, seen=seen)
    counts = queue_counts(vault.store.engine)
    already = len(tasks) - queued
    err.print(
        f"Queued {queued} links to {kind} for `linkvault worker`"
        + (f" ({already} were queued already)" if already else "")
        + f"; {counts.queued} in the queue, {counts.leased} being worked on."
    )
    return queued


def worker(
    lease: Annotated[
        str | None,
        typer.Option(
            "--lease",
            metavar="DURATION",
            help="How long a link is held without renewal; a dead worker's links go to the "
            "others after this [env: LINKVAULT_WORK_LEASE; 2m].",
            show_default=False,
        ),
    ] = None,
    poll: Annotated[
        float,
        typer.Option(min=0.05, help="Seconds between looks at an empty queue."),
    ] = 1.0,
    exit_when_idle: Annotated[
        bool,
        typer.Option(
            "--exit-when-idle",
            help="Exit once nothing is queued (links held by other workers included), "
            "instead of waiting for more.",
        ),
    ] = False,
    data_dir: DataDir = None,
    concurrency: Concurrency = None,
    per_host: PerHost = None,
    deadline: Deadline = None,
    allow_private: AllowPrivate = None,
    workers: Workers = None,
) -> None:
    """Archive queued links: run as many workers as you like, on as many machines, on one
    PostgreSQL database (LINKVAULT_DATABASE_URL).

    Each worker claims due links (queued by `archive`, `refresh` or the write API with
    LINKVAULT_WORK_QUEUE=true) under a lease it renews while working; a worker that dies
    loses nothing, as its leases expire and the others take its links; a link taken 5 times
    without a result is given up on (marked with the reason). --per-host holds across all
    workers. While the database does not answer, it waits and looks again. SIGTERM or Ctrl-C
    finishes the links in flight and exits; a second one exits at once, handing them back.
    """
    settings = fetch_settings_from(
        data_dir,
        concurrency,
        per_host,
        deadline,
        allow_private,
        workers,
        work_lease=lease,
    )
    lease_time = settings.work_lease
    options = WorkerOptions(
        lease=lease_time,
        capacity=settings.concurrency,
        poll=poll,
        exit_when_idle=exit_when_idle,
    )
    vault = Vault(settings)
    try:
        store = vault.store
        runner = Worker(store, settings, options, on_done=_Progress().done)
        err.print(
            f"Worker {escape(runner.owner)}: up to {options.capacity} links at once, "
            f"{settings.per_host_concurrency} per host across all workers, "
            f"lease {format_duration(lease_time)}."
        )
        run_id = store.runs.start_run("worker")
        with vault.indexing() as index:
            report = asyncio.run(runner.run(index))
        store.runs.finish_run(run_id, dict(report.counts))
    finally:
        vault.close()
    counts = ", ".join(f"{count} {status}" for status, count in sorted(report.counts.items()))
    err.print(
        f"Worker {escape(runner.owner)} done: {report.total} links"
        + (f" ({counts})" if counts else "")
        + (f", {report.errors} handed back after an error" if report.errors else "")
        + (f", {report.released} handed back unfinished" if report.released else "")
        + (f", {report.lost} leases lost to other workers" if report.lost else "")
        + "."
    )


class _Progress:
    """A line every half minute while links get done: a worker's log is read in `docker
    compose logs`, not watched as a progress bar."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._last = time.monotonic()

    def done(self, item: LinkDone) -> None:
        self._counts[item.status.value] += 1
        now = time.monotonic()
        if now - self._last >= _REPORT_EVERY:
            self._last = now
            parts = ", ".join(f"{n} {s}" for s, n in sorted(self._counts.items()))
            err.print(f"{sum(self._counts.values())} links done so far ({parts}).")
