"""The database schema's version: Alembic migrations (archiver/migrations), run by
`linkvault migrate`, on SQLite and PostgreSQL alike.

A new, empty database is brought to the latest revision on first use. A database at an older
revision is refused (SchemaOutOfDate) until `linkvault migrate` upgrades it: a schema change
can take long on a big archive, and several processes (web replicas, workers) share one
database, so it is run once, on purpose, not by whichever process starts first. A database
created before migrations existed (no alembic_version table, but linkvault's tables) is
recognised as the first revision.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, func, inspect, select

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"
# pg_advisory_xact_lock key ("lvschema" in ASCII) held while the schema is created or migrated.
SCHEMA_LOCK = 0x6C76_7363_6865_6D61


class SchemaOutOfDate(Exception):
    """The database was made by another version of linkvault; the message says what to do."""


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    # Reading the migrations folder imports every revision file (tens of milliseconds), and
    # every store that opens asks for the head; the folder does not change while we run.
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision; FIRST_REVISION for a pre-migrations linkvault database;
    None for an empty database."""
    with engine.connect() as conn:
        return _revision(conn)


def _revision(conn: Connection) -> str | None:
    revision = MigrationContext.configure(conn).get_current_revision()
    if revision is None and inspect(conn).has_table("links"):
        return FIRST_REVISION
    return revision


def _lock_schema(conn: Connection) -> None:
    """Makes this transaction the only one changing the schema until it ends.

    Several processes (workers, web replicas) started at once on a new database would
    otherwise all create the tables, and all but one fail on "already exists". The others
    wait here, then find the schema made. On SQLite the transaction is begun explicitly,
    IMMEDIATE (taking the write lock), because the driver runs DDL outside any transaction
    by default: this also makes a migration all-or-nothing there, as it is on PostgreSQL."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK)))
    elif conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrades the database to the latest revision; returns (from, to). Safe to run from
    several processes at once: one migrates, the others then find nothing to do."""
    head = head_revision()
    with engine.begin() as conn:
        _lock_schema(conn)
        before = _revision(conn)
        if before == head:
            return before, head
        config = _config(conn)
        if (
            before == FIRST_REVISION
            and MigrationContext.configure(conn).get_current_revision() is None
        ):
            command.stamp(config, FIRST_REVISION)  # made before migrations existed
        command.upgrade(config, "head")
    return before, head


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def ensure_current(engine: Engine) -> None:
    """Creates the schema in an empty database; raises SchemaOutOfDate for an older (or
    newer) one."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None:
        migrate(engine)
        return
    if not _known(current):
        raise SchemaOutOfDate(
            f"The database schema is at revision {current}, which this version of linkvault "
            "does not know: it was written by a newer linkvault. Upgrade linkvault."
        )
    raise SchemaOutOfDate(
        f"The database schema is at revision {current}; this version of linkvault needs "
        f"{head}. Back it up (copy linkvault.db, or pg_dump), then run `linkvault migrate`."
    )
