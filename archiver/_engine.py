"""The SQLAlchemy engine, with SQLite tuned for one writer and many readers, and the short
transactions on it that every part of the store reads and writes through."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

# Writers wait this long for another process's transaction before SQLite says "locked".
BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """An engine with SQLite tuned for one writer and many readers (WAL, busy timeout)."""
    is_sqlite = url.startswith("sqlite")
    connect_args: dict[str, Any] = {}
    if is_sqlite:
        connect_args = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    # A PostgreSQL server restarts (an upgrade, a failover): connections pooled before are
    # dead, and pre-ping replaces them on checkout instead of failing the next request.
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _use_wal(cursor)
    # NORMAL is durable in WAL mode except for the last transactions on power loss,
    # never corrupting; FULL would fsync every link.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deletes (archiver/curation.py) remove what a link owns explicitly, in order; the
    # constraints are on so that a write that would leave a row pointing at nothing fails.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLite's lower() folds ASCII only: a tag filter compares tags folded as Python does.
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _use_wal(cursor: Any) -> None:
    """WAL is kept in the file: the first connection to a new database switches it, the
    others find it set. Switching needs the file to itself, and when several new connections
    try at once SQLite answers "locked" at once instead of waiting out the busy timeout (its
    busy handler would deadlock them), so processes starting together on a new database
    (workers, web replicas) failed now and then. Try again, as a writer would wait."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))  # spread the retries out


class Database:
    """An engine and its sessions: the base of the store and of each of its parts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One short transaction, committed when the block ends."""
        with self._sessions() as session, session.begin():
            yield session
