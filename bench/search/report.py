"""The search bench's report: sizes and build times, the HTTP and in-process tables, and the
targets of issue 3 met or not; and the same figures as JSON (--json FILE)."""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from bench._common import LoadResult, p50, percentiles
from bench.search.archives import LOCAL_BACKENDS, Archive, folder_mb
from bench.search.load import InProcess

TARGET_P50_MS = 20.0
TARGET_P99_MS = 150.0
TARGET_DOCS = 100_000


def report(
    archive: Archive,
    local: list[InProcess],
    http: list[LoadResult],
    args: argparse.Namespace,
) -> None:
    docs = archive.docs
    meta = archive.meta
    print(f"\n== {docs:,} documents ==")
    if archive.backends & LOCAL_BACKENDS:
        data = archive.settings.data_dir
        print(
            f"archive: database {folder_mb(data / 'linkvault.db'):.0f} MB, Whoosh index "
            f"{folder_mb(archive.index_dir):.0f} MB, FTS5 {folder_mb(archive.fts5):.0f} MB; "
            f"built in {meta.get('database_s', '?')} s (database), "
            f"{meta.get('whoosh_s', '?')} s (Whoosh), {meta.get('fts5_s', '?')} s (FTS5)"
        )
    if archive.postgres is not None:
        print(
            f"PostgreSQL: database {meta.get('postgres_database_mb', '?')} MB, of which search "
            f"tables {meta.get('postgres_search_mb', '?')} MB; built in "
            f"{meta.get('postgres_insert_s', '?')} s (COPY of links and snapshots), "
            f"{meta.get('postgres_rebuild_s', '?')} s (rebuild_index)"
        )
    print(
        f"\nHTTP: wrk, {min(2, args.connections)} threads, {args.connections} connections, "
        f"{args.duration:g} s per run, 127.0.0.1; {args.queries} queries per length, cycled; "
        f"linkvault servers in {args.web_workers} process(es)"
    )
    few = 10 * args.connections
    print(
        "  words  server     requests   req/s   p50 ms   p95 ms   p99 ms  errors  server CPU"
        "   load  1 client p50"
    )
    for r in http:
        print(
            f"  {r.words:5d}  {r.server:9s} {r.requests:8d}{'*' if r.requests < few else ' '}"
            f"{r.rps:7.1f} {r.p50:8.1f} {r.p95:8.1f} {r.p99:8.1f}  {r.errors:6d}  "
            f"{r.cpu:5.2f} cores {r.load:5.2f}  {r.one_client_p50:8.1f} ms"
        )
    if any(r.requests < few for r in http):
        print(
            f"  * fewer than {few} requests finished: wrk does not count those still running\n"
            "    when the run ends, so these latencies understate (inf: none finished)"
        )
    print("  (whoosh, postgres: linkvault's /api/search on that backend, ten hits with snippets,")
    print("   exact total, facets;")
    print("   fts5: ten hits with snippet(), bm25 with title weight 3;")
    print("   server CPU: the server's processes' CPU time over the run, in cores; load: 1-minute")
    print("   load average after the run; 1 client p50: the same queries one at a time)")

    print("\nin process, query -> ten hits with snippets:")
    for row in local:
        print(f"  {row.words}-word:")
        if row.whoosh is not None:
            print(
                f"    (whoosh: median total {row.median_total:,.0f}, OR fallback "
                f"{row.fallback_or}/{args.queries}, timed out {row.timed_out})"
            )
        if row.fts5 is not None:
            print(f"    (FTS5 finds nothing for {row.fts5_empty}/{args.queries})")
        if row.postgres is not None:
            print(
                f"    (postgres: median total {row.pg_median_total:,.0f}, OR fallback "
                f"{row.pg_fallback_or}/{args.queries}, timed out {row.pg_timed_out})"
            )
        for name, samples in (
            ("whoosh", row.whoosh),
            ("postgres", row.postgres),
            ("fts5", row.fts5),
            ("fts5+count", row.fts5_counts),
        ):
            if samples is not None:
                print(f"    {name:10s} {percentiles(samples)}")

    scope = "" if docs == TARGET_DOCS else f" (the targets are set at {TARGET_DOCS:,} documents)"
    print(f"\ntargets{scope}:")
    print(
        f"  ({args.connections} clients, each waiting for its answer: latency ~ "
        f"{args.connections} / throughput,\n   so p50 <= {TARGET_P50_MS:g} ms needs about "
        f"{args.connections / TARGET_P50_MS * 1000:.0f} req/s)"
    )
    for backend in ("whoosh", "postgres"):
        service = [r for r in http if r.server == backend]
        if not service:
            continue
        worst_p50 = max(r.p50 for r in service)
        worst_p99 = max(r.p99 for r in service)
        print(
            f"  {backend} service p50 <= {TARGET_P50_MS:g} ms: worst {worst_p50:.1f} ms -> "
            f"{verdict(worst_p50 <= TARGET_P50_MS)}"
        )
        print(
            f"  {backend} service p99 <= {TARGET_P99_MS:g} ms: worst {worst_p99:.1f} ms -> "
            f"{verdict(worst_p99 <= TARGET_P99_MS)}"
        )
    for row in local:
        if row.fts5 is None:
            continue
        fts = p50(row.fts5)
        for backend, samples in (("whoosh", row.whoosh), ("postgres", row.postgres)):
            if samples is not None:
                ours = p50(samples)
                print(
                    f"  in process, {backend} {row.words}-word p50 no slower than FTS5: "
                    f"{ours:.2f} vs {fts:.2f} ms -> {verdict(ours <= fts)}"
                )


def verdict(met: bool) -> str:
    return "target met" if met else "target NOT met"


# -- JSON (--json FILE) -------------------------------------------------------------------------


def results_json(docs: int, local: list[InProcess], http: list[LoadResult]) -> dict[str, Any]:
    """One size's figures, machine-readable: ``{"docs", "in_process": {backend: {words:
    {"p50_ms", "p95_ms", "p99_ms"}}}, "http": {backend: {words: {"req_s", "p50_ms",
    "p99_ms", "server_cores"}}}}``; backends as measured, among whoosh, postgres, fts5 and
    fts5_count (FTS5 with the total and facets counted too; in process only)."""
    in_process: dict[str, dict[str, dict[str, float]]] = {}
    for row in local:
        for backend, samples in (
            ("whoosh", row.whoosh),
            ("postgres", row.postgres),
            ("fts5", row.fts5),
            ("fts5_count", row.fts5_counts),
        ):
            if samples:
                in_process.setdefault(backend, {})[str(row.words)] = latency_ms(samples)
    over_http: dict[str, dict[str, dict[str, float]]] = {}
    for r in http:
        over_http.setdefault(r.server, {})[str(r.words)] = {
            "req_s": round(r.rps, 1),
            "p50_ms": round(r.p50, 2),
            "p99_ms": round(r.p99, 2),
            "server_cores": round(r.cpu, 2),
        }
    return {"docs": docs, "in_process": in_process, "http": over_http}


def latency_ms(samples: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of ``samples`` (ms), as the printed table computes them."""
    if len(samples) == 1:  # quantiles() needs two
        only = round(samples[0], 2)
        return {"p50_ms": only, "p95_ms": only, "p99_ms": only}
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": round(qs[49], 2), "p95_ms": round(qs[94], 2), "p99_ms": round(qs[98], 2)}


def write_json(path: Path, results: list[dict[str, Any]]) -> None:
    """One size: its object; several (--docs 10000 100000): a list of them, smallest first."""
    data: Any = results[0] if len(results) == 1 else results
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"\nwrote {path}")
