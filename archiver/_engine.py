"""The SQLAlchemy engine, with SQLite tuned for one writer and many readers, and the short
transactions on it that every part of the store reads and writes through."""

from __future__ import annotations

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
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    # NORMAL is durable in WAL mode except for the last transactions on power loss,
    # never corrupting; FULL would fsync every link.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


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
