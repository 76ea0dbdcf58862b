"""`linkvault worker`: take queued links from the shared database and archive them."""

from __future__ import annotations

import time
from collections import Counter
from typing import Annotated

import typer
from rich.markup import escape

from app.cli.common import FetchOptions, err, fetch_options
from app.durations import format_duration
from app.services.vault import Vault
from app.services.worker import Worker, WorkerOptions, work_queue
from archiver.pipeline import LinkDone

_REPORT_EVERY = 30.0  # seconds between progress lines in the log


@fetch_options
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
    fetch: FetchOptions = FetchOptions(),
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
    settings = fetch.settings(work_lease=lease)
    lease_time = settings.work_lease
    options = WorkerOptions(
        lease=lease_time,
        capacity=settings.concurrency,
        poll=poll,
        exit_when_idle=exit_when_idle,
    )
    vault = Vault(settings)
    try:
        runner = Worker(vault.store, settings, options, on_done=_Progress().done)
        err.print(
            f"Worker {escape(runner.owner)}: up to {options.capacity} links at once, "
            f"{settings.per_host_concurrency} per host across all workers, "
            f"lease {format_duration(lease_time)}."
        )
        report = work_queue(vault, runner)
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
