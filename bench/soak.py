"""Soak: searches at 16 clients for minutes while `linkvault refresh` rewrites a third of it.

    .venv/bin/python bench/soak.py                          # 3,000 documents, 5 minutes
    .venv/bin/python bench/soak.py --docs 1000 --duration 60
    .venv/bin/python bench/soak.py --serve-env LINKVAULT_WEB_WORKERS=2

1. Serves --docs generated articles (the Corpus of bench/search_index.py, as HTML pages with
   ETags that answer a matching If-None-Match with 304, bench/refresh.py's server) on
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
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import html
import http.client
import json
import math
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import psutil

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from refresh import ConditionalPageServer  # noqa: E402
from search import LoadResult, Server, clean_env, free_port, run_wrk, started  # noqa: E402
from search_index import Corpus  # noqa: E402

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
WORDS = (1, 2, 3)


# -- the pages ----------------------------------------------------------------------------


def page_html(title: str, text: str, marker: str) -> bytes:
    """An article page: the marker sentence first (extraction keeps it), then paragraphs of
    about six sentences."""
    sentences = [s.strip() for s in text.split(". ") if s.strip()]
    paragraphs = [". ".join(sentences[i : i + 6]) for i in range(0, len(sentences), 6)]
    body = "".join(f"<p>{html.escape(p.rstrip('.'))}.</p>\n" for p in paragraphs)
    title = html.escape(title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title} | Soak Blog</title></head><body>\n"
        f'<header><a href="/">Soak Blog</a></header>\n<main><article><h1>{title}</h1>\n'
        f"<p>This article is filed under the reference {marker} for the soak benchmark.</p>\n"
        f"{body}</article></main>\n<footer><p>Copyright Soak Blog.</p></footer></body></html>"
    ).encode()


def etag(body: bytes) -> bytes:
    return b'"' + hashlib.sha1(body).hexdigest()[:20].encode() + b'"'  # noqa: S324


class SoakPages(ConditionalPageServer):
    """bench/refresh.py's ETag/304 server over Corpus articles, whose content can change."""

    def __init__(self, docs: int, seed: int, latency: float) -> None:
        super().__init__(0, latency)
        self.corpus = Corpus(seed)
        self.titles: list[str] = []
        self.lengths: list[int] = []
        for number, record in enumerate(self.corpus.records(docs)):
            self.titles.append(record.title)
            self.lengths.append(len(record.text.split()))
            self.bodies.append(page_html(record.title, record.text, f"origmark{number}"))
        self.etags = [etag(body) for body in self.bodies]
        self.changed = [n for n in range(docs) if n % 3 == 0]
        self.version = 0

    def change(self, version: int) -> None:
        """Every third page gets new text; the handler reads bodies and ETags per request."""
        for n in self.changed:
            rng = random.Random(f"{self.corpus.seed}/{version}/{n}")
            text = f"Revised{version} edition. " + self.corpus.article(rng, self.lengths[n])
            body = page_html(self.titles[n], text, f"revmark{version}n{n}")
            self.bodies[n], self.etags[n] = body, etag(body)
        self.version = version

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port}/post/{number}"


# -- linkvault commands --------------------------------------------------------------------


def linkvault_argv() -> list[str]:
    script = Path(sys.executable).with_name("linkvault")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def command_env(data: Path, concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in clean_env().items() if k.lower() not in PROXY_VARIABLES}
    return env | {
        "LINKVAULT_DATA_DIR": str(data),
        "LINKVAULT_ALLOW_PRIVATE": "true",
        "LINKVAULT_CONCURRENCY": str(concurrency),
        # Every page sits on one host here.
        "LINKVAULT_PER_HOST_CONCURRENCY": str(concurrency),
        "NO_PROXY": "127.0.0.1,localhost",
    }


def archive_pages(pages: SoakPages, env: dict[str, str], work: Path) -> float:
    listing = work / "list.txt"
    listing.write_text("".join(pages.url(n) + "\n" for n in range(len(pages.bodies))))
    started_at = time.perf_counter()
    log = work / "archive.log"
    with open(log, "wb") as out:
        done = subprocess.run(
            [*linkvault_argv(), "archive", str(listing)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"linkvault archive exited {done.returncode}:\n{tail(log)}")
    return time.perf_counter() - started_at


def tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def db_counts(data: Path) -> tuple[int, int, int]:
    """(links ok, snapshots, links still waiting for the index)."""
    with contextlib.closing(sqlite3.connect(data / "linkvault.db")) as db:
        ok = db.execute("select count(*) from links where status = 'ok'").fetchone()[0]
        snapshots = db.execute("select count(*) from snapshots").fetchone()[0]
        waiting = db.execute("select count(*) from links where needs_index").fetchone()[0]
    return ok, snapshots, waiting


# -- watching the server -------------------------------------------------------------------


def api_get(port: int, path: str, timeout: float = 30.0) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, body[:200]


def search_total(port: int, query: str) -> int:
    status, body = api_get(port, f"/api/search?per_page=1&q={quote_plus(query)}")
    if status != 200:
        raise RuntimeError(f"/api/search?q={query} answered {status}: {body}")
    return int(body["total"])


@dataclass
class Sample:
    at: float  # seconds since the load started
    rss_mb: float  # the server's process tree
    anon_mb: float  # of which not file-backed: heap, not the index files Whoosh maps
    processes: int
    fds: int
    threads: int
    cpu_s: float
    load: float
    visible: int | None  # changed pages already found by their new words
    refreshing: bool


def anon_bytes(pid: int) -> int:
    """RssAnon from /proc: RSS counts each mapping of a file again, so a process that maps
    the same index files from several searchers shows a large RSS it could drop at once."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def sample_tree(pid: int) -> tuple[float, float, int, int, int, float]:
    root = psutil.Process(pid)
    rss = anon = fds = threads = 0
    cpu = 0.0
    procs = [root, *root.children(recursive=True)]
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess), proc.oneshot():
            rss += proc.memory_info().rss
            anon += anon_bytes(proc.pid)
            fds += proc.num_fds()
            threads += proc.num_threads()
            times = proc.cpu_times()
            cpu += times.user + times.system
    return rss / 2**20, anon / 2**20, len(procs), fds, threads, cpu


@dataclass
class Soak:
    server: Server
    pages: SoakPages
    args: argparse.Namespace
    env: dict[str, str]
    work: Path
    t0: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    refreshes: list[tuple[int, float, float, int]] = field(default_factory=list)  # v, from, to, rc
    refresh_running: bool = False
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> Sample:
        rss, anon, procs, fds, threads, cpu = sample_tree(self.server.process.pid)
        visible = None
        if self.pages.version:
            with contextlib.suppress(OSError, RuntimeError, http.client.HTTPException):
                visible = search_total(self.server.port, f"revised{self.pages.version}")
        s = Sample(
            at=time.perf_counter() - self.t0 if self.t0 else 0.0,
            rss_mb=rss,
            anon_mb=anon,
            processes=procs,
            fds=fds,
            threads=threads,
            cpu_s=cpu,
            load=os.getloadavg()[0],
            visible=visible,
            refreshing=self.refresh_running,
        )
        self.samples.append(s)
        seen = "-" if s.visible is None else f"{s.visible}/{len(self.pages.changed)}"
        print(
            f"  {s.at:6.0f} s  RSS {s.rss_mb:7.1f} MB (anon {s.anon_mb:6.1f})  fds {s.fds:4d}  "
            f"threads {s.threads:3d}  "
            f"load {s.load:5.2f}  changed pages found {seen:>11s}"
            f"{'  (refresh running)' if s.refreshing else ''}",
            flush=True,
        )
        return s

    def sampler(self) -> None:
        interval = self.args.duration / self.args.samples
        for i in range(1, self.args.samples):
            if self.stop.wait(max(0.0, self.t0 + i * interval - time.perf_counter())):
                return
            with contextlib.suppress(psutil.NoSuchProcess):
                self.sample()

    def refresher(self) -> None:
        """Changes the pages and runs `linkvault refresh --all`, --refresh-rounds times."""
        if self.stop.wait(self.args.refresh_after):
            return
        for version in range(1, self.args.refresh_rounds + 1):
            self.pages.change(version)
            self.refresh_running = True
            began = time.perf_counter() - self.t0
            print(f"  {began:6.0f} s  pages changed (round {version}); refresh started", flush=True)
            with open(self.work / f"refresh-{version}.log", "wb") as out:
                process = subprocess.Popen(
                    [*linkvault_argv(), "refresh", "--all"],
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=out,
                )
                rc = process.wait()
            ended = time.perf_counter() - self.t0
            self.refresh_running = False
            self.refreshes.append((version, began, ended, rc))
            print(f"  {ended:6.0f} s  refresh {version} exited {rc}", flush=True)
            if rc != 0 or self.stop.is_set():
                return


# -- load -----------------------------------------------------------------------------------


def run_httpx(server: Server, queries: list[str], seconds: float, connections: int) -> LoadResult:
    """wrk's job in asyncio, for machines without wrk: each client sends its next query as
    soon as the previous answer is in."""
    import httpx

    latencies: list[float] = []
    errors = 0
    paths = [server.path(q) for q in queries]

    async def client(number: int, http_client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        position = number * 97
        while time.perf_counter() < deadline:
            path = paths[position % len(paths)]
            position += 1
            began = time.perf_counter()
            try:
                response = await http_client.get(path)
                await response.aread()
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - began)
            errors += not 200 <= response.status_code < 300

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server.port}",
            timeout=30.0,
            limits=limits,
            trust_env=False,  # no proxy: loopback only
        ) as http_client:
            began = time.perf_counter()
            deadline = began + seconds
            await asyncio.gather(*(client(i, http_client, deadline) for i in range(connections)))
            return time.perf_counter() - began

    wall = asyncio.run(main())
    ms = sorted(x * 1000 for x in latencies)
    qs = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [math.inf] * 99
    return LoadResult(
        server.name,
        0,
        requests=len(ms) + errors,
        rps=(len(ms) + errors) / wall,
        p50=qs[49],
        p95=qs[94],
        p99=qs[98],
        errors=errors,
        cpu=0.0,
        load=os.getloadavg()[0],
    )


# -- checks -----------------------------------------------------------------------------------


def check_content(port: int, pages: SoakPages, probes: int, seed: int) -> list[str]:
    """Changed pages are found by their new words and not their old ones; unchanged pages
    still by theirs. Returns the failures."""
    failures: list[str] = []
    version = pages.version
    changed = set(pages.changed)
    total = search_total(port, f"revised{version}")
    print(f"  revised{version}: {total} pages (expected {len(changed)})")
    if total != len(changed):
        failures.append(f"revised{version} finds {total} pages, not {len(changed)}")
    rng = random.Random(seed)
    unchanged = [n for n in range(len(pages.bodies)) if n not in changed]
    for n in rng.sample(sorted(changed), min(probes, len(changed))):
        status, body = api_get(port, f"/api/search?q=revmark{version}n{n}")
        urls = [hit["url"] for hit in body["results"]] if status == 200 else []
        if urls != [pages.url(n)]:
            failures.append(f"revmark{version}n{n} -> {status} {urls}, not [{pages.url(n)}]")
        if (old := search_total(port, f"origmark{n}")) != 0:
            failures.append(f"origmark{n} (replaced) still finds {old} pages")
    for n in rng.sample(unchanged, min(probes, len(unchanged))):
        if (found := search_total(port, f"origmark{n}")) != 1:
            failures.append(f"origmark{n} (unchanged page) finds {found} pages, not 1")
    print(
        f"  {min(probes, len(changed))} changed pages probed by their new and old marker, "
        f"{min(probes, len(unchanged))} unchanged by theirs: {len(failures)} failures"
    )
    return failures


# -- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    use_wrk = args.load == "wrk" or (args.load == "auto" and shutil.which("wrk") is not None)
    if use_wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk)")
    work = args.keep or Path(tempfile.mkdtemp(prefix="lv-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data"
    if data.exists():
        shutil.rmtree(data)
    print(
        f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
        f"python {sys.version.split()[0]}, load generator: {'wrk' if use_wrk else 'httpx'}"
    )
    try:
        return soak(args, work, data, use_wrk)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


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
