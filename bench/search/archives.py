"""The archives the search bench measures: generated articles bulk-inserted into the real
SQLite database, indexed by Whoosh and FTS5, and the same archive in PostgreSQL; built once
and reused from --keep when they still hold the same corpus."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text, update

from app.services import Vault, rebuild_index, records
from app.settings import Settings
from archiver import make_engine
from archiver.models import Link, LinkStatus, Snapshot
from archiver.schema import migrate
from archiver.urls import normalize_url
from bench._corpus import Corpus
from bench.postgres import PostgresServer
from bench.search_index import build_fts5
from index import IndexUnavailable
from index.postgres import PostgresSearch

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
        # As root the server runs as the postgres user, who must pass through ROOT to reach
        # its folder: a temporary ROOT (no --keep) is made 0700.
        root.chmod(root.stat().st_mode | 0o111)
        # A page cache that holds the search tables' rows, as a server for the archive would.
        server = PostgresServer(folder, shared_buffers="2GB").start()
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
