"""Fetch, extract and store a batch of links concurrently.

Fetching runs on the event loop; extraction is CPU-bound, so it runs in a process pool (one
worker per core) and the loop never runs trafilatura itself. Each link's result is committed
as it completes, so an interrupted run loses at most the links in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TypeVar

from archiver._batch import WriteBatch
from archiver.config import FetchConfig
from archiver.document import Document, DocumentError
from archiver.fetch import Fetcher, FetchResult, Outcome, check_url_allowed
from archiver.images import ImageStore, fetch_figures, figure_urls
from archiver.links import LinkGone, Links
from archiver.models import LinkStatus, host_of
from archiver.outage import OutageWatch
from archiver.records import LinkTask, StoredPage, compress

T = TypeVar("T")

log = logging.getLogger(__name__)

_FAILURE_STATUS = {
    Outcome.FAILED: LinkStatus.FAILED,
    Outcome.DEAD: LinkStatus.DEAD,
    Outcome.BLOCKED: LinkStatus.BLOCKED,
}


@dataclass(frozen=True, slots=True)
class LinkDone:
    """One link finished: what the progress display and the indexer hear."""

    link_id: int
    url: str
    status: LinkStatus
    error: str | None
    changed: bool
    # Recorded as an inconclusive check: the network looked down (archiver/outage.py).
    inconclusive: bool = False
    # The link was removed while it was fetched: nothing was recorded (status: as before).
    removed: bool = False


@dataclass(slots=True)
class RunSummary:
    counts: Counter[str] = field(default_factory=Counter)
    changed_ids: list[int] = field(default_factory=list)
    # Set when the run stopped because the network looked down: what to tell the user.
    outage: str | None = None
    not_tried: int = 0  # links left unfetched once the network looked down

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class NetworkDown(Exception):
    """The network looked down: a link not fetched at all, or (in a run that hands links
    back, the queue worker's) one that failed meanwhile, recorded nowhere."""


@dataclass(slots=True)
class RunState:
    """What one run knows across its links: whether the network looks down, and the error
    each host's links last failed with. `hand_back`: raise NetworkDown for a link that
    failed while the network looked down, recording nothing."""

    watch: OutageWatch
    failures: dict[str, str] = field(default_factory=dict)
    hand_back: bool = False


def _outcome(done: LinkDone) -> str:
    """What a run counts the link under: its status, or how it ended without one."""
    if done.removed:
        return "removed"
    return "inconclusive" if done.inconclusive else done.status.value


def _host_level(result: FetchResult) -> bool:
    """A failure of the whole host rather than of the page: unreachable, or a 5xx."""
    status = result.http_status
    return result.network_failure is not None or (status is not None and status >= 500)


def process_page(result: FetchResult) -> StoredPage:
    """Extraction worker: text, metadata, hash and compressed body, off the event loop."""
    # Imported here: trafilatura and lxml take most of a second to import, which every
    # command paid (search, status, a refresh of 304s) though only the workers extract.
    from archiver.extract import EXTRACTOR_VERSION, extract

    extracted = extract(result.body, result.content_type, result.final_url, result.charset)
    kind = extracted.kind
    if not extracted.text.strip() and extracted.error:
        # An encrypted PDF or a page that cannot be parsed: fetched, but nothing to search.
        kind = "unsupported"
    # Bodies with no text type (images, archives) are not kept; an unreadable PDF is, so a
    # better extractor can try again without refetching.
    keep_raw = extracted.kind != "unsupported"
    return StoredPage(
        final_url=result.final_url,
        http_status=result.http_status,
        content_type=result.content_type,
        headers=result.headers,
        content_hash=hashlib.sha256(result.body).hexdigest(),
        raw_compressed=compress(result.body) if keep_raw else b"",
        size=len(result.body),
        kind=kind,
        text=extracted.text,
        error=extracted.error if kind == "unsupported" else None,
        title=extracted.title,
        author=extracted.author,
        published=extracted.published,
        sitename=extracted.sitename,
        description=extracted.description,
        language=extracted.language,
        document=extracted.document.to_json() if extracted.document else None,
        extracted_with=EXTRACTOR_VERSION,
    )


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    # Forking a process that already runs threads (the database writer, the indexer, a web
    # server) can copy a lock mid-use into the child; a fork server starts clean workers.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["archiver.pipeline", "archiver.extract"])
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_exit_with_parent
    )


def _exit_with_parent() -> None:
    # An idle pool worker waits on its task queue forever, even once the parent is gone
    # (SIGKILL, OOM killer): it kept the parent's stderr open, so whoever waited on that pipe
    # hung, and it kept the fork server alive. The sentinel closes when the parent dies.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_gone, args=(parent,), daemon=True).start()


def _exit_when_gone(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)


def _start_workers(pool: Executor, workers: int) -> None:
    for future in [pool.submit(os.getpid) for _ in range(workers)]:
        future.result()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


class Pipeline:
    """Runs links through fetch → extract → store, reporting each as it completes."""

    def __init__(
        self,
        links: Links,
        config: FetchConfig,
        *,
        workers: int | None = None,
        on_done: Callable[[LinkDone], None] | None = None,
        executor: Executor | None = None,
    ) -> None:
        self._links = links
        self._config = config
        self._workers = workers or default_workers()
        self._on_done = on_done
        self._executor = executor
        self._images = ImageStore(links.engine)

    async def run(self, tasks: Sequence[LinkTask]) -> RunSummary:
        summary = RunSummary()
        if not tasks:
            return summary
        state = RunState(OutageWatch(len({host_of(task.url) for task in tasks})))
        async with self.started() as archive:

            async def one(task: LinkTask) -> None:
                try:
                    done = await archive(task, state)
                except NetworkDown:
                    summary.not_tried += 1
                    return
                summary.counts[_outcome(done)] += 1
                if done.changed:
                    summary.changed_ids.append(done.link_id)
                if self._on_done is not None:
                    self._on_done(done)

            await asyncio.gather(*(one(task) for task in tasks))
        if state.watch.down:
            summary.outage = state.watch.message()
            log.warning("%s", summary.outage)
        return summary

    @contextlib.asynccontextmanager
    async def started(
        self,
    ) -> AsyncIterator[Callable[[LinkTask, RunState | None], Awaitable[LinkDone]]]:
        """The pipeline open for links given one at a time, as the queue worker claims them:
        yields a coroutine function that archives one link and says how it ended. With a
        run's state, failures are weighed against the run's other hosts."""
        own_executor = self._executor is None
        self._pool = self._executor or _worker_pool(self._workers)
        if own_executor:
            # Starting the fork server imports trafilatura and lxml (1-3 s): done from the
            # loop on the first page, it would stall every fetch's timers meanwhile.
            await asyncio.get_running_loop().run_in_executor(
                None, _start_workers, self._pool, self._workers
            )
        # SQLite writes may wait on another process's lock; a thread keeps the loop (and with
        # it every fetch's timeout) running meanwhile. One thread: one writer.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkvault-db")
        self._unchanged: WriteBatch[tuple[int, int | None]] = WriteBatch(self._write_unchanged)
        self._removed: set[int] = set()  # links removed before their unchanged check was stored
        # Bounds the bodies held in memory: fetched pages waiting for a worker count too.
        in_flight = asyncio.Semaphore(self._config.concurrency + 2 * self._workers)
        try:
            async with Fetcher(self._config) as fetcher:

                async def archive(task: LinkTask, state: RunState | None) -> LinkDone:
                    try:
                        return await self._archive_task(fetcher, in_flight, task, state)
                    except LinkGone:
                        # Removed while it was fetched: recorded nowhere, so not brought back.
                        status = LinkStatus(task.status or LinkStatus.PENDING)
                        return LinkDone(task.id, task.url, status, None, False, removed=True)

                yield archive
        finally:
            self._db.shutdown(wait=True)
            if own_executor:
                self._pool.shutdown(wait=True, cancel_futures=True)

    async def _archive_task(
        self,
        fetcher: Fetcher,
        in_flight: asyncio.Semaphore,
        task: LinkTask,
        state: RunState | None,
    ) -> LinkDone:
        async with in_flight:
            if state is not None and state.watch.down:
                raise NetworkDown(state.watch.message())  # not fetched at all
            done = await self._archive_one(fetcher, task, state)
        if isinstance(done, LinkDone):
            return done
        assert state is not None
        # Waited for outside the slot: the verdict needs other links to finish.
        down = await state.watch.decided()
        if down and state.hand_back:
            raise NetworkDown(state.watch.message())
        return await self._record_failure(task, done, state, inconclusive=down)

    async def _write_unchanged(self, results: list[tuple[int, int | None]]) -> None:
        self._removed.update(await self._in_db(self._links.record_unchanged_many, results))

    async def _in_db(self, func: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db, func, *args)

    async def _extract(self, result: FetchResult) -> StoredPage:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, process_page, result)
        except BrokenProcessPool:
            # A worker died (out of memory, a crash in lxml): start a fresh pool so the
            # remaining links go on, and count this page as failed.
            if self._executor is None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = _worker_pool(self._workers)
            raise

    async def _record_failure(
        self, task: LinkTask, result: FetchResult, state: RunState | None, *, inconclusive: bool
    ) -> LinkDone:
        error = result.error or _FAILURE_STATUS[result.outcome].value
        if inconclusive:
            error = f"inconclusive, the network looked down: {error}"
            status = await self._in_db(
                self._links.record_inconclusive, task.id, error, result.http_status
            )
            return LinkDone(task.id, task.url, status, error, False, inconclusive=True)
        counted = True
        if state is not None and task.content_hash is not None and _host_level(result):
            # One host down is one observation: its further archived links failing the same
            # way in this run are recorded without counting (archived: a link with no copy
            # has nothing to protect, and page-level faults such as a 404 are the page's own).
            host = host_of(task.url)
            counted = state.failures.get(host) != error
            state.failures[host] = error
        # The store decides the final status: failures repeated over time mean dead.
        status = await self._in_db(
            functools.partial(self._links.record_failure, counted=counted),
            task.id,
            _FAILURE_STATUS[result.outcome],
            error,
            result.http_status,
        )
        return LinkDone(task.id, task.url, status, error, False)

    async def _archive_one(
        self, fetcher: Fetcher, task: LinkTask, state: RunState | None
    ) -> LinkDone | FetchResult:
        """How the link ended; or, for a network-level failure in a run, its fetch result,
        to be recorded once the run can tell a dead host from a dead network."""
        refusal = check_url_allowed(task.url, self._config.allow_private)
        if refusal is not None:
            # Non-http schemes and private addresses are refused before any request.
            status = await self._in_db(
                self._links.record_failure, task.id, LinkStatus.BLOCKED, refusal, None
            )
            if state is not None:
                state.watch.saw(host_of(task.url), None)
            return LinkDone(task.id, task.url, status, refusal, False)
        result = await fetcher.fetch(task.url, etag=task.etag, last_modified=task.last_modified)
        failure = result.network_failure if result.outcome is not Outcome.OK else None
        if state is not None:
            state.watch.saw(host_of(task.url), failure)
            if failure is not None:
                return result
        if result.outcome is not Outcome.OK:
            return await self._record_failure(task, result, state, inconclusive=False)
        if result.not_modified or (
            task.content_hash is not None
            and hashlib.sha256(result.body).hexdigest() == task.content_hash
        ):
            # A 304, or a server that ignores validators but sent the same bytes: the copy
            # stands, and extraction (the costly part) is skipped.
            await self._unchanged.add((task.id, result.http_status))
            if task.id in self._removed:
                raise LinkGone(task.id)
            return LinkDone(task.id, task.url, LinkStatus.OK, None, False)
        try:
            page = await self._extract(result)
        except Exception as exc:  # a crashed worker must not stop the run
            error = f"extraction failed: {type(exc).__name__}"
            status = await self._in_db(
                self._links.record_failure, task.id, LinkStatus.FAILED, error, result.http_status
            )
            return LinkDone(task.id, task.url, status, error, False)
        changed = await self._in_db(self._links.record_page, task.id, page)
        status = LinkStatus.UNSUPPORTED if page.kind == "unsupported" else LinkStatus.OK
        if changed and status is LinkStatus.OK:
            # Only a new snapshot gets images: an unchanged page (304, same bytes or same
            # text) fetches none.
            await self._archive_images(fetcher, task.id, page)
        return LinkDone(task.id, task.url, status, page.error, changed)

    async def _archive_images(self, fetcher: Fetcher, link_id: int, page: StoredPage) -> None:
        """The new snapshot's figures: images not stored yet are fetched with the page's own
        fetcher and limits; whatever goes wrong here leaves the link as stored."""
        limit = self._config.images_per_page
        if limit <= 0 or not page.document:
            return
        try:
            urls = figure_urls(Document.from_json(page.document), limit)
            if not urls:
                return
            known = await self._in_db(self._images.known, urls)
            found = await fetch_figures(
                fetcher,
                urls,
                known,
                self._config.image_max_bytes,
                budget=2 * self._config.deadline,  # for all of the page's images
            )
            await self._in_db(self._images.attach, link_id, page.content_hash, found)
        except DocumentError:
            return
        except Exception:  # images are extras; a bug here must not cost the page
            log.exception("archiving the images of link %s failed", link_id)
