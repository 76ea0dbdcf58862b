"""What linkvault does, once for the command line, the HTTP service and the worker.

`Vault` is the composition root (settings in; the store, the index and runs out); each use
case lives in one module: `archiving` (import, archive or queue, refresh or queue),
`indexing` (keep the index in step, reindex), `check` (check and repair), `exporting`
(markdown, JSON, WARC), `worker` (work the queue), `queries` and `diffs` (what the pages and
the API read), `runlock` (one writing command per data directory), `accounts` (the owner's
password, API tokens, the sign-in limit).
"""

from app.services.archiving import (
    Queued,
    archive_or_queue,
    refresh_or_queue,
    tasks_to_archive,
    tasks_to_refresh,
)
from app.services.check import CheckReport, check, repair
from app.services.exporting import Exported, ExportFormat, ExportRefused, export
from app.services.indexing import rebuild_index, records, sync_index
from app.services.vault import Vault
from app.services.worker import Worker, WorkerOptions, WorkerReport, work_queue

__all__ = [
    "CheckReport",
    "ExportFormat",
    "ExportRefused",
    "Exported",
    "Queued",
    "Vault",
    "Worker",
    "WorkerOptions",
    "WorkerReport",
    "archive_or_queue",
    "check",
    "export",
    "rebuild_index",
    "records",
    "refresh_or_queue",
    "repair",
    "sync_index",
    "tasks_to_archive",
    "tasks_to_refresh",
    "work_queue",
]
