"""Re-extraction: stored snapshots extracted again from their stored bodies, never fetched.

What to run after upgrading the extractor (archiver.extract.EXTRACTOR_VERSION), and how an
archive made before the structured copy existed gets one. By default only snapshots made by
an older extractor (or before versions were kept) are redone, and each result is committed
as it completes, so a run that is stopped goes on where it stopped when run again.
Extraction runs in the pipeline's process pool (archiver.reextract); the search index
follows each link whose current copy's text or title changed, as during an archive run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select

from app.services.indexing import IndexFeeder, sync_index
from app.services.vault import Vault
from archiver import StoredBody, StoredPage, extraction_pool, reextract_body
from archiver.document import Document, DocumentError
from archiver.fetch import Fetcher
from archiver.images import fetch_figures, figure_urls
from archiver.models import Snapshot
from archiver.pipeline import default_workers

# Results are committed in small batches: one transaction per snapshot cost more than the
# extraction of a short page, and a batch is all a stopped run can lose besides what is in
# flight.
_BATCH = 16
_BATCH_SECONDS = 1.0
# Bodies loaded from the database at a time (compressed), per extraction worker.
_LOAD_PER_WORKER = 8


class Outcome(StrEnum):
    CHANGED = "text changed"  # text or title differ from before
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"  # no stored body (an image, an archive): marked done as it is
    FAILED = "failed"  # extraction crashed; the snapshot stays as it was, for the next run


@dataclass(frozen=True, slots=True)
class SnapshotDone:
    """One snapshot finished: what the progress display hears."""

    snapshot_id: int
    link_id: int
    outcome: Outcome


@dataclass(slots=True)
class ReextractSummary:
    chosen: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    indexed_links: list[int] = field(default_factory=list)
    images_fetched: int = 0  # figures' images the archive did not have yet

    @property
    def reextracted(self) -> int:
        return self.changed + self.unchanged

    def count(self, outcome: Outcome) -> None:
        if outcome is Outcome.CHANGED:
            self.changed += 1
        elif outcome is Outcome.UNCHANGED:
            self.unchanged += 1
        elif outcome is Outcome.SKIPPED:
            self.skipped += 1
        else:
            self.failed += 1


def snapshots_to_reextract(
    vault: Vault, link_ids: Sequence[int] | None = None, *, everything: bool = False
) -> list[int]:
    """Snapshots made by an older extractor than this one (all of them with everything),
    of these links only if given."""
    # Imported here: it loads trafilatura, which only commands that extract should pay for.
    from archiver.extract import EXTRACTOR_VERSION

    older_than = None if everything else EXTRACTOR_VERSION
    return vault.store.links.snapshots_to_reextract(link_ids, older_than=older_than)


def reextract(
    vault: Vault,
    snapshot_ids: Sequence[int],
    on_done: Callable[[SnapshotDone], None] | None = None,
) -> ReextractSummary:
    """Extracts these snapshots again from their stored bodies and stores the results as
    they complete; links whose current copy's text or title changed are re-indexed."""
    from archiver.extract import EXTRACTOR_VERSION

    summary = ReextractSummary(chosen=len(snapshot_ids))
    if not snapshot_ids:
        return summary
    # Whatever an earlier, interrupted run left marked goes in first.
    sync_index(vault.store, vault.index)
    workers = vault.settings.extract_workers or default_workers()
    interval = vault.settings.index_commit_interval
    with IndexFeeder(vault.store, vault.index, interval=interval) as feeder:
        run = _Run(vault, workers, EXTRACTOR_VERSION, summary, feeder.add, on_done)
        try:
            run.go(snapshot_ids)
        finally:
            # What finished is stored even when the run stops (Ctrl-C, SIGTERM).
            run.close()
    sync_index(vault.store, vault.index)
    summary.images_fetched = fetch_missing_images(vault, snapshot_ids)
    return summary


def fetch_missing_images(vault: Vault, snapshot_ids: Sequence[int]) -> int:
    """The figures of these snapshots get their archived images: those the archive already
    holds (from any page) are attached without a request, only the others are fetched, with
    the guarded fetcher and the image limits of an archive run. Returns how many images were
    fetched and stored."""
    config = vault.settings.fetch_config()
    if config.images_per_page <= 0:
        return 0
    wanted: list[tuple[int, list[str]]] = []
    for start in range(0, len(snapshot_ids), 500):
        chunk = list(snapshot_ids[start : start + 500])
        with vault.store.session() as session:
            rows = session.execute(
                select(Snapshot.id, Snapshot.document).where(
                    Snapshot.id.in_(chunk), Snapshot.document.is_not(None)
                )
            ).all()
        for snapshot_id, stored in rows:
            try:
                document = Document.from_json(stored or "")
            except DocumentError:
                continue
            if all(figure.get("image") for figure in document.figures()):
                continue  # every figure has its image already
            urls = figure_urls(document, config.images_per_page)
            if urls:
                wanted.append((snapshot_id, urls))
    if not wanted:
        return 0
    images = vault.store.images

    async def fetch_all() -> int:
        fetched = 0
        async with Fetcher(config) as fetcher:
            for snapshot_id, urls in wanted:
                found = await fetch_figures(
                    fetcher,
                    urls,
                    images.known(urls),
                    config.image_max_bytes,
                    budget=2 * config.deadline,  # for all of one page's images, as archive
                )
                images.attach_to_snapshot(snapshot_id, found)
                fetched += len(found.fetched)
        return fetched

    return asyncio.run(fetch_all())


class _Run:
    """One re-extraction: bodies in from the database, through the pool, results out in
    batches; the caller's thread does the database work while the pool extracts."""

    def __init__(
        self,
        vault: Vault,
        workers: int,
        version: int,
        summary: ReextractSummary,
        to_index: Callable[[int], None],
        on_done: Callable[[SnapshotDone], None] | None,
    ) -> None:
        self._links = vault.store.links
        self._workers = workers
        self._version = version
        self._summary = summary
        self._to_index = to_index
        self._on_done = on_done
        self._pool: ProcessPoolExecutor = extraction_pool(workers)
        self._pages: list[tuple[int, StoredPage]] = []
        self._skipped: list[int] = []
        self._owners: dict[int, int] = {}  # snapshot id -> link id, until stored
        self._flushed_at = time.monotonic()

    def go(self, snapshot_ids: Sequence[int]) -> None:
        # Each future with its body and the pool it went to (a broken pool is replaced once).
        in_flight: dict[Future[StoredPage], tuple[StoredBody, ProcessPoolExecutor]] = {}
        bodies = self._bodies(snapshot_ids)
        limit = self._workers * 2
        exhausted = False
        while in_flight or not exhausted:
            while not exhausted and len(in_flight) < limit:
                body = next(bodies, None)
                if body is None:
                    exhausted = True
                elif not body.raw_compressed:
                    self._owners[body.snapshot_id] = body.link_id
                    self._skipped.append(body.snapshot_id)
                else:
                    future = self._pool.submit(reextract_body, body)
                    in_flight[future] = (body, self._pool)
            if in_flight:
                finished, _ = wait(in_flight, timeout=_BATCH_SECONDS, return_when=FIRST_COMPLETED)
                for future in finished:
                    self._finished(future, *in_flight.pop(future))
            self._flush(force=False)

    def _bodies(self, snapshot_ids: Sequence[int]) -> Iterator[StoredBody]:
        step = self._workers * _LOAD_PER_WORKER
        for start in range(0, len(snapshot_ids), step):
            yield from self._links.stored_bodies(snapshot_ids[start : start + step])

    def _finished(
        self, future: Future[StoredPage], body: StoredBody, pool: ProcessPoolExecutor
    ) -> None:
        try:
            page = future.result()
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in lxml): a fresh pool for the rest, made
            # once however many snapshots the broken one held. They stay as they were and the
            # next run tries them again.
            if pool is self._pool:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = extraction_pool(self._workers)
            self._report(body.snapshot_id, body.link_id, Outcome.FAILED)
            return
        except Exception:
            self._report(body.snapshot_id, body.link_id, Outcome.FAILED)
            return
        self._owners[body.snapshot_id] = body.link_id
        self._pages.append((body.snapshot_id, page))

    def _flush(self, *, force: bool) -> None:
        waiting = len(self._pages) + len(self._skipped)
        due = waiting >= _BATCH or time.monotonic() - self._flushed_at >= _BATCH_SECONDS
        if not waiting or not (due or force):
            return
        stored = self._links.record_reextractions(self._pages, self._skipped, self._version)
        for done in stored:
            if done.text_changed and done.current:
                self._to_index(done.link_id)
                self._summary.indexed_links.append(done.link_id)
            outcome = Outcome.CHANGED if done.text_changed else Outcome.UNCHANGED
            self._report(done.snapshot_id, done.link_id, outcome)
        for snapshot_id in self._skipped:
            self._report(snapshot_id, self._owners[snapshot_id], Outcome.SKIPPED)
        self._pages, self._skipped, self._owners = [], [], {}
        self._flushed_at = time.monotonic()

    def _report(self, snapshot_id: int, link_id: int, outcome: Outcome) -> None:
        self._summary.count(outcome)
        if self._on_done is not None:
            self._on_done(SnapshotDone(snapshot_id, link_id, outcome))

    def close(self) -> None:
        try:
            self._flush(force=True)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
