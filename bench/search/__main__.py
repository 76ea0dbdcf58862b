"""Search service under HTTP load: the Whoosh and the PostgreSQL backends, and SQLite FTS5 on
the same texts.

    .venv/bin/python -m bench.search                       # 10,000 and 100,000 documents
    .venv/bin/python -m bench.search --docs 10000 --duration 10 --keep bench/out
    .venv/bin/python -m bench.search --postgres-url postgresql+psycopg://me@db/postgres
    .venv/bin/python -m bench.search --docs 2000 --json search.json   # the figures as JSON
    .venv/bin/python -m bench.search --docs 1000000 --backend postgres --keep bench/out

For each --docs count: builds an archive of generated articles (the Corpus of
bench/_corpus.py) straight into the real SQLite database with SQLAlchemy Core bulk
inserts, rebuilds the Whoosh index from it with app.indexing.rebuild_index, and builds an
FTS5 table over the same records. The same archive goes into a PostgreSQL database by COPY
(bench/search/pg_archive.py), indexed by the PostgreSQL search backend
(LINKVAULT_SEARCH_BACKEND=postgres): a throwaway cluster the bench starts (bench/postgres.py:
needs initdb and pg_ctl, Debian's `postgresql`), or, with --postgres-url, a server of yours (a
database it may CREATE DATABASE from; the bench makes lv_search_<docs>_seed<seed> databases
there and reuses them).

--backend NAME ... (whoosh, postgres, fts5; all by default; repeatable) builds and measures
only those: --backend postgres makes no SQLite archive, Whoosh index or FTS5 table at all
(a million documents: `--backend postgres --docs 1000000 --keep DIR`). --no-postgres leaves
PostgreSQL out of the backends given. --build-only builds or reuses the archives and stops
(a long build in the background, measured later). Build times and sizes go to
search-<docs>-seed<seed>/meta.json: database_s, whoosh_s, fts5_s (SQLite), and
postgres_insert_s (COPY), postgres_rebuild_s (rebuild_index), postgres_search_mb and
postgres_database_mb; --json holds only the backends measured.

Then:

* in process: SearchIndex.search and PostgresSearch.search (ten hits with snippets, exact
  total and facets, what /api/search runs) against the FTS5 searcher (ten hits, snippet(),
  bm25), and FTS5 with the total and facets counted too, for one-, two- and three-word
  queries;
* over HTTP: starts the real `linkvault serve` (python -m app serve) once per backend and
  the FTS5 reference server (bench/_fts5_server.py) on 127.0.0.1, and drives each with wrk
  (bench/_wrk.lua cycles through the queries) at --connections clients for --duration
  seconds per query length, printing requests/s and p50/p95/p99 latency; --web-workers N
  serves each backend from N processes (LINKVAULT_WEB_WORKERS; 1, the default, as served).

--json FILE writes the figures the report prints as JSON: {"docs": N, "in_process":
{BACKEND: {"1": {"p50_ms", "p95_ms", "p99_ms"}, "2": ..., "3": ...}}, "http": {BACKEND: {"1":
{"req_s", "p50_ms", "p99_ms", "server_cores"}, ...}}}, BACKEND among whoosh, postgres, fts5
and fts5_count (in process: FTS5 counting the total and facets too); a list of those with
several --docs.

Queries are drawn from the corpus vocabulary (Corpus.queries: ranks 60..3000, common to
mid-frequency words), --queries per length, the same lists everywhere. With --keep DIR the
archives are kept in DIR/search-<docs>-seed<seed>/ (the PostgreSQL cluster in DIR/postgres/)
and reused by later runs (building 100,000 documents takes minutes); without it they go to a
temporary folder, deleted after. A kept PostgreSQL database is reused in two parts: its links
and snapshots when they hold the same corpus (count and first article), and its search tables
when they hold every document with no link marked for indexing; otherwise only rebuild_index
runs again (after a migration that changed the search tables, say).

Needs wrk (Debian: apt-get install -y wrk). Targets (issue 3), at 100,000 documents on the
2-core machine: the service at p50 <= 20 ms and p99 <= 150 ms; the in-process search no
slower than FTS5 at p50.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._common import exit_on_sigterm, machine, require_wrk, work_folder
from bench._corpus import Corpus
from bench.search.archives import BACKENDS, archive_for, with_postgres
from bench.search.load import WORDS, in_process, over_http
from bench.search.pg_archive import postgres_databases
from bench.search.report import report, results_json, write_json

# -- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--docs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument("--queries", type=int, default=200, help="queries per length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep", type=Path, help="keep the archives here and reuse them (e.g. bench/out)"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild kept archives")
    parser.add_argument(
        "--postgres-url",
        help="a PostgreSQL server to use (a database URL; the bench creates its own databases "
        "there); default: a throwaway cluster of the bench's own",
    )
    parser.add_argument(
        "--backend",
        nargs="+",
        action="extend",
        choices=("all", *BACKENDS),
        help="the backends to build and measure (repeatable; default all)",
    )
    parser.add_argument(
        "--no-postgres", action="store_true", help="skip the PostgreSQL backend (of those given)"
    )
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build (or reuse) the archives, then stop without measuring; with --keep",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="FILE",
        help="also write the figures to FILE as JSON (several --docs: a list, one per size)",
    )
    parser.add_argument(
        "--web-workers",
        type=int,
        default=1,
        help="processes of each linkvault server (LINKVAULT_WEB_WORKERS; default 1, as served)",
    )
    args = parser.parse_args()
    args.backends = chosen_backends(args.backend, args.no_postgres)
    exit_on_sigterm()
    if not args.build_only:
        require_wrk("python -m bench.search")
    corpus = Corpus(args.seed)
    queries = {words: corpus.queries(words, args.queries) for words in WORDS}
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    print(f"{machine()}, wrk {(wrk_version.split() + ['?', '?'])[1]}")
    with work_folder(args.keep, "lv-search-bench-") as root, contextlib.ExitStack() as stack:
        database = None
        if "postgres" in args.backends:
            database = stack.enter_context(postgres_databases(root, args.postgres_url))
        results = [run_one(root, docs, args, queries, database) for docs in args.docs]
    if args.json is not None and not args.build_only:
        write_json(args.json, results)


def chosen_backends(asked: list[str] | None, no_postgres: bool) -> frozenset[str]:
    names = set(BACKENDS) if not asked or "all" in asked else set(asked)
    if no_postgres:
        names.discard("postgres")
    if not names:
        raise SystemExit("python -m bench.search: no backend left to measure")
    return frozenset(names)


def run_one(
    root: Path,
    docs: int,
    args: argparse.Namespace,
    queries: dict[int, list[str]],
    database: Callable[[str], str] | None,
) -> dict[str, Any]:
    archive = archive_for(root, docs, args.seed, args.rebuild, args.backends)
    if database is not None:
        url = database(f"lv_search_{docs}_seed{args.seed}")
        with_postgres(archive, args.seed, url, args.rebuild)
    if args.build_only:
        print(f"{docs:,} documents built: {archive.folder / 'meta.json'}", flush=True)
        return {}
    with tempfile.TemporaryDirectory(prefix="lv-search-run-") as tmp:
        print(f"in-process searches, {docs:,} documents ...", flush=True)
        local = in_process(archive, queries)
        print(f"HTTP load, {docs:,} documents ...", flush=True)
        http = over_http(archive, queries, args, Path(tmp))
    report(archive, local, http, args)
    return results_json(docs, local, http)


if __name__ == "__main__":
    main()
