"""Keeps the search index in step with the database, which is always the truth."""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from archiver import Store
from archiver.models import Link, Snapshot
from archiver.records import as_datetime
from archiver.urls import domain_of
from index import IndexNeedsRebuild, IndexRecord, SearchBackend

log = logging.getLogger("linkvault.indexing")


def to_record(link: Link, snapshot: Snapshot) -> IndexRecord:
    fields = _record_fields(link, snapshot)
    version = _version(snapshot.id, fields)
    return IndexRecord(text=snapshot.text, version=version, **fields)


def record_version(link: Link, snapshot: Snapshot) -> str:
    """The version to_record() gives, without reading the text: a snapshot's text never
    changes (a changed page is a new snapshot), so its id stands for the text."""
    return _version(snapshot.id, _record_fields(link, snapshot))


def _record_fields(link: Link, snapshot: Snapshot) -> dict[str, Any]:
    return {
        "id": link.id,
        "url": link.url,
        # The list's own title is what its owner knows the link by; the page's title fills
        # in for bare URLs.
        "title": link.title or snapshot.title or link.url,
        "section": link.section,
        "domain": domain_of(snapshot.final_url or link.url),
        "status": link.status,
        "archived_at": link.archived_at,
        "published": as_datetime(snapshot.published),
        # The user's own: an edit changes the version, so the index follows it.
        "tags": tuple(link.tags or ()),
        "note": link.note or None,
    }


# Fields that count in a version only when set: a link without tags or a note keeps the
# version it had before they were indexed, so upgrading does not make every document stale.
_ONLY_WHEN_SET = ("tags", "note")


def _version(snapshot_id: int, fields: dict[str, Any]) -> str:
    parts = [str(snapshot_id)]
    for name, value in fields.items():
        if name in _ONLY_WHEN_SET:
            if value:
                text = "\x1e".join(value) if isinstance(value, tuple) else str(value)
                parts.append(f"{name}={text}")
        else:
            parts.append(value.isoformat() if isinstance(value, datetime) else str(value))
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


def records(store: Store, link_ids: Iterable[int] | None = None) -> Iterator[IndexRecord]:
    ids = None if link_ids is None else list(link_ids)
    for link, snapshot in store.index_bookkeeping.searchable(ids):
        yield to_record(link, snapshot)


# Times index_links writes a link again that changed while it was being written.
_SETTLE_PASSES = 3


def index_links(store: Store, index: SearchBackend, link_ids: list[int]) -> int:
    """Writes these links' current copies to the index (deleting the documents of links
    with none, removed links included), then marks them indexed.

    A link edited or removed while its record was on the way (read before the change,
    committed to the index after the change's own index update) would be left stale, or
    brought back into search: what was written is compared with the database after the
    commit, and what moved meanwhile is written again."""
    written: set[int] = set()
    todo = list(link_ids)
    for _ in range(_SETTLE_PASSES):
        if not todo:
            break
        sent = _write_links(store, index, todo)
        written.update(link_id for link_id, version in sent.items() if version is not None)
        # Only after the index commit: a crash before this leaves them marked for a re-run.
        store.index_bookkeeping.mark_indexed(todo)
        now = _versions(store, list(sent))
        todo = [link_id for link_id, version in sent.items() if now[link_id] != version]
    return len(written)


def _write_links(store: Store, index: SearchBackend, link_ids: list[int]) -> dict[int, str | None]:
    """Writes these links' documents in one commit: link id -> the version written, None
    for a deleted document."""
    searchable = store.index_bookkeeping.searchable_ids()
    sent: dict[int, str | None] = {link_id: None for link_id in link_ids}
    with index.writer() as writer:
        for record in records(store, [i for i in link_ids if i in searchable]):
            writer.add(record)
            sent[record.id] = record.version
        for link_id in link_ids:
            if sent[link_id] is None:
                writer.delete(link_id)
    return sent


def _versions(store: Store, link_ids: list[int]) -> dict[int, str | None]:
    """Each link's document version as the database has it now; None: no document."""
    found = {
        link.id: record_version(link, snapshot)
        for link, snapshot in store.index_bookkeeping.searchable(link_ids, with_text=False)
    }
    return {link_id: found.get(link_id) for link_id in link_ids}


def sync_index(store: Store, index: SearchBackend) -> int:
    """Repairs what an interrupted run left behind: missing, stale or extra documents.

    An index that cannot be used as it is (written by another version of linkvault after an
    upgrade, or damaged) is rebuilt from the database, which holds everything it shows: the
    next run mends it rather than every run failing until someone types `reindex`.
    """
    searchable = store.index_bookkeeping.searchable_ids()
    try:
        indexed = index.indexed_ids()
    except IndexNeedsRebuild as exc:
        log.warning("%s Rebuilding it from the database now.", exc.reason)
        return rebuild_index(store, index)
    stale = set(store.index_bookkeeping.ids_needing_index())
    todo = sorted(stale | (searchable - indexed) | (indexed - searchable))
    return index_links(store, index, todo)


def rebuild_index(store: Store, index: SearchBackend) -> int:
    count = index.rebuild(records(store))
    store.index_bookkeeping.mark_indexed(store.index_bookkeeping.ids_needing_index())
    return count


class IndexFeeder:
    """Indexes links as the pipeline stores them, from one thread with batched commits.

    Indexing is CPU work (Whoosh) or waits on the database (PostgreSQL); a thread keeps it
    off the event loop so fetch timeouts stay accurate, and one thread means one index
    writer. Each commit writes a segment that later merges rewrite (or a transaction), so
    commits are few: every thousand links or ten seconds.
    """

    def __init__(
        self, store: Store, index: SearchBackend, batch_size: int = 1000, interval: float = 10.0
    ) -> None:
        self._store = store
        self._index = index
        self._batch_size = batch_size
        self._interval = interval
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="linkvault-index", daemon=True)
        self.indexed = 0
        self.error: BaseException | None = None

    def __enter__(self) -> IndexFeeder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()

    def add(self, link_id: int) -> None:
        self._queue.put(link_id)

    def _run(self) -> None:
        pending: list[int] = []
        deadline = time.monotonic() + self._interval
        finished = False
        while not finished:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = -1
            if item is None:
                finished = True
            elif item >= 0:
                pending.append(item)
            due = time.monotonic() >= deadline or len(pending) >= self._batch_size
            if pending and (due or finished):
                self._flush(pending)
                pending = []
            if due or not pending:
                deadline = time.monotonic() + self._interval

    def _flush(self, link_ids: list[int]) -> None:
        try:
            self.indexed += index_links(self._store, self._index, link_ids)
        except Exception as exc:  # the links stay marked and the next run indexes them
            self.error = exc
