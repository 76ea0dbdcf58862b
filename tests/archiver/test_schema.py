"""Alembic migrations on SQLite and PostgreSQL: they build exactly what the models describe,
an old database is refused until `linkvault migrate`, and a pre-migrations one is adopted."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from archiver import make_engine
from archiver.models import Base
from archiver.schema import (
    FIRST_REVISION,
    SchemaOutOfDate,
    current_revision,
    ensure_current,
    head_revision,
    migrate,
)
from archiver.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'linkvault.db'}")
    url = request.getfixturevalue("postgres_url")
    return make_engine(url)


def _differences(engine: Engine) -> list[object]:
    def ours(obj: object, name: str | None, type_: str, reflected: bool, _other: object) -> bool:
        # Tables of other revisions' backends (search_documents) are not in the models.
        return not (type_ == "table" and reflected and name not in Base.metadata.tables)

    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": ours}
        )
        return list(compare_metadata(context, Base.metadata))


def _downgrade_to_first(engine: Engine) -> None:
    """A database as linkvault made it before migrations: first revision, no version table."""
    from alembic import command

    from archiver.schema import _config

    with engine.begin() as conn:
        command.downgrade(_config(conn), FIRST_REVISION)
        conn.execute(text("DROP TABLE alembic_version"))


def test_a_new_database_gets_the_latest_schema_matching_the_models(engine: Engine) -> None:
    assert current_revision(engine) is None
    Store(engine, None).create_schema()  # type: ignore[arg-type]
    assert current_revision(engine) == head_revision()
    assert _differences(engine) == []
    ensure_current(engine)  # idempotent


def test_an_old_database_is_refused_until_migrated(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO runs (kind, started_at, counts) VALUES ('x', :t, '{}')"),
            {"t": "2024-01-01 00:00:00+00:00"},
        )
    _downgrade_to_first(engine)
    assert current_revision(engine) == FIRST_REVISION
    if head_revision() != FIRST_REVISION:
        with pytest.raises(SchemaOutOfDate, match="linkvault migrate"):
            ensure_current(engine)
    before, after = migrate(engine)
    assert (before, after) == (FIRST_REVISION, head_revision())
    ensure_current(engine)
    assert _differences(engine) == []
    with engine.connect() as conn:  # data survives
        assert conn.execute(text("SELECT kind FROM runs")).scalar_one() == "x"


def test_a_database_from_a_newer_linkvault_is_refused(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaOutOfDate, match="newer linkvault"):
        ensure_current(engine)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_command_and_the_service_refusing_an_old_schema(
    engine: Engine, tmp_path: Path
) -> None:
    env = {"LINKVAULT_DATA_DIR": str(tmp_path / "data")}
    if engine.dialect.name != "sqlite":
        env["LINKVAULT_DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
    else:
        env["LINKVAULT_DATA_DIR"] = str(Path(str(engine.url.database)).parent)
    migrate(engine)
    _downgrade_to_first(engine)
    if head_revision() != FIRST_REVISION:
        for command in (["serve", "--port", "1"], ["archive", "-"]):
            refused = _cli(env, *command)
            assert refused.returncode == 2, refused.stderr
            assert "linkvault migrate" in refused.stderr
            assert "Traceback" not in refused.stderr
    done = _cli(env, "migrate")
    assert done.returncode == 0, done.stderr
    assert f"to {head_revision()}" in done.stderr
    again = _cli(env, "migrate")
    assert "up to date" in again.stderr
    assert _cli(env, "status").returncode == 0
    assert inspect(create_engine(engine.url)).has_table("links")


def test_first_connections_to_a_new_sqlite_file_all_open(tmp_path: Path) -> None:
    """Switching a new file to WAL needs it to itself, and SQLite refused connections that
    tried together at once ("database is locked"), without waiting: about one round in
    sixteen failed before the switch was retried."""
    starters, rounds = 6, 60

    def start(url: str, barrier: threading.Barrier) -> None:
        own = make_engine(url)
        try:
            barrier.wait(timeout=30)
            with own.connect():
                pass
        finally:
            own.dispose()

    with ThreadPoolExecutor(max_workers=starters) as pool:
        for n in range(rounds):
            url = f"sqlite:///{tmp_path / f'new-{n}.db'}"
            barrier = threading.Barrier(starters)
            for started in [pool.submit(start, url, barrier) for _ in range(starters)]:
                started.result()


def test_processes_starting_at_once_on_a_new_database_all_get_the_schema(
    engine: Engine,
) -> None:
    """Workers and web replicas started together on an empty database: one creates the
    schema, the others wait for it; none fails on "already exists"."""
    url = engine.url.render_as_string(hide_password=False)
    starters = 6
    barrier = threading.Barrier(starters)

    def start() -> str | None:
        own = make_engine(url)  # a process of its own would have its own engine
        try:
            barrier.wait(timeout=30)
            ensure_current(own)
            return current_revision(own)
        finally:
            own.dispose()

    with ThreadPoolExecutor(max_workers=starters) as pool:
        revisions = list(pool.map(lambda _: start(), range(starters)))
    assert revisions == [head_revision()] * starters
    assert _differences(engine) == []
