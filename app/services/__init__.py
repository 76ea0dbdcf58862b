"""What linkvault does, once for the command line, the HTTP service and the worker.

`Vault` is the composition root (settings in; the store, the index and runs out); each use
case lives in one module: `archiving` (import, archive or queue, refresh or queue),
`curation` (edit a link, remove links), `linkrefs` (links named by URL or id), `indexing`
(keep the index in step, reindex), `check` (check and repair), `exporting` (markdown, JSON,
WARC, Netscape bookmarks), `worker` (work the queue), `queries` and `diffs` (what the pages
and the API read), `runlock` (one writing command per data directory), `accounts` (the
owner's password, API tokens, the sign-in limit).
"""

from app.services.archiving import (
    Queued,
    archive_or_queue,
    refresh_or_queue,
    tasks_to_archive,
    tasks_to_refresh,
)
from app.services.check import CheckReport, check, repair
from app.services.curation import Edit, Removal, edit_link, links_to_remove, remove_links
from app.services.exporting import Exported, ExportFormat, ExportRefused, export
from app.services.indexing import rebuild_index, records, sync_index
from app.services.linkrefs import UnknownLinks, link_ids_for, resolve_links
from app.services.vault import Vault
from app.services.worker import Worker, WorkerOptions, WorkerReport, work_queue

__all__ = [
    "CheckReport",
    "Edit",
    "ExportFormat",
    "ExportRefused",
    "Exported",
    "Queued",
    "Removal",
    "UnknownLinks",
    "Vault",
    "Worker",
    "WorkerOptions",
    "WorkerReport",
    "archive_or_queue",
    "check",
    "edit_link",
    "export",
    "link_ids_for",
    "links_to_remove",
    "rebuild_index",
    "records",
    "refresh_or_queue",
    "remove_links",
    "repair",
    "resolve_links",
    "sync_index",
    "tasks_to_archive",
    "tasks_to_refresh",
    "work_queue",
]
