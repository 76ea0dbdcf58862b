"""Refresh throughput: re-checking N unchanged pages that answer 304, against archiving them.

Serves N generated article pages on 127.0.0.1 with ETags and a configurable latency, runs the
real `linkvault archive` on them in a fresh data directory, then the real
`linkvault refresh --all`: every page is asked for with If-None-Match and answers 304, so
nothing is extracted and no snapshot is added. Prints both rates and the speed-up (target:
refreshing at least 5x faster than the first archiving).

    .venv/bin/python -m bench.refresh --pages 2000 --latency 0.05
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

from bench._common import linkvault_env, page_options, run_watched, write_list
from bench._pages import ConditionalPageServer


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs a linkvault command; returns wall seconds and CPU seconds of all its processes."""
    run = run_watched(command, env, " ".join(command[3:5]))
    return run.seconds, sum(run.cpu.values())


def one_round(
    server: ConditionalPageServer,
    args: argparse.Namespace,
    tmp: Path,
    archives: list[tuple[float, float]],
    refreshes: list[tuple[float, float]],
) -> tuple[int, int]:
    """Archives every page into a fresh data directory, then refreshes them all."""
    listing = write_list(tmp / "list.txt", server.urls())
    data = tmp / "data"
    env = linkvault_env(data, args.concurrency)
    linkvault = [sys.executable, "-m", "app"]
    full = server.full
    archives.append(timed([*linkvault, "archive", str(listing)], env))
    assert server.full - full == args.pages, "every page was fetched in full to archive it"
    refreshes.append(timed([*linkvault, "refresh", "--all"], env))
    assert server.full - full == args.pages, "the refresh fetched nothing in full"
    with sqlite3.connect(data / "linkvault.db") as db:
        snapshots = db.execute("select count(*) from snapshots").fetchone()[0]
        not_modified = db.execute(
            "select count(*) from checks where http_status = 304 and not changed"
        ).fetchone()[0]
    return snapshots, not_modified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    page_options(parser)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each N times (fresh data), keep the best"
    )
    args = parser.parse_args()

    server = ConditionalPageServer(args.pages, args.latency).start()
    size = sum(map(len, server.bodies)) / len(server.bodies) / 1024
    cores = len(os.sched_getaffinity(0))
    print(
        f"pages: {args.pages} of {size:.0f} KB, latency: {args.latency * 1000:.0f} ms, "
        f"concurrency: {args.concurrency}, cores: {cores}"
    )
    archives: list[tuple[float, float]] = []
    refreshes: list[tuple[float, float]] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            snapshots, not_modified = one_round(server, args, Path(tmp), archives, refreshes)
    (archive_s, archive_cpu), (refresh_s, refresh_cpu) = min(archives), min(refreshes)

    archive_rate = args.pages / archive_s
    refresh_rate = args.pages / refresh_s
    print(
        f"archive (first time): {archive_s:.1f} s = {archive_rate:.1f} links/s, "
        f"CPU {archive_cpu / args.pages * 1000:.1f} ms per page"
    )
    print(
        f"refresh (all 304):    {refresh_s:.1f} s = {refresh_rate:.1f} links/s, "
        f"CPU {refresh_cpu / args.pages * 1000:.1f} ms per page"
    )
    print(
        f"304s in the last round: {not_modified} recorded; "
        f"snapshots: {snapshots} (one per page: nothing re-archived)"
    )
    ceiling = args.concurrency / args.latency
    print(f"latency-bound ceiling for refresh: {ceiling:.0f} links/s")
    print(
        f"speed-up: {refresh_rate / archive_rate:.1f}x (target >= 5x); "
        f"CPU per page: {archive_cpu / refresh_cpu:.1f}x less"
    )


if __name__ == "__main__":
    main()
