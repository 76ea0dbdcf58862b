"""Archiving throughput: links/s against the extraction-bound limit, and peak memory.

Serves N generated article pages on 127.0.0.1 with a configurable latency, runs the real
`linkvault archive` command on them in a fresh data directory, and prints links/s, the peak
resident memory of every linkvault process, and the extraction-bound limit: the
single-core extraction rate measured in this process times the cores available.

    .venv/bin/python -m bench.archive --pages 2000 --latency 0.05
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from archiver.extract import extract
from bench._common import linkvault_env, page_options, run_watched, write_list
from bench._pages import PageServer


def single_core_rate(bodies: list[bytes], seconds: float = 5.0) -> float:
    """Pages per second that extract() manages on one core."""
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        extract(bodies[count % len(bodies)], "text/html", f"http://bench/{count}", "utf-8")
        count += 1
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    page_options(parser)
    parser.add_argument(
        "--light", action="store_true", help="8 KB pages without the markup real pages carry"
    )
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0))
    server = PageServer(args.pages, args.latency, heavy=not args.light).start()
    size = sum(map(len, server.bodies)) / len(server.bodies) / 1024
    print(
        f"pages: {args.pages} of {size:.0f} KB, latency: {args.latency * 1000:.0f} ms, "
        f"cores: {cores}"
    )
    rate = single_core_rate(server.bodies[:200])
    limit = rate * cores
    print(f"single-core extraction: {rate:.1f} pages/s -> extraction-bound limit {limit:.1f}/s")

    with tempfile.TemporaryDirectory() as tmp:
        listing = write_list(Path(tmp) / "list.txt", server.urls())
        env = linkvault_env(Path(tmp) / "data", args.concurrency)
        command = [sys.executable, "-m", "app", "archive", str(listing)]
        run = run_watched(command, env, "archive")

    elapsed, peaks, cpu = run.seconds, run.peaks, run.cpu
    throughput = args.pages / elapsed
    peak = max(peaks.values(), default=0) / 2**20
    print(f"archived: {args.pages} links in {elapsed:.1f} s = {throughput:.1f} links/s")
    print(f"share of the extraction-bound limit: {throughput / limit * 100:.0f}% (target >= 80%)")
    main_cpu = cpu.get(run.pid, 0.0)
    others = sum(cpu.values()) - main_cpu
    print(
        f"CPU ms per page: main process {main_cpu / args.pages * 1000:.1f}, "
        f"other processes {others / args.pages * 1000:.1f}, "
        f"extraction alone {1000 / rate:.1f}"
    )
    print(
        f"peak RSS of any linkvault process: {peak:.0f} MB over {len(peaks)} processes "
        "(target <= 300 MB)"
    )


if __name__ == "__main__":
    main()
