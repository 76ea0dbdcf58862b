"""Building a whole new index from records, one segment per REBUILD_SEGMENT_DOCS documents.

Whoosh indexes in pure Python, about 10-15 ms of CPU per article, so rebuilding 100,000
articles on one core takes half an hour. Segments are independent, so with several cores the
chunks are indexed by worker processes, each writing one segment into the new index folder
(what Whoosh's own MpWriter does with multisegment=True, minus its temp-file protocol); this
process reads the records, hands out chunks and finally writes the table of contents listing
all segments. Segments are not merged afterwards: merging costs as much as indexing again.

Workers are spawned (not forked, as the caller may be a threaded service), so a script that
calls rebuild() needs the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import SegmentWriter

from index._types import IndexRecord
from index.whoosh._codec import Codec
from index.whoosh._schema import record_fields, schema

log = logging.getLogger(__name__)

# Fewer, larger segments search faster (at 20,000 documents, one segment answered in 2/3 of
# the time four took) but each worker holds a whole chunk and its postings in memory.
REBUILD_SEGMENT_DOCS = 10_000
_POOL_MB = 256


def build(folder: Path, records: Iterable[IndexRecord], workers: int | None = None) -> int:
    """Index ``records`` into a new Whoosh index in ``folder``; returns the document count."""
    ix = whoosh_index.create_in(str(folder), schema())
    chunks = _chunks(records)
    first = next(chunks, [])
    second = next(chunks, None)
    workers = _worker_count(workers)
    if second is None or workers < 2:
        segments = [_write_segment(str(folder), chunk) for chunk in _prepend(first, second, chunks)]
    else:
        segments = _in_workers(str(folder), _prepend(first, second, chunks), workers)
    segments = [seg for seg in segments if seg is not None]
    # A writer only to publish the segments: its own segment stays empty and is discarded.
    writer = ix.writer(codec=Codec())
    try:
        writer._close_segment()
        writer._commit_toc(segments)
    finally:
        writer._finish()
    return sum(seg.doc_count_all() for seg in segments)


def _worker_count(workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    return min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _chunks(records: Iterable[IndexRecord]) -> Iterator[list[IndexRecord]]:
    seen: set[int] = set()
    chunk: list[IndexRecord] = []
    for record in records:
        if record.id in seen:
            log.warning("rebuild: id %s given twice; keeping the first", record.id)
            continue
        seen.add(record.id)
        chunk.append(record)
        if len(chunk) >= REBUILD_SEGMENT_DOCS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _prepend(
    first: list[IndexRecord], second: list[IndexRecord] | None, rest: Iterator[list[IndexRecord]]
) -> Iterator[list[IndexRecord]]:
    if first:
        yield first
    if second:
        yield second
        yield from rest


def _exit_with_parent() -> None:
    # A worker left waiting for chunks after the parent was killed would wait forever (and
    # keep the parent's stderr open); the parent's sentinel closes when it dies. (The same
    # guard as archiver.pipeline's extraction workers: index/ does not import archiver/.)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_gone, args=(parent,), daemon=True).start()


def _exit_when_gone(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)


def _in_workers(folder: str, chunks: Iterator[list[IndexRecord]], workers: int) -> list[Any]:
    # spawn, not fork: the caller may be a threaded web service.
    context = multiprocessing.get_context("spawn")
    # Segments are listed in chunk order, so document numbers (the tie-break between equal
    # scores) do not depend on which worker finished first.
    ordered: list[cf.Future[Any]] = []
    with cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_exit_with_parent
    ) as pool:
        try:
            for chunk in chunks:
                ordered.append(pool.submit(_write_segment, folder, chunk))
                # One chunk waiting beyond those being indexed: records are read lazily.
                running = [f for f in ordered if not f.done()]
                if len(running) > workers:
                    cf.wait(running, return_when=cf.FIRST_COMPLETED)
                for f in ordered:
                    if f.done():
                        f.result()  # raise a worker's error now, not at the end
            return [f.result() for f in ordered]
        except BaseException:
            for future in ordered:
                future.cancel()
            raise


def _write_segment(folder: str, chunk: list[IndexRecord]) -> Any:
    """Write one segment (no table of contents, no lock: the caller owns the folder)."""
    if not chunk:
        return None
    ix = whoosh_index.FileIndex(FileStorage(folder), schema=schema())
    writer = SegmentWriter(ix, _lk=False, codec=Codec(), limitmb=_POOL_MB)
    try:
        for record in chunk:
            writer.add_document(**record_fields(record))
        return writer._finalize_segment()
    except BaseException:
        with contextlib.suppress(Exception):
            writer._close_segment()
        raise
