"""The composition root: settings in, a store, an index and the archiving run out.

The use cases built on it: app/services/archiving.py (archive or queue, refresh or queue),
indexing.py (reindex), check.py (check, repair), worker.py (work the queue)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

from app.services.imported_copies import keep_imported_copies
from app.services.index_process import IndexProcess
from app.services.indexing import IndexFeeder, sync_index
from app.settings import Settings
from archiver import ImportCounts, LinkTask, Store, make_engine
from archiver.models import LinkStatus
from archiver.pipeline import LinkDone, Pipeline, RunSummary
from archiver.records import LinkSpec
from archiver.restore import RestoreReport, restore_export
from index import SearchBackend, open_search_backend


class Vault:
    """One data directory: its database and its index, opened lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        if self.settings.database_url is None:
            self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(make_engine(self.settings.resolved_database_url), self.settings.rot_policy())
        store.create_schema()
        return store

    @cached_property
    def index(self) -> SearchBackend:
        if self.settings.search_backend == "postgres":
            # Search documents live beside the links, in the same database.
            return open_search_backend("postgres", engine=self.store.engine)
        return open_search_backend("whoosh", index_dir=self.settings.index_dir)

    def close(self) -> None:
        if "index" in self.__dict__:
            self.index.close()
        if "store" in self.__dict__:
            self.store.engine.dispose()

    def import_links(self, specs: Iterable[LinkSpec]) -> ImportCounts:
        """Adds these links (a link already there keeps its id); one id per distinct URL.
        An article the export carried becomes the first snapshot of a link with none
        (app/services/imported_copies.py), indexed at once."""
        listed = list(specs)
        counts = self.store.links.add_links(listed)
        keep_imported_copies(
            self.store,
            self.index,
            listed,
            counts,
            max_bytes=self.settings.max_page_bytes,
            workers=self.settings.extract_workers or None,
        )
        return counts

    def archive(
        self,
        tasks: Sequence[LinkTask],
        on_done: Callable[[LinkDone], None] | None = None,
    ) -> RunSummary:
        """Fetches, extracts, stores and indexes these links; the index follows each one."""

        def touches_index(item: LinkDone) -> bool:
            return item.changed or item.status is not LinkStatus.OK

        return self._run("archive", tasks, touches_index, on_done)

    def refresh(
        self,
        tasks: Sequence[LinkTask],
        on_done: Callable[[LinkDone], None] | None = None,
    ) -> RunSummary:
        """Re-checks these links (conditional requests when the copy has validators); only
        links whose content or status changed touch the index."""
        before = {task.id: task.status for task in tasks}

        def touches_index(item: LinkDone) -> bool:
            return item.changed or item.status.value != before.get(item.link_id)

        return self._run("refresh", tasks, touches_index, on_done)

    def restore(self, export: Mapping[str, Any]) -> RestoreReport:
        """Loads a linkvault JSON export (links, snapshots, checks) without fetching, then
        indexes what it brought."""
        report = restore_export(self.store, export)
        sync_index(self.store, self.index)
        return report

    @contextlib.contextmanager
    def indexing(self) -> Iterator[Callable[[int], None]]:
        """For links stored one by one over a long time (the queue worker): yields a function
        that hands a stored link to the index, committed as during a run; the index is
        caught up before and after."""
        sync_index(self.store, self.index)
        interval = self.settings.index_commit_interval
        with IndexFeeder(self.store, self.index, interval=interval) as feeder:
            yield feeder.add
        sync_index(self.store, self.index)

    def _feeder(self, links: int) -> IndexFeeder | IndexProcess:
        """What indexes a run's links as they are stored: a process of its own for a long
        run (app/services/index_process.py), a thread otherwise."""
        interval = self.settings.index_commit_interval
        least = self.settings.index_process_min_links
        if least and links >= least:
            return IndexProcess(self.settings, interval=interval)
        return IndexFeeder(self.store, self.index, interval=interval)

    def _run(
        self,
        kind: str,
        tasks: Sequence[LinkTask],
        touches_index: Callable[[LinkDone], bool],
        on_done: Callable[[LinkDone], None] | None,
    ) -> RunSummary:
        sync_index(self.store, self.index)
        run_id = self.store.runs.start_run(kind)
        workers = self.settings.extract_workers or None
        with self._feeder(len(tasks)) as feeder:

            def done(item: LinkDone) -> None:
                # A link removed while it was fetched: the index must keep no document of it.
                if item.removed or touches_index(item):
                    feeder.add(item.link_id)
                if on_done is not None:
                    on_done(item)

            pipeline = Pipeline(
                self.store.links, self.settings.fetch_config(), workers=workers, on_done=done
            )
            summary = asyncio.run(pipeline.run(tasks))
        self.store.runs.finish_run(run_id, dict(summary.counts))
        # Anything the feeder could not write (or a crash left) is caught up here.
        sync_index(self.store, self.index)
        return summary
