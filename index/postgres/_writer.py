"""Writing search documents: batched upserts, and the whole-index rebuild, in PostgreSQL.

Writers take one transaction-scoped advisory lock, so two writers (a command-line run and the
web service) write in turn as they do on the Whoosh index, and a rebuild excludes the others;
waiting longer than ``lock_timeout`` raises IndexLocked. Searches never wait: they read the
last committed snapshot, so a rebuild (delete everything, insert everything, one transaction)
is seen all at once when it commits, and a failed one leaves the old documents.

A row PostgreSQL refuses does not sink its batch: the batch is retried row by row, a text
whose tsvector is over PostgreSQL's limit (1 MB of words and positions) is indexed again from
its first half, then quarter, and so on, and a document whose link was deleted meanwhile is
skipped (there is nothing left to find).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError

from index._errors import IndexLocked, IndexUnavailable
from index._types import CommitsOnExit, IndexRecord
from index.postgres._tables import documents, row, with_code_words

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key: "linkvault search index", arbitrary but fixed.
LOCK_KEY = 0x6C76_5F73_6561_7263
CHUNK = 500
_PROGRAM_LIMIT, _FOREIGN_KEY, _LOCK_NOT_AVAILABLE = "54000", "23503", "55P03"
# Below this many characters a text is not cut further: the refusal is about something else.
_MIN_CUT = 1_000

_LOCK = sa.text("SELECT pg_advisory_xact_lock(:key)")
_LOCK_TIMEOUT = sa.text("SELECT set_config('lock_timeout', :ms, true)")
_ADD_LEXEMES = sa.text(
    "INSERT INTO search_lexemes (lexeme, ndoc) "
    "SELECT w.lexeme, count(*) FROM search_documents AS d, "
    "unnest(tsvector_to_array(d.tsv)) AS w(lexeme) "
    "WHERE d.link_id = ANY(CAST(:ids AS integer[])) GROUP BY w.lexeme ORDER BY w.lexeme "
    "ON CONFLICT (lexeme) DO NOTHING"
)
_ALL_LEXEMES = sa.text(
    "INSERT INTO search_lexemes (lexeme, ndoc) "
    "SELECT word, ndoc FROM ts_stat('SELECT tsv FROM search_documents')"
)
_UPDATED = (
    "url",
    "title",
    "body",
    "section",
    "domain",
    "status",
    "archived_at",
    "published",
    "note",
    "tags",
    "tag_keys",
    "title_code",
    "note_code",
    "body_code",
)


def sqlstate(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None)


def lock(conn: sa.Connection, timeout: float) -> None:
    """The index's write lock, until the transaction ends; IndexLocked after ``timeout``."""
    conn.execute(_LOCK_TIMEOUT, {"ms": str(max(1, int(timeout * 1000)))})
    try:
        conn.execute(_LOCK, {"key": LOCK_KEY})
    except DBAPIError as exc:
        if sqlstate(exc) == _LOCK_NOT_AVAILABLE:
            raise IndexLocked(
                f"Another writer held the search index for more than {timeout:g} s."
            ) from exc
        raise
    conn.execute(_LOCK_TIMEOUT, {"ms": "0"})


def _upsert(replace: bool) -> Any:
    stmt = insert(documents)
    if not replace:
        return stmt.on_conflict_do_nothing(index_elements=["link_id"])
    updates = {name: stmt.excluded[name] for name in (*_UPDATED, "version")}
    return stmt.on_conflict_do_update(index_elements=["link_id"], set_=updates)


def write_rows(conn: sa.Connection, rows: list[dict[str, Any]], replace: bool = True) -> list[int]:
    """Upserts ``rows``; returns the ids written (all but those whose link is gone)."""
    if not rows:
        return []
    stmt = _upsert(replace)
    try:
        with conn.begin_nested():
            conn.execute(stmt, rows)
        return [r["link_id"] for r in rows]
    except DBAPIError as exc:
        if sqlstate(exc) not in (_PROGRAM_LIMIT, _FOREIGN_KEY):
            raise
    return [r["link_id"] for r in rows if _write_one(conn, stmt, dict(r))]


def _write_one(conn: sa.Connection, stmt: Any, values: dict[str, Any]) -> bool:
    while True:
        try:
            with conn.begin_nested():
                conn.execute(stmt, [values])
            return True
        except DBAPIError as exc:
            state = sqlstate(exc)
            if state == _FOREIGN_KEY:
                log.info("link %s is gone; its document is not indexed", values["link_id"])
                return False
            longest = max(("body", "title"), key=lambda k: len(values[k]))
            if state != _PROGRAM_LIMIT or len(values[longest]) < _MIN_CUT:
                raise
            cut = len(values[longest]) // 2
            log.warning(
                "link %s: its text is too large for a PostgreSQL tsvector; indexing only the "
                "first %d characters of its %s",
                values["link_id"],
                cut,
                longest,
            )
            values[longest] = values[longest][:cut]
            with_code_words(values)


def apply_batch(
    engine: sa.Engine, batch: dict[int, IndexRecord | None], lock_timeout: float
) -> None:
    """Deletes the ids mapped to None, upserts the records: one transaction, under the lock."""
    with engine.begin() as conn:
        lock(conn, lock_timeout)
        gone = [link_id for link_id, record in batch.items() if record is None]
        if gone:
            conn.execute(sa.delete(documents).where(documents.c.link_id.in_(gone)))
        rows = [row(record) for record in batch.values() if record is not None]
        for start in range(0, len(rows), CHUNK):
            written = write_rows(conn, rows[start : start + CHUNK])
            if written:
                conn.execute(_ADD_LEXEMES, {"ids": written})


def rebuild(engine: sa.Engine, records: Iterable[IndexRecord], lock_timeout: float) -> int:
    """Replaces every document with ``records`` (a repeated id keeps its first record)."""
    seen: set[int] = set()
    count = 0
    with engine.begin() as conn:
        lock(conn, lock_timeout)
        conn.execute(sa.text("DELETE FROM search_documents"))
        conn.execute(sa.text("DELETE FROM search_lexemes"))
        chunk: list[dict[str, Any]] = []
        for record in records:
            if record.id in seen:
                continue
            seen.add(record.id)
            chunk.append(row(record))
            if len(chunk) >= CHUNK:
                count += len(write_rows(conn, chunk, replace=False))
                chunk = []
        count += len(write_rows(conn, chunk, replace=False))
        conn.execute(_ALL_LEXEMES)
    # Fresh statistics for the planner after replacing everything (autovacuum would, later).
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE search_documents"))
        conn.commit()
    return count


class PostgresWriter(CommitsOnExit):
    """Add, replace and delete documents; a context manager, as IndexWriter on Whoosh.

    Changes are kept in memory and written in one transaction every ``batch_size`` changes,
    when a change comes ``commit_interval`` seconds after the first uncommitted one, and on
    commit() and close(). The last change to an id wins. A failed write raises
    IndexUnavailable naming how many documents were not indexed; they are still in the
    database, and indexed_ids() finds them. An exception inside the ``with`` block drops the
    uncommitted changes; earlier batches stay.
    """

    def __init__(
        self,
        engine: sa.Engine,
        batch_size: int = 200,
        commit_interval: float = 2.0,
        lock_timeout: float = 60.0,
    ) -> None:
        self._batching(batch_size, commit_interval, lock_timeout)
        self._engine = engine
        self._pending: dict[int, IndexRecord | None] = {}
        self._first_at = 0.0
        self._closed = False
        self._mutex = threading.Lock()

    def add(self, record: IndexRecord) -> None:
        """Add the record, or replace the document with the same id."""
        self._change(record.id, record)

    def delete(self, link_id: int) -> None:
        self._change(int(link_id), None)

    def commit(self) -> None:
        """Write everything so far; searches see it when this returns."""
        with self._mutex:
            self._check_open()
            self._flush()

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            self._flush()

    def cancel(self) -> None:
        """Drop uncommitted changes. Earlier batches stay committed."""
        with self._mutex:
            self._closed = True
            self._pending.clear()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("This index writer is closed.")

    def _change(self, link_id: int, record: IndexRecord | None) -> None:
        with self._mutex:
            self._check_open()
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending[link_id] = record
            due = time.monotonic() - self._first_at >= self._commit_interval
            if len(self._pending) >= self._batch_size or due:
                self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, {}
        try:
            apply_batch(self._engine, batch, self._lock_timeout)
        except IndexUnavailable as exc:
            raise type(exc)(f"{len(batch)} document(s) were not indexed: {exc}") from exc
        except DBAPIError as exc:
            log.exception("indexing a batch of %d documents failed", len(batch))
            raise IndexUnavailable(
                f"{len(batch)} document(s) were not indexed: {exc.orig or exc}"
            ) from exc
