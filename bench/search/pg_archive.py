"""The search bench's archive in PostgreSQL: links and snapshots copied straight into the
real schema (archiver migrations) with COPY, and indexed by the PostgreSQL search backend
(rebuild_index).

A kept database is reused in two parts: its links and snapshots when they hold the same
corpus (as many links, each with its snapshot, and the generator's first article), and its
search tables when they hold every document and no link waits for indexing. A migration that
empties or changes the search tables (and marks links for indexing) costs a rebuild_index,
not a new insert: at a million documents the insert takes a quarter of an hour.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import Engine, func, select, text

from app.services import Vault, rebuild_index
from app.settings import Settings
from archiver import make_engine
from archiver.models import Link, Snapshot
from archiver.schema import migrate
from bench._corpus import Corpus
from bench.postgres import PostgresServer
from bench.search.rows import Row, archive_rows
from index.postgres import PostgresSearch

# Rows per COPY: ~25 MB of text in memory at a time; larger batches gain nothing measurable.
COPY_BATCH = 5_000
# Printed while a long insert runs, so a log shows it is moving.
PROGRESS_EVERY = 100_000
_JSON_COLUMNS = {"tags", "headers"}


# -- the server -------------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_databases(root: Path, url: str | None) -> Iterator[Callable[[str], str]]:
    """Yields database(name) -> the SQLAlchemy URL of database ``name``, created if missing:
    on the server of ``url``, or on a cluster of the bench's own in ROOT/postgres (shared by
    bench runs on the same ROOT at once, and stopped by the last of them)."""
    server = None
    if url is None:
        folder = (root / "postgres").resolve()
        folder.mkdir(exist_ok=True)
        # As root the server runs as the postgres user, who must pass through ROOT to reach
        # its folder: a temporary ROOT (no --keep) is made 0700.
        root.chmod(root.stat().st_mode | 0o111)
        # A page cache that holds the search tables' rows, as a server for the archive would.
        server = PostgresServer(folder, shared_buffers="2GB")
        user = _register_user(folder)
        if server.attach():
            print(f"PostgreSQL: the cluster in {folder} (running already)", flush=True)
        else:
            server.start()
            print(f"PostgreSQL: a cluster of the bench's own in {folder}", flush=True)
        url = server.url()
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
            user.unlink(missing_ok=True)
            if not _other_users(server.folder):
                server.stop("fast")


def _register_user(folder: Path) -> Path:
    """A file naming this process among the cluster's users (bench runs sharing it)."""
    users = folder / "users"
    users.mkdir(exist_ok=True)
    mine = users / str(os.getpid())
    mine.touch()
    return mine


def _other_users(folder: Path) -> bool:
    """Whether another live process uses the cluster (a dead one's file is removed)."""
    others = False
    for entry in (folder / "users").glob("*"):
        try:
            os.kill(int(entry.name), 0)
            others = True
        except (ValueError, ProcessLookupError):
            entry.unlink(missing_ok=True)
        except PermissionError:  # alive, another user's
            others = True
    return others


# -- the archive ------------------------------------------------------------------------------


def postgres_archive(
    settings: Settings,
    docs: int,
    seed: int,
    rebuild: bool,
    meta: dict[str, Any],
    save: Callable[[], None] = lambda: None,
) -> None:
    """The archive of ``docs`` articles in the database of ``settings`` (search_backend
    postgres), built or reused; build times and sizes go into ``meta``, and ``save`` is
    called after each step (a run stopped during a long rebuild keeps its insert time)."""
    engine = make_engine(settings.resolved_database_url)
    try:
        started = time.perf_counter()
        before, after = migrate(engine)  # a database kept by an older linkvault
    finally:
        engine.dispose()
    if before is not None and before != after:
        # A migration may rewrite the search tables (0015 computes its tsvectors for every
        # document): part of what a kept archive costs to bring up to date.
        meta["postgres_migrate_s"] = round(time.perf_counter() - started, 1)
        meta["postgres_migrated"] = f"{before} -> {after}"
        print(f"  migrate: {meta['postgres_migrate_s']:8.1f} s ({before} -> {after})", flush=True)
        save()
    vault = Vault(settings)
    try:
        engine = vault.store.engine
        name = engine.url.database
        if rebuild or not same_links(engine, docs, seed):
            print(f"inserting {docs:,} links and snapshots into PostgreSQL {name} ...", flush=True)
            started = time.perf_counter()
            copy_archive(engine, Corpus(seed), docs)
            meta["postgres_insert_s"] = round(time.perf_counter() - started, 1)
            print(f"  insert:  {meta['postgres_insert_s']:8.1f} s (COPY)", flush=True)
            meta.pop("postgres_rebuild_s", None)
            save()
            vacuum(engine)
        else:
            print(f"reusing the links and snapshots of PostgreSQL {name}", flush=True)
        if not rebuild and index_complete(vault, engine, docs):
            print(f"reusing the search tables of PostgreSQL {name}", flush=True)
        else:
            print(f"rebuild_index of PostgreSQL {name} ...", flush=True)
            started = time.perf_counter()
            indexed = rebuild_index(vault.store, vault.index)
            meta["postgres_rebuild_s"] = round(time.perf_counter() - started, 1)
            print(f"  rebuild: {meta['postgres_rebuild_s']:8.1f} s (rebuild_index)", flush=True)
            if indexed != docs:
                raise SystemExit(f"built {indexed} PostgreSQL documents, not {docs}")
            vacuum(engine)  # as autovacuum would, soon after
            save()
        search_mb, whole_mb = postgres_mb(engine)
        meta["postgres_search_mb"] = round(search_mb)
        meta["postgres_database_mb"] = round(whole_mb)
    finally:
        vault.close()


def same_links(engine: Engine, docs: int, seed: int) -> bool:
    """Whether the database holds the corpus's ``docs`` links, each with its snapshot."""
    with engine.connect() as conn:
        links = conn.execute(select(func.count()).select_from(Link)).scalar_one()
        bare = conn.execute(
            select(func.count()).select_from(Link).where(Link.snapshot_id.is_(None))
        ).scalar_one()
        first = conn.execute(select(Snapshot.text).where(Snapshot.id == 1)).scalar()
    return links == docs and bare == 0 and first == next(Corpus(seed).records(1)).text


def index_complete(vault: Vault, engine: Engine, docs: int) -> bool:
    """Every document indexed, and no link marked for indexing (a migration that changes the
    search documents marks them)."""
    with engine.connect() as conn:
        waiting = conn.execute(
            select(func.count()).select_from(Link).where(Link.needs_index.is_(True))
        ).scalar_one()
    return waiting == 0 and vault.index.doc_count() == docs


def copy_archive(engine: Engine, corpus: Corpus, docs: int) -> None:
    """Empties the archive, then COPYs the corpus's links and snapshots in, COPY_BATCH at a
    time (one transaction each), and links each link to its snapshot."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE links, runs CASCADE"))
    raw = engine.raw_connection()
    try:
        pg = raw.driver_connection
        assert pg is not None
        links: list[Row] = []
        snapshots: list[Row] = []
        done = 0
        for link, snapshot in archive_rows(corpus, docs):
            links.append(link)
            snapshots.append(snapshot)
            if len(links) >= COPY_BATCH:
                done = _copy_batch(pg, links, snapshots, done)
        if links:
            _copy_batch(pg, links, snapshots, done)
        with pg.cursor() as cur:
            cur.execute("UPDATE links SET snapshot_id = id")
            # The ids were given: the sequences go past them, as after real archiving.
            for table in ("links", "snapshots"):
                cur.execute(
                    f"SELECT setval(s, (SELECT max(id) FROM {table})) "
                    f"FROM pg_get_serial_sequence('{table}', 'id') AS s WHERE s IS NOT NULL"
                )
        pg.commit()
    finally:
        raw.close()


def _copy_batch(pg: Any, links: list[Row], snapshots: list[Row], done: int) -> int:
    for table, rows in (("links", links), ("snapshots", snapshots)):
        columns = list(rows[0])
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with pg.cursor() as cur, cur.copy(statement) as copy:
            for values in rows:
                copy.write_row([_value(c, values[c]) for c in columns])
    pg.commit()
    total = done + len(links)
    if total // PROGRESS_EVERY > done // PROGRESS_EVERY:
        print(f"  {total:,} links", flush=True)
    links.clear()
    snapshots.clear()
    return total


def _value(column: str, value: Any) -> Any:
    # JSON columns: psycopg would send a list as an array and cannot send a dict at all.
    return Json(value) if column in _JSON_COLUMNS else value


def vacuum(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def postgres_mb(engine: Engine) -> tuple[float, float]:
    """(the search tables, the whole database) in MB."""
    with engine.connect() as conn:
        search = PostgresSearch(engine).size_bytes()
        whole = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return search / 1e6, whole / 1e6
