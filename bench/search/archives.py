"""The archives the search bench measures: generated articles bulk-inserted into the real
SQLite database and indexed by Whoosh and FTS5 (the backends asked for), and the same
archive in PostgreSQL (bench/search/pg_archive.py); built once and reused from --keep when
they still hold the same corpus."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from app.services import Vault, rebuild_index, records
from app.settings import Settings
from archiver import make_engine
from archiver.models import Link, Snapshot
from archiver.schema import migrate
from bench._corpus import Corpus
from bench.search.pg_archive import postgres_archive
from bench.search.rows import Row, archive_rows
from bench.search_index import build_fts5
from index import IndexUnavailable

INSERT_BATCH = 1_000
BACKENDS = ("whoosh", "postgres", "fts5")
# What the SQLite archive is for: PostgreSQL alone needs none.
LOCAL_BACKENDS = frozenset({"whoosh", "fts5"})


# -- the archive ------------------------------------------------------------------------------


def insert_archive(engine: Engine, corpus: Corpus, docs: int) -> None:
    """Links and their snapshots, as `linkvault archive` would leave them, in bulk."""
    links: list[Row] = []
    snapshots: list[Row] = []

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(insert(Link), links)
            conn.execute(insert(Snapshot), snapshots)
        links.clear()
        snapshots.clear()

    for link, snapshot in archive_rows(corpus, docs):
        links.append(link)
        snapshots.append(snapshot)
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
    # The backends measured, among BACKENDS.
    backends: frozenset[str] = field(default_factory=lambda: frozenset(BACKENDS))
    # The same archive in PostgreSQL, searched by the PostgreSQL backend (None: not measured).
    postgres: Settings | None = None

    @property
    def index_dir(self) -> Path:
        return self.settings.index_dir

    def save_meta(self) -> None:
        (self.folder / "meta.json").write_text(json.dumps(self.meta, indent=2) + "\n")


def archive_for(
    root: Path, docs: int, seed: int, rebuild: bool, backends: frozenset[str]
) -> Archive:
    """The SQLite archive with the Whoosh index and FTS5 table ``backends`` ask for (none
    when they ask for PostgreSQL alone: the folder then only holds meta.json)."""
    folder = root / f"search-{docs}-seed{seed}"
    settings = Settings(data_dir=folder / "data")  # type: ignore[call-arg]
    archive = Archive(folder, docs, settings, folder / "fts5.sqlite", {}, backends)
    meta_path = folder / "meta.json"
    if meta_path.exists():
        archive.meta = json.loads(meta_path.read_text())
    if not backends & LOCAL_BACKENDS:
        folder.mkdir(parents=True, exist_ok=True)
        return archive
    kept_sqlite = archive.meta.get("database_s") is not None and not rebuild
    if kept_sqlite and check_archive(archive, seed):
        print(f"reusing the archive in {folder} (built {archive.meta['built']})")
        return archive
    # The PostgreSQL figures stay: its database is kept (or not) on its own.
    kept = {k: v for k, v in archive.meta.items() if k.startswith("postgres")}
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    archive.meta = kept
    archive.save_meta()
    print(f"building an archive of {docs:,} documents in {folder} ...", flush=True)
    vault = Vault(settings)  # makes the data folder and the schema
    try:
        started = time.perf_counter()
        insert_archive(vault.store.engine, Corpus(seed), docs)
    finally:
        vault.close()
    db_s = time.perf_counter() - started
    print(f"  database: {db_s:7.1f} s (generation and bulk inserts)", flush=True)
    archive.meta = {
        "docs": docs,
        "seed": seed,
        "built": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "database_s": round(db_s, 1),
        **kept,
    }
    build_indexes(archive)
    return archive


def build_indexes(archive: Archive, whoosh: bool = True, fts5: bool = True) -> None:
    """The Whoosh index and the FTS5 table the archive's backends ask for, from its database."""
    vault = Vault(archive.settings)
    try:
        if whoosh and "whoosh" in archive.backends:
            started = time.perf_counter()
            indexed = rebuild_index(vault.store, vault.index)
            archive.meta["whoosh_s"] = round(time.perf_counter() - started, 1)
            print(f"  whoosh:   {archive.meta['whoosh_s']:7.1f} s (rebuild_index)", flush=True)
            if indexed != archive.docs:
                raise SystemExit(f"built {indexed} Whoosh documents, not {archive.docs}")
        if fts5 and "fts5" in archive.backends:
            archive.fts5.unlink(missing_ok=True)
            seconds, count = build_fts5(archive.fts5, records(vault.store))
            archive.meta["fts5_s"] = round(seconds, 1)
            print(f"  fts5:     {seconds:7.1f} s (build_fts5 over the same records)", flush=True)
            if count != archive.docs:
                raise SystemExit(f"built {count} FTS5 documents, not {archive.docs}")
    finally:
        vault.close()
    archive.save_meta()


def check_archive(archive: Archive, seed: int) -> bool:
    """A kept archive is reused only if its database holds every document and the corpus
    generator still writes the same first article; a Whoosh index or FTS5 table that is
    missing, incomplete or unreadable by the current index/ is built again from it."""
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
        if stored != archive.docs or text != first.text:
            print(f"the kept archive in {archive.folder} is stale; rebuilding it", flush=True)
            return False
        try:
            indexed = vault.index.doc_count()
        except IndexUnavailable as exc:
            print(f"the kept index cannot be read ({exc}); rebuilding it", flush=True)
            indexed = -1
    finally:
        vault.close()
    whoosh = indexed != archive.docs
    fts5 = not archive.fts5.exists()
    if whoosh or fts5:
        build_indexes(archive, whoosh=whoosh, fts5=fts5)
    return True


def with_postgres(archive: Archive, seed: int, url: str, rebuild: bool) -> None:
    """The archive's links and snapshots in the PostgreSQL database ``url`` too, indexed by
    the PostgreSQL backend, built or reused (bench/search/pg_archive.py)."""
    settings = archive.settings.model_copy(
        update={"database_url": url, "search_backend": "postgres"}
    )
    archive.postgres = settings
    archive.meta.setdefault("docs", archive.docs)
    archive.meta.setdefault("seed", seed)
    postgres_archive(settings, archive.docs, seed, rebuild, archive.meta, archive.save_meta)
    archive.save_meta()


def folder_mb(path: Path) -> float:
    if not path.exists():
        return 0.0
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6
