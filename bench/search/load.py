"""What the search bench measures: searches in process (Whoosh, PostgreSQL, FTS5) and over
HTTP (one client in turn, then wrk at --connections clients)."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archiver import make_engine
from bench._common import LoadResult, Server, p50, run_wrk, time_queries
from bench.search.archives import Archive
from bench.search.servers import fts5_server, linkvault_server
from bench.search_index import fts5_searcher
from index import SearchIndex, SearchPage, SearchQuery
from index.postgres import PostgresSearch

WORDS = (1, 2, 3)


# -- in process -----------------------------------------------------------------------------


@dataclass
class InProcess:
    """One query length's timings (ms) per backend measured; None: not measured."""

    words: int
    whoosh: list[float] | None = None
    fts5: list[float] | None = None
    fts5_counts: list[float] | None = None
    median_total: float = 0.0
    fallback_or: int = 0
    timed_out: int = 0
    fts5_empty: int = 0
    postgres: list[float] | None = None
    pg_median_total: float = 0.0
    pg_fallback_or: int = 0
    pg_timed_out: int = 0


def _measured(
    search: Callable[[str], SearchPage], queries: list[str]
) -> tuple[list[float], float, int, int]:
    """(timings in ms, median total, OR fallbacks, timeouts) of ``search`` over ``queries``."""
    pages = [search(q) for q in queries]
    return (
        time_queries(search, queries),
        statistics.median(p.total for p in pages),
        sum(p.fallback_or for p in pages),
        sum(p.timed_out for p in pages),
    )


def in_process(archive: Archive, queries: dict[int, list[str]]) -> list[InProcess]:
    backends = archive.backends
    # The service's own settings: SearchIndex with its default time limit.
    idx = SearchIndex(archive.index_dir) if "whoosh" in backends else None
    fts = fts5_searcher(archive.fts5, with_counts=False) if "fts5" in backends else None
    fts_counts = fts5_searcher(archive.fts5, with_counts=True) if "fts5" in backends else None
    engine = make_engine(archive.postgres.resolved_database_url) if archive.postgres else None
    pg = PostgresSearch(engine) if engine is not None else None

    def whoosh(q: str) -> SearchPage:
        assert idx is not None
        return idx.search(SearchQuery(q, per_page=10))

    def postgres(q: str) -> SearchPage:
        assert pg is not None
        return pg.search(SearchQuery(q, per_page=10))

    rows = []
    try:
        for words in WORDS:
            row = InProcess(words)
            if idx is not None:
                row.whoosh, row.median_total, row.fallback_or, row.timed_out = _measured(
                    whoosh, queries[words]
                )
            if fts is not None and fts_counts is not None:
                row.fts5 = time_queries(fts, queries[words])
                row.fts5_counts = time_queries(fts_counts, queries[words])
                row.fts5_empty = sum(not fts(q) for q in queries[words])
            if pg is not None:
                row.postgres, row.pg_median_total, row.pg_fallback_or, row.pg_timed_out = _measured(
                    postgres, queries[words]
                )
            rows.append(row)
    finally:
        if idx is not None:
            idx.close()
        if engine is not None:
            engine.dispose()
    return rows


def one_client(server: Server, queries: list[str]) -> tuple[int, int, list[float]]:
    """Each query once, in turn, over one keep-alive connection; checks that every answer is
    a 200 with JSON results. Returns (errors, answers with no hit, latencies in ms)."""
    errors = empty = 0
    latencies = []
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        for q in queries:
            started = time.perf_counter()
            conn.request("GET", server.path(q))
            response = conn.getresponse()
            body = response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors += 1
                if errors <= 3:
                    print(f"  {server.name}: {q!r} -> {response.status} {body[:200]!r}")
                continue
            empty += not json.loads(body)["results"]
    finally:
        conn.close()
    return errors, empty, latencies


def over_http(
    archive: Archive, queries: dict[int, list[str]], args: argparse.Namespace, work: Path
) -> list[LoadResult]:
    every = [q for words in WORDS for q in queries[words]]
    results = []
    web = args.web_workers
    with contextlib.ExitStack() as stack:
        servers = []
        if "whoosh" in archive.backends:
            servers.append(stack.enter_context(linkvault_server(archive, work, "whoosh", web)))
        if archive.postgres is not None:
            servers.append(stack.enter_context(linkvault_server(archive, work, "postgres", web)))
        if "fts5" in archive.backends:
            servers.append(stack.enter_context(fts5_server(archive, work)))
        for server in servers:  # warm-up
            errors, empty, _ = one_client(server, every)
            print(
                f"  {server.name}: {len(every)} queries answered in turn, {errors} errors, "
                f"{empty} without hits",
                flush=True,
            )
            if errors:
                raise SystemExit(f"{server.name} failed queries; log:\n{server.log_tail()}")
            run_wrk(server, queries[1], min(3.0, args.duration), args.connections, work, 0)
        for words in WORDS:
            for server in servers:
                _, _, alone = one_client(server, queries[words])
                result = run_wrk(
                    server, queries[words], args.duration, args.connections, work, words
                )
                result.one_client_p50 = p50(alone)
                print(
                    f"  {words}-word {server.name:9s} {result.rps:7.0f} req/s  "
                    f"p50 {result.p50:6.1f}  p99 {result.p99:6.1f} ms",
                    flush=True,
                )
                results.append(result)
        for server in servers:
            if server.process.poll() is not None:
                raise SystemExit(f"{server.name} died during the runs:\n{server.log_tail()}")
    return results
