"""IndexWriter: batched, locked writes, off the caller's thread.

add() and delete() only queue the change (microseconds); one background thread applies
queued changes in batches: every ``batch_size`` changes, ``commit_interval`` seconds after the
first uncommitted one, or on commit()/close(). Each batch takes the folder's write lock just
for its commit, so several processes (the web service and a command-line archive run) can
index into the same folder in turn. A failure in the background (lock timeout, full disk) is
raised by the next call on the writer, saying how many documents were lost; the database
still has them and indexed_ids() finds them.

Whoosh's update_document() only replaces committed documents, so a batch is a map of
id -> record (or None for delete): the last change to an id wins, and the commit deletes every
id in the batch before adding the new versions.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from index._errors import IndexUnavailable
from index._types import CommitsOnExit, IndexRecord
from index.whoosh._codec import Codec
from index.whoosh._merge import tiered_merge
from index.whoosh._schema import record_fields
from index.whoosh._store import Store

log = logging.getLogger(__name__)

_ADD, _DELETE, _COMMIT, _CLOSE, _CANCEL = "add", "delete", "commit", "close", "cancel"


class IndexWriter(CommitsOnExit):
    """Add, replace and delete documents; use as a context manager (see module docstring)."""

    def __init__(
        self,
        store: Store,
        on_commit: Callable[[], None],
        batch_size: int = 200,
        commit_interval: float = 2.0,
        lock_timeout: float = 60.0,
    ) -> None:
        self._batching(batch_size, commit_interval, lock_timeout)
        self._store = store
        self._on_commit = on_commit
        # Bounded: if indexing falls behind, add() waits instead of holding every article.
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2 * batch_size)
        self._error: IndexUnavailable | None = None
        self._error_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="linkvault-index-writer")
        self._thread.daemon = True
        self._thread.start()

    # -- the caller's side ------------------------------------------------------------

    def add(self, record: IndexRecord) -> None:
        """Add the record, or replace the document with the same id."""
        self._send(_ADD, record)

    def delete(self, link_id: int) -> None:
        self._send(_DELETE, int(link_id))

    def commit(self) -> None:
        """Apply everything queued so far; searches see it when this returns."""
        self._roundtrip(_COMMIT)

    def close(self) -> None:
        """Commit what is queued and stop the background thread."""
        if self._closed:
            return
        self._roundtrip(_CLOSE)

    def cancel(self) -> None:
        """Drop uncommitted changes and stop. Earlier batches stay committed."""
        if self._closed:
            return
        self._closed = True
        self._put((_CANCEL, threading.Event()))
        self._thread.join()

    def _send(self, kind: str, payload: Any) -> None:
        if self._closed:
            raise RuntimeError("This IndexWriter is closed.")
        self._raise_pending_error()
        self._put((kind, payload))

    def _roundtrip(self, kind: str) -> None:
        if self._closed:
            raise RuntimeError("This IndexWriter is closed.")
        done = threading.Event()
        self._put((kind, done))
        while not done.wait(0.5):
            if not self._thread.is_alive():
                break
        if kind == _CLOSE:
            self._closed = True
            self._thread.join()
        self._raise_pending_error()

    def _put(self, item: tuple[str, Any]) -> None:
        while True:
            try:
                self._queue.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self._thread.is_alive():
                    raise IndexUnavailable("The index writer thread stopped.") from None

    def _raise_pending_error(self) -> None:
        with self._error_lock:
            error, self._error = self._error, None
        if error is not None:
            raise error

    # -- the background thread --------------------------------------------------------

    def _run(self) -> None:
        pending: dict[int, IndexRecord | None] = {}
        first_at = 0.0
        while True:
            timeout = None
            if pending:
                timeout = max(0.0, first_at + self._commit_interval - time.monotonic())
            try:
                kind, payload = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._flush(pending)
                continue
            if kind in (_ADD, _DELETE):
                if not pending:
                    first_at = time.monotonic()
                if kind == _ADD:
                    pending[payload.id] = payload
                else:
                    pending[payload] = None
                if len(pending) >= self._batch_size:
                    self._flush(pending)
                continue
            if kind == _CANCEL:
                pending.clear()
            else:
                self._flush(pending)
            payload.set()
            if kind in (_CLOSE, _CANCEL):
                return

    def _flush(self, pending: dict[int, IndexRecord | None]) -> None:
        if not pending:
            return
        batch = dict(pending)
        pending.clear()
        try:
            apply_batch(self._store, batch, self._lock_timeout)
        except Exception as exc:  # noqa: BLE001 - reported to the caller, not lost
            if not isinstance(exc, IndexUnavailable | OSError):
                log.exception("indexing a batch of %d documents failed", len(batch))
            kind = type(exc) if isinstance(exc, IndexUnavailable) else IndexUnavailable
            error = kind(f"{len(batch)} document(s) were not indexed: {exc}")
            error.__cause__ = exc
            with self._error_lock:
                self._error = error
            return
        self._on_commit()


def apply_batch(store: Store, batch: dict[int, IndexRecord | None], lock_timeout: float) -> None:
    """Delete every id in the batch, add the new versions, commit: under the write lock."""
    with store.lock(lock_timeout):
        ix = store.open()
        writer = ix.writer(codec=Codec())
        try:
            for link_id in batch:
                writer.delete_by_term("id", str(link_id))
            for record in batch.values():
                if record is not None:
                    writer.add_document(**record_fields(record))
            writer.commit(mergetype=tiered_merge)
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise
