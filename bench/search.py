"""Search service under HTTP load: the Whoosh and the PostgreSQL backends, and SQLite FTS5 on
the same texts.

    .venv/bin/python bench/search.py                       # 10,000 and 100,000 documents
    .venv/bin/python bench/search.py --docs 10000 --duration 10 --keep bench/out
    .venv/bin/python bench/search.py --postgres-url postgresql+psycopg://me@db/postgres

For each --docs count: builds an archive of generated articles (the Corpus of
bench/search_index.py) straight into the real SQLite database with SQLAlchemy Core bulk
inserts, rebuilds the Whoosh index from it with app.indexing.rebuild_index, and builds an
FTS5 table over the same records. The same archive goes into a PostgreSQL database, indexed
by the PostgreSQL search backend (LINKVAULT_SEARCH_BACKEND=postgres): a throwaway cluster the
bench starts (tests/support/postgres.py: needs initdb and pg_ctl, Debian's `postgresql`),
or, with --postgres-url, a server of yours (a database it may CREATE DATABASE from; the bench
makes lv_search_<docs>_seed<seed> databases there and reuses them). --no-postgres skips it.
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

Queries are drawn from the corpus vocabulary (Corpus.queries: ranks 60..3000, common to
mid-frequency words), --queries per length, the same lists everywhere. With --keep DIR the
archives are kept in DIR/search-<docs>-seed<seed>/ (the PostgreSQL cluster in DIR/postgres/)
and reused by later runs (building 100,000 documents takes minutes); without it they go to a
temporary folder, deleted after.

Needs wrk (Debian: apt-get install -y wrk). Targets (issue 3), at 100,000 documents on the
2-core machine: the service at p50 <= 20 ms and p99 <= 150 ms; the in-process search no
slower than FTS5 at p50.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import psutil
from sqlalchemy import Engine, func, insert, select, text, update

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from search_index import Corpus, build_fts5, fts5_searcher, percentiles, time_queries  # noqa: E402

from app.indexing import rebuild_index, records  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.vault import Vault  # noqa: E402
from archiver import make_engine  # noqa: E402
from archiver.models import Link, LinkStatus, Snapshot  # noqa: E402
from archiver.schema import migrate  # noqa: E402
from archiver.urls import normalize_url  # noqa: E402
from index import IndexUnavailable, SearchIndex, SearchQuery  # noqa: E402
from index.postgres import PostgresSearch  # noqa: E402
from tests.support.postgres import PostgresServer  # noqa: E402

TARGET_P50_MS = 20.0
TARGET_P99_MS = 150.0
TARGET_DOCS = 100_000
WORDS = (1, 2, 3)
INSERT_BATCH = 1_000


# -- the archive ------------------------------------------------------------------------------


def insert_archive(vault: Vault, corpus: Corpus, docs: int) -> None:
    """Links and their snapshots, as `linkvault archive` would leave them, in bulk."""
    engine = vault.store.engine
    links: list[dict[str, Any]] = []
    snapshots: list[dict[str, Any]] = []

    def flush() -> None:
        # links.snapshot_id and snapshots.link_id point at each other: links first,
        # without their snapshot, which is set once every snapshot is in.
        with engine.begin() as conn:
            conn.execute(insert(Link), links)
            conn.execute(insert(Snapshot), snapshots)
        links.clear()
        snapshots.clear()

    for record in corpus.records(docs):
        # The record's own URL has a different host than its domain field: use the domain,
        # so the service's domain (taken from the URL) and FTS5's agree.
        url = f"https://{record.domain}/a/{record.id}"
        when = record.archived_at
        links.append(
            {
                "id": record.id,
                "url": url,
                "normalized_url": normalize_url(url),
                "title": record.title,
                "section": record.section,
                "tags": [],
                "source": "bench/search.py",
                "source_line": record.id,
                "position": record.id,
                "status": LinkStatus.OK.value,
                "error": None,
                "http_status": 200,
                "failure_count": 0,
                "created_at": when,
                "checked_at": when,
                "archived_at": when,
                "dead_since": None,
                "snapshot_id": None,
                "needs_index": True,
            }
        )
        body = record.text.encode()
        snapshots.append(
            {
                "id": record.id,
                "link_id": record.id,
                "fetched_at": when,
                "http_status": 200,
                "final_url": url,
                "content_type": "text/html; charset=utf-8",
                "content_hash": hashlib.sha256(body).hexdigest(),
                "etag": None,
                "last_modified": None,
                "size": len(body),
                "kind": "html",
                "title": record.title,
                "author": None,
                "published": None,
                "sitename": None,
                "description": None,
                "language": "en",
                "text": record.text,
                "raw": b"",  # the fetched body is not what is measured here
                "headers": {},
            }
        )
        if len(links) >= INSERT_BATCH:
            flush()
    if links:
        flush()
    with engine.begin() as conn:
        conn.execute(update(Link).values(snapshot_id=Link.id))


@dataclass
class Archive:
    folder: Path
    docs: int
    settings: Settings
    fts5: Path
    meta: dict[str, Any]
    # The same archive in PostgreSQL, searched by the PostgreSQL backend (None: skipped).
    postgres: Settings | None = None

    @property
    def index_dir(self) -> Path:
        return self.settings.index_dir

    def save_meta(self) -> None:
        (self.folder / "meta.json").write_text(json.dumps(self.meta, indent=2) + "\n")


def archive_for(root: Path, docs: int, seed: int, rebuild: bool) -> Archive:
    folder = root / f"search-{docs}-seed{seed}"
    settings = Settings(data_dir=folder / "data")  # type: ignore[call-arg]
    archive = Archive(folder, docs, settings, folder / "fts5.sqlite", {})
    meta_path = folder / "meta.json"
    if meta_path.exists() and not rebuild:
        archive.meta = json.loads(meta_path.read_text())
        if check_archive(archive, seed):
            print(f"reusing the archive in {folder} (built {archive.meta['built']})")
            return archive
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    print(f"building an archive of {docs:,} documents in {folder} ...", flush=True)
    vault = Vault(settings)
    try:
        started = time.perf_counter()
        insert_archive(vault, Corpus(seed), docs)
        db_s = time.perf_counter() - started
        print(f"  database: {db_s:7.1f} s (generation and bulk inserts)", flush=True)
        started = time.perf_counter()
        indexed = rebuild_index(vault.store, vault.index)
        index_s = time.perf_counter() - started
        print(f"  whoosh:   {index_s:7.1f} s (rebuild_index)", flush=True)
        started = time.perf_counter()
        _, fts_count = build_fts5(archive.fts5, records(vault.store))
        fts_s = time.perf_counter() - started
        print(f"  fts5:     {fts_s:7.1f} s (build_fts5 over the same records)", flush=True)
    finally:
        vault.close()
    if not indexed == fts_count == docs:
        raise SystemExit(f"built {indexed} Whoosh and {fts_count} FTS5 documents, not {docs}")
    archive.meta = {
        "docs": docs,
        "seed": seed,
        "built": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database_s": round(db_s, 1),
        "whoosh_s": round(index_s, 1),
        "fts5_s": round(fts_s, 1),
    }
    meta_path.write_text(json.dumps(archive.meta, indent=2) + "\n")
    return archive


def check_archive(archive: Archive, seed: int) -> bool:
    """A kept archive is reused only if the database, the index and FTS5 all hold every
    document and the corpus generator still writes the same first article; an index the
    current index/ cannot read is rebuilt from the database."""
    first = next(Corpus(seed).records(1))
    engine = make_engine(archive.settings.resolved_database_url)
    try:
        migrate(engine)  # an archive kept by an older linkvault
    finally:
        engine.dispose()
    vault = Vault(archive.settings)
    try:
        with vault.store.engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(Link)).scalar_one()
            text = conn.execute(select(Snapshot.text).where(Snapshot.id == 1)).scalar()
        if stored != archive.docs or text != first.text or not archive.fts5.exists():
            print(f"the kept archive in {archive.folder} is stale; rebuilding it", flush=True)
            return False
        try:
            indexed = vault.index.doc_count()
        except IndexUnavailable as exc:
            print(f"the kept index cannot be read ({exc}); rebuilding it", flush=True)
            indexed = -1
        if indexed != archive.docs:
            started = time.perf_counter()
            rebuild_index(vault.store, vault.index)
            archive.meta["whoosh_s"] = round(time.perf_counter() - started, 1)
            archive.save_meta()
        return True
    finally:
        vault.close()


# -- PostgreSQL ------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_databases(root: Path, url: str | None) -> Iterator[Callable[[str], str]]:
    """Yields database(name) -> the SQLAlchemy URL of database ``name``, created if missing:
    on the server of ``url``, or on a cluster of the bench's own in ROOT/postgres."""
    server = None
    if url is None:
        folder = (root / "postgres").resolve()
        folder.mkdir(exist_ok=True)
        server = PostgresServer(folder).start()
        url = server.url()
        print(f"PostgreSQL: a cluster of the bench's own in {root / 'postgres'}", flush=True)
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")

    def database(name: str) -> str:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not exists:
                # An identifier cannot be a bound parameter; the name is the bench's own.
                quoted = conn.dialect.identifier_preparer.quote(name)
                conn.execute(text(f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'"))
        return admin.url.set(database=name).render_as_string(hide_password=False)

    try:
        yield database
    finally:
        admin.dispose()
        if server is not None:
            server.stop()


def postgres_archive(archive: Archive, seed: int, url: str, rebuild: bool) -> None:
    """The archive's links and snapshots in the PostgreSQL database ``url``, indexed by the
    PostgreSQL backend; reused when it holds every document of the same corpus already."""
    settings = archive.settings.model_copy(
        update={"database_url": url, "search_backend": "postgres"}
    )
    archive.postgres = settings
    engine = make_engine(url)
    try:
        migrate(engine)  # a database kept by an older linkvault
    finally:
        engine.dispose()
    vault = Vault(settings)
    try:
        engine = vault.store.engine
        with engine.connect() as conn:
            links = conn.execute(select(func.count()).select_from(Link)).scalar_one()
            first = conn.execute(select(Snapshot.text).where(Snapshot.id == 1)).scalar()
        same = links == archive.docs and first == next(Corpus(seed).records(1)).text
        if same and not rebuild and vault.index.doc_count() == archive.docs:
            print(f"reusing the PostgreSQL archive {engine.url.database}", flush=True)
            return
        print(f"building the PostgreSQL archive {engine.url.database} ...", flush=True)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE links, runs CASCADE"))
        started = time.perf_counter()
        insert_archive(vault, Corpus(seed), archive.docs)
        archive.meta["postgres_database_s"] = round(time.perf_counter() - started, 1)
        print(f"  database: {archive.meta['postgres_database_s']:7.1f} s", flush=True)
        started = time.perf_counter()
        indexed = rebuild_index(vault.store, vault.index)
        archive.meta["postgres_s"] = round(time.perf_counter() - started, 1)
        print(f"  postgres: {archive.meta['postgres_s']:7.1f} s (rebuild_index)", flush=True)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # as autovacuum would, soon after
        if indexed != archive.docs:
            raise SystemExit(f"built {indexed} PostgreSQL documents, not {archive.docs}")
        archive.save_meta()
    finally:
        vault.close()


def postgres_mb(engine: Engine) -> tuple[float, float]:
    """(the search tables, the whole database) in MB."""
    with engine.connect() as conn:
        search = PostgresSearch(engine).size_bytes()
        whole = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return search / 1e6, whole / 1e6


def folder_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# -- in process -----------------------------------------------------------------------------


@dataclass
class InProcess:
    words: int
    whoosh: list[float]
    fts5: list[float]
    fts5_counts: list[float]
    median_total: float
    fallback_or: int
    timed_out: int
    fts5_empty: int
    postgres: list[float] | None = None
    pg_median_total: float = 0.0
    pg_fallback_or: int = 0
    pg_timed_out: int = 0


def in_process(archive: Archive, queries: dict[int, list[str]]) -> list[InProcess]:
    # The service's own settings: SearchIndex with its default time limit.
    idx = SearchIndex(archive.index_dir)
    fts = fts5_searcher(archive.fts5, with_counts=False)
    fts_counts = fts5_searcher(archive.fts5, with_counts=True)
    engine = make_engine(archive.postgres.resolved_database_url) if archive.postgres else None
    pg = PostgresSearch(engine) if engine is not None else None

    def whoosh(q: str) -> object:
        return idx.search(SearchQuery(q, per_page=10))

    def postgres(q: str) -> object:
        assert pg is not None
        return pg.search(SearchQuery(q, per_page=10))

    rows = []
    try:
        for words in WORDS:
            pages = [idx.search(SearchQuery(q, per_page=10)) for q in queries[words]]
            row = InProcess(
                words,
                whoosh=time_queries(whoosh, queries[words]),
                fts5=time_queries(fts, queries[words]),
                fts5_counts=time_queries(fts_counts, queries[words]),
                median_total=statistics.median(p.total for p in pages),
                fallback_or=sum(p.fallback_or for p in pages),
                timed_out=sum(p.timed_out for p in pages),
                fts5_empty=sum(not fts(q) for q in queries[words]),
            )
            if pg is not None:
                pg_pages = [pg.search(SearchQuery(q, per_page=10)) for q in queries[words]]
                row.postgres = time_queries(postgres, queries[words])
                row.pg_median_total = statistics.median(p.total for p in pg_pages)
                row.pg_fallback_or = sum(p.fallback_or for p in pg_pages)
                row.pg_timed_out = sum(p.timed_out for p in pg_pages)
            rows.append(row)
    finally:
        idx.close()
        if engine is not None:
            engine.dispose()
    return rows


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    search_path: str  # "/api/search?q=" or "/search?q="

    def path(self, query: str) -> str:
        return self.search_path + quote_plus(query)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def clean_env() -> dict[str, str]:
    # No LINKVAULT_* from the caller's shell: the archive is the only data the service sees.
    return {k: v for k, v in os.environ.items() if not k.startswith("LINKVAULT_")}


@contextlib.contextmanager
def started(
    name: str, argv: list[str], env: dict[str, str], port: int, search_path: str, logs: Path
) -> Iterator[Server]:
    log = logs / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    server = Server(name, port, process, log, search_path)
    try:
        wait_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"{server.name} exited ({server.process.returncode}):\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{server.name} not healthy after {timeout:.0f} s:\n{server.log_tail()}")


def linkvault_server(
    archive: Archive, logs: Path, backend: str = "whoosh", web_workers: int = 1
) -> contextlib.AbstractContextManager[Server]:
    """`linkvault serve` over the archive, searching with ``backend`` (the server's name), in
    ``web_workers`` processes (LINKVAULT_WEB_WORKERS)."""
    port = free_port()
    env = clean_env() | {
        "LINKVAULT_DATA_DIR": str(archive.settings.data_dir.resolve()),
        "LINKVAULT_WEB_WORKERS": str(web_workers),
    }
    if backend == "postgres":
        assert archive.postgres is not None
        env["LINKVAULT_DATABASE_URL"] = archive.postgres.resolved_database_url
        env["LINKVAULT_SEARCH_BACKEND"] = "postgres"
    argv = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return started(backend, argv, env, port, "/api/search?q=", logs)


def fts5_server(archive: Archive, logs: Path) -> contextlib.AbstractContextManager[Server]:
    port = free_port()
    argv = [sys.executable, str(BENCH / "_fts5_server.py"), "--db", str(archive.fts5.resolve())]
    argv += ["--port", str(port)]
    return started("fts5", argv, clean_env(), port, "/search?q=", logs)


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


# -- wrk ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    server: str
    words: int
    requests: int  # completed in the run
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu: float  # the server process's CPU use during the run, in cores
    load: float  # the machine's 1-minute load average after the run
    one_client_p50: float = 0.0  # the same queries in turn, one at a time


def _server_cpu(server: Server) -> float:
    """CPU seconds of the server and its worker processes (LINKVAULT_WEB_WORKERS > 1)."""
    process = psutil.Process(server.process.pid)
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += sum(proc.cpu_times()[:2])
    return total


def run_wrk(
    server: Server, queries: list[str], seconds: float, connections: int, work: Path, words: int
) -> LoadResult:
    paths = work / f"paths-{server.name}-{words}.txt"
    paths.write_text("".join(server.path(q) + "\n" for q in queries))
    argv = ["wrk", "-t", str(min(2, connections)), "-c", str(connections)]
    argv += ["-d", f"{seconds:g}s", "--timeout", "30s", "--latency", "-s", str(BENCH / "_wrk.lua")]
    argv += [f"http://127.0.0.1:{server.port}", "--", str(paths)]
    cpu_before = _server_cpu(server)
    wall = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    cpu = (_server_cpu(server) - cpu_before) / wall
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    fields = dict(item.split("=") for item in lines[-1].split()[1:])
    n = {key: int(value) for key, value in fields.items()}
    errors = sum(n[key] for key in ("connect", "read", "write", "status", "timeout"))
    # No request finished: wrk prints zeros, which must not read as "fast".
    ms = {
        key: n[key] / 1000 if n["requests"] else math.inf for key in ("p50_us", "p95_us", "p99_us")
    }
    return LoadResult(
        server.name,
        words,
        requests=n["requests"],
        rps=n["requests"] / (n["duration_us"] / 1e6),
        p50=ms["p50_us"],
        p95=ms["p95_us"],
        p99=ms["p99_us"],
        errors=errors,
        cpu=cpu,
        load=os.getloadavg()[0],
    )


def over_http(
    archive: Archive, queries: dict[int, list[str]], args: argparse.Namespace, work: Path
) -> list[LoadResult]:
    every = [q for words in WORDS for q in queries[words]]
    results = []
    web = args.web_workers
    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(linkvault_server(archive, work, "whoosh", web))]
        if archive.postgres is not None:
            servers.append(stack.enter_context(linkvault_server(archive, work, "postgres", web)))
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


# -- report -------------------------------------------------------------------------------


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def report(
    archive: Archive,
    local: list[InProcess],
    http: list[LoadResult],
    args: argparse.Namespace,
) -> None:
    docs = archive.docs
    data = archive.settings.data_dir
    print(f"\n== {docs:,} documents ==")
    print(
        f"archive: database {folder_mb(data / 'linkvault.db'):.0f} MB, Whoosh index "
        f"{folder_mb(archive.index_dir):.0f} MB, FTS5 {folder_mb(archive.fts5):.0f} MB; "
        f"built in {archive.meta.get('database_s', '?')} s (database), "
        f"{archive.meta.get('whoosh_s', '?')} s (Whoosh), {archive.meta.get('fts5_s', '?')} s "
        f"(FTS5)"
    )
    if archive.postgres is not None:
        engine = make_engine(archive.postgres.resolved_database_url)
        try:
            search_mb, whole_mb = postgres_mb(engine)
        finally:
            engine.dispose()
        print(
            f"PostgreSQL: database {whole_mb:.0f} MB, of which search tables {search_mb:.0f} MB;"
            f" built in {archive.meta.get('postgres_database_s', '?')} s (database), "
            f"{archive.meta.get('postgres_s', '?')} s (rebuild_index)"
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
        print(
            f"  {row.words}-word (median total {row.median_total:,.0f}, OR fallback "
            f"{row.fallback_or}/{args.queries}, timed out {row.timed_out}; FTS5 finds nothing "
            f"for {row.fts5_empty}):"
        )
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


# -- main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL backend")
    parser.add_argument(
        "--web-workers",
        type=int,
        default=1,
        help="processes of each linkvault server (LINKVAULT_WEB_WORKERS; default 1, as served)",
    )
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if shutil.which("wrk") is None:
        raise SystemExit(
            "bench/search.py needs the HTTP load generator wrk, which is not installed.\n"
            "On Debian/Ubuntu: apt-get update && apt-get install -y wrk"
        )
    root = args.keep or Path(tempfile.mkdtemp(prefix="lv-search-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(args.seed)
    queries = {words: corpus.queries(words, args.queries) for words in WORDS}
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    print(
        f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
        f"python {sys.version.split()[0]}, wrk {(wrk_version.split() + ['?', '?'])[1]}"
    )
    try:
        with contextlib.ExitStack() as stack:
            database = None
            if not args.no_postgres:
                database = stack.enter_context(postgres_databases(root, args.postgres_url))
            for docs in args.docs:
                run_one(root, docs, args, queries, database)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def run_one(
    root: Path,
    docs: int,
    args: argparse.Namespace,
    queries: dict[int, list[str]],
    database: Callable[[str], str] | None,
) -> None:
    archive = archive_for(root, docs, args.seed, args.rebuild)
    if database is not None:
        url = database(f"lv_search_{docs}_seed{args.seed}")
        postgres_archive(archive, args.seed, url, args.rebuild)
    with tempfile.TemporaryDirectory(prefix="lv-search-run-") as tmp:
        print(f"in-process searches, {docs:,} documents ...", flush=True)
        local = in_process(archive, queries)
        print(f"HTTP load, {docs:,} documents ...", flush=True)
        http = over_http(archive, queries, args, Path(tmp))
    report(archive, local, http, args)


if __name__ == "__main__":
    main()
