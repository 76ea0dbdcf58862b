"""Soak: searches at 16 clients for minutes while `linkvault refresh` rewrites a third of it.

    .venv/bin/python -m bench.soak                          # 3,000 documents, 5 minutes
    .venv/bin/python -m bench.soak --docs 1000 --duration 60
    .venv/bin/python -m bench.soak --serve-env LINKVAULT_WEB_WORKERS=2

1. Serves --docs generated articles (the Corpus of bench/_corpus.py, as HTML pages with
   ETags that answer a matching If-None-Match with 304, bench/_pages.py's server) on
   127.0.0.1, and archives them with the real `linkvault archive` into a fresh data
   directory. Each page carries a marker word, `origmarkN`.
2. Starts the real `linkvault serve` on that data directory and drives /api/search with wrk
   (bench/_wrk.lua; or, without wrk, an asyncio httpx client) at --connections clients for
   --duration seconds, over 127.0.0.1, with one-, two- and three-word queries.
3. --refresh-after seconds into the load, the page server starts answering every third page
   (N % 3 == 0) with new text carrying `revisedR` and `revmarkRnN` instead of `origmarkN`,
   and a `linkvault refresh --all` subprocess re-checks the archive: two thirds answer 304,
   one third is a new snapshot and is re-indexed while the searches go on.
   --refresh-rounds R repeats that with new text each round.
4. Meanwhile the server's resident memory (its whole process tree), open files, threads and
   CPU are sampled --samples times, with how many changed pages search already finds.

Then prints requests served, errors (non-2xx answers and transport errors), p50/p95/p99
latency and the samples, and checks that every changed page is found by its new words and
no longer by its old ones, and that unchanged pages still are. Exits 1 when any request
failed, the refresh failed or a check failed. Nothing leaves 127.0.0.1: proxy variables are
removed from the linkvault commands' environment.

Split by job: pages.py serves the pages, linkvault.py runs the commands and asks the API,
watch.py samples the server and runs the refreshes during the load, checks.py checks the
content afterwards; this module reads the options, runs the soak and prints the report.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import threading
import time
from pathlib import Path

from bench._common import (
    exit_on_sigterm,
    free_port,
    machine,
    require_wrk,
    run_httpx,
    run_wrk,
    started,
    work_folder,
)
from bench.soak.checks import check_content
from bench.soak.linkvault import (
    api_get,
    archive_pages,
    command_env,
    db_counts,
    linkvault_argv,
    tail,
)
from bench.soak.pages import SoakPages
from bench.soak.watch import Soak

WORDS = (1, 2, 3)


# -- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--docs", type=int, default=3000, help="pages in the archive")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of search load")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument("--queries", type=int, default=200, help="queries per length (1-3)")
    parser.add_argument("--refresh-after", type=float, default=20.0, help="seconds into the load")
    parser.add_argument("--refresh-rounds", type=int, default=1, help="changes and refreshes")
    parser.add_argument("--samples", type=int, default=10, help="RSS samples over the run")
    parser.add_argument("--latency", type=float, default=0.005, help="page server, s/response")
    parser.add_argument("--concurrency", type=int, default=16, help="archive/refresh fetches")
    parser.add_argument("--probes", type=int, default=50, help="pages checked by marker")
    parser.add_argument("--load", choices=("auto", "wrk", "httpx"), default="auto")
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="passed on to `linkvault serve` (repeat; e.g. --serve-arg=--data-dir=...)",
    )
    parser.add_argument(
        "--serve-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment of `linkvault serve` only (repeat; e.g. LINKVAULT_WEB_WORKERS=2)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the data directory and logs here")
    args = parser.parse_args()
    exit_on_sigterm()

    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk") is not None)
    if use_wrk:
        require_wrk("python -m bench.soak --load wrk")
    with work_folder(args.keep, "lv-soak-") as work:
        data = work / "data"
        if data.exists():
            shutil.rmtree(data)
        print(f"{machine()}, load generator: {'wrk' if use_wrk else 'httpx'}")
        return soak(args, work, data, use_wrk)


def soak(args: argparse.Namespace, work: Path, data: Path, use_wrk: bool) -> int:
    pages = SoakPages(args.docs, args.seed, args.latency).start()
    size = sum(map(len, pages.bodies)) / len(pages.bodies) / 1024
    print(f"pages: {args.docs} of {size:.1f} KB on 127.0.0.1:{pages.port}", flush=True)
    env = command_env(data, args.concurrency)
    archive_s = archive_pages(pages, env, work)
    ok, snapshots, _ = db_counts(data)
    print(f"archived: {ok} ok of {args.docs} in {archive_s:.1f} s", flush=True)
    if ok != args.docs:
        raise SystemExit(
            f"only {ok} of {args.docs} pages were archived:\n{tail(work / 'archive.log')}"
        )

    corpus = pages.corpus
    queries = [q for words in WORDS for q in corpus.queries(words, args.queries)]
    random.Random(args.seed).shuffle(queries)  # mixed lengths in every stretch of the run
    port = free_port()
    argv = [*linkvault_argv(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += args.serve_arg
    serve_env = env | dict(item.split("=", 1) for item in args.serve_env)
    with started("linkvault", argv, serve_env, port, "/api/search?q=", work) as server:
        indexed = api_get(port, "/api/stats")[1]["documents_indexed"]
        print(
            f"serving: {' '.join([*args.serve_env, *argv[1:]])} (pid {server.process.pid}), "
            f"{indexed} indexed"
        )
        run = Soak(server, pages, args, env, work)
        print(f"search load: {args.connections} clients, {args.duration:g} s; samples:", flush=True)
        start = run.sample()
        run.t0 = time.perf_counter()
        threads = [
            threading.Thread(target=run.sampler, daemon=True),
            threading.Thread(target=run.refresher, daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            if use_wrk:
                result = run_wrk(server, queries, args.duration, args.connections, work, 0)
            else:
                result = run_httpx(server, queries, args.duration, args.connections)
        finally:
            run.stop.set()
        threads[0].join()
        end = run.sample()
        if run.refresh_running:
            print("  the load is over; waiting for the refresh to finish", flush=True)
        threads[1].join()
        alive = server.process.poll() is None
        if not alive:
            raise SystemExit(f"the server died during the soak:\n{server.log_tail()}")
        time.sleep(1.0)  # searchers look for a new index generation every 0.5 s
        print("checks:")
        failures = check_content(port, pages, args.probes, args.seed) if pages.version else []
        final = run.sample()
    ok, snapshots_after, waiting = db_counts(data)
    expected = snapshots + len(pages.changed) * len(run.refreshes)
    if snapshots_after != expected:
        failures.append(f"{snapshots_after} snapshots in the database, expected {expected}")
    if waiting:
        failures.append(f"{waiting} links still marked for indexing")
    if not run.refreshes:
        failures.append("no refresh ran (is --refresh-after shorter than --duration?)")
    failures += [f"refresh {v} exited {rc}" for v, _, _, rc in run.refreshes if rc != 0]
    print(
        f"  database: {snapshots_after - snapshots} new snapshots (expected {expected - snapshots})"
        f", {ok} links ok, {waiting} waiting for the index"
    )

    print(f"\n== soak: {args.docs:,} documents, {args.duration:g} s ==")
    print(f"requests served: {result.requests:,} ({result.rps:.1f} req/s), errors: {result.errors}")
    print(f"latency: p50 {result.p50:.1f} ms, p95 {result.p95:.1f} ms, p99 {result.p99:.1f} ms")
    for version, began, ended, rc in run.refreshes:
        print(
            f"refresh {version}: {began:.0f} s to {ended:.0f} s ({ended - began:.1f} s), "
            f"exit {rc}, {len(pages.changed)} of {args.docs} pages changed"
        )
    cpu = (end.cpu_s - start.cpu_s) / max(end.at, 1e-9)
    print(
        f"server RSS: {start.rss_mb:.1f} MB at start, {end.rss_mb:.1f} MB at the end of the load, "
        f"{final.rss_mb:.1f} MB after the checks; peak {max(s.rss_mb for s in run.samples):.1f} "
        f"MB; {end.processes} process(es); CPU {cpu:.2f} cores over the load"
    )
    print(
        f"  of which anonymous (heap, not mapped index files): {start.anon_mb:.1f} MB at start, "
        f"{end.anon_mb:.1f} MB at the end, peak {max(s.anon_mb for s in run.samples):.1f} MB"
    )
    print(f"server open files: {start.fds} -> {end.fds}; threads: {start.threads} -> {end.threads}")
    print(f"load average: {os.getloadavg()[0]:.2f} (1 min) at the end")
    if failures:
        print("FAILED checks:")
        for failure in failures:
            print(f"  {failure}")
    if result.errors:
        print(f"FAILED: {result.errors} requests failed; server log:\n{server.log_tail()}")
    return 1 if failures or result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
