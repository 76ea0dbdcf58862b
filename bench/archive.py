"""Archiving throughput: links/s against the extraction-bound limit, and peak memory.

Serves N generated article pages on 127.0.0.1 with a configurable latency, runs the real
`linkvault archive` command on them in a fresh data directory, and prints links/s, the peak
resident memory of every linkvault process, and the extraction-bound limit: the
single-core extraction rate measured in this process times the cores available.

    .venv/bin/python -m bench.archive --pages 2000 --latency 0.05
"""

from __future__ import annotations

import argparse
import json
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


def ceilings(main_ms: float, worker_ms: float, cores: int) -> tuple[float, float]:
    """Pages/s one run could reach on `cores` cores, from the CPU per page of the main process
    (the serial part: one process) and of the others (the parallel part).

    Amdahl: the work of a page on one core, main_ms + worker_ms, with the serial share
    s = main_ms / (main_ms + worker_ms) sped up by 1 / (s + (1 - s) / cores), as if the main
    process never overlapped the workers. Pipelined: it does overlap them, so the bound is
    whichever saturates first, the main process (1000 / main_ms) or all cores. Both tend to
    1000 / main_ms; the real figure lies between them."""
    total = main_ms + worker_ms
    serial = main_ms / total
    amdahl = 1000 / total / (serial + (1 - serial) / cores)
    pipelined = min(1000 / main_ms, cores * 1000 / total)
    return amdahl, pipelined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    page_options(parser)
    parser.add_argument(
        "--light", action="store_true", help="8 KB pages without the markup real pages carry"
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
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
    main_ms = main_cpu / args.pages * 1000
    worker_ms = others / args.pages * 1000
    print(
        f"CPU ms per page: main process {main_ms:.1f}, other processes {worker_ms:.1f}, "
        f"extraction alone {1000 / rate:.1f}"
    )
    share = main_ms / (main_ms + worker_ms) if main_ms + worker_ms else 0.0
    print(f"main process share of the CPU per page: {share * 100:.0f}% (target <= 25%)")
    if main_ms > 0:
        for n in (8, 16):
            amdahl, pipelined = ceilings(main_ms, worker_ms, n)
            print(
                f"projected ceiling on {n} cores: {amdahl:.0f} pages/s (Amdahl, serial share "
                f"{share * 100:.0f}%) to {pipelined:.0f} pages/s (main process overlapping "
                "the workers)"
            )
    print(
        f"peak RSS of any linkvault process: {peak:.0f} MB over {len(peaks)} processes "
        "(target <= 300 MB)"
    )
    if args.json is not None:
        result = {
            "pages": args.pages,
            "pages_per_s": round(throughput, 2),
            "main_cpu_ms_per_page": round(main_ms, 3),
            "worker_cpu_ms_per_page": round(worker_ms, 3),
            "peak_rss_mb": round(peak, 1),
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n")
        print(f"written: {args.json}")


if __name__ == "__main__":
    main()
