"""Turns links into stored documents: import, fetch, extract, store.

The public surface: the names below, importable from `archiver`. They are defined in the
public modules (no leading underscore), which other packages may also import directly:

- records: the plain values passed around (LinkSpec, LinkTask, StoredPage, ImportCounts, ...)
- sources: reading link lists (markdown, text, bookmarks)
- store: the database (`Store`) and its parts: links (import, tasks, results), runs (runs and
  status reports), index_bookkeeping (what the search index must catch up on), curation
  (what the owner edits, and removing links), accounts (the owner's password hash, API
  tokens, sign-in failures)
- tagging: the one rule for tags (strict for what a person types, lenient for imports)
- models, schema: the tables and their migrations
- pipeline, fetch, extract: fetching and extracting pages
- queue, refresh, rot: the shared work queue, what to re-check, when a link is dead
- reextract: extracting stored snapshots again from their stored bodies, without fetching
- export, netscape, warc, restore: exports and restoring one
- urls, config

Modules starting with an underscore are private to archiver. Extraction is not re-exported
here: import it from `archiver.extract` (extract, decode_html, extract_html, HtmlOptions,
EXTRACTOR_OPTIONS) where it is used, since it loads trafilatura and lxml, which take most of
a second, and most commands never extract.
"""

from __future__ import annotations

from archiver._engine import make_engine
from archiver._version import __version__
from archiver.accounts import Accounts, StoredPassword, StoredToken, TokenNameTaken
from archiver.config import FetchConfig
from archiver.curation import (
    KEEP,
    CuratedLink,
    Curation,
    Edited,
    InvalidField,
    LinkChanges,
    tagged,
)
from archiver.document import Document, DocumentError
from archiver.export import write_json, write_markdown
from archiver.index_bookkeeping import IndexBookkeeping
from archiver.links import LinkGone, Links, Reextracted, StoredBody
from archiver.models import Check, Link, LinkStatus, Run, Snapshot
from archiver.netscape import write_netscape
from archiver.pipeline import LinkDone, Pipeline, RunSummary
from archiver.queue import (
    ARCHIVE,
    REFRESH,
    QueueCounts,
    QueueStore,
    WorkQueue,
    enqueue,
    queue_counts,
)
from archiver.records import (
    ImportCounts,
    ImportResult,
    LinkSpec,
    LinkTask,
    SourceProblem,
    StoredPage,
    as_datetime,
    compress,
    decompress,
)
from archiver.reextract import extraction_pool, reextract_body
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.restore import ExportError, RestoreReport, is_export, load_export, restore_export
from archiver.rot import RotPolicy
from archiver.runs import Runs
from archiver.schema import SchemaOutOfDate, migrate
from archiver.sources import (
    SourceError,
    clean_text,
    parse_bookmarks,
    parse_markdown,
    parse_text,
    read_source,
)
from archiver.store import Store
from archiver.tagging import InvalidTag, clean_tags, lenient_tags, split_tags
from archiver.urls import domain_of, is_http_url, normalize_url
from archiver.warc import write_warc

__all__ = [
    "ARCHIVE",
    "Accounts",
    "KEEP",
    "REFRESH",
    "Check",
    "CuratedLink",
    "Curation",
    "Edited",
    "InvalidField",
    "InvalidTag",
    "LinkChanges",
    "LinkGone",
    "ExportError",
    "FetchConfig",
    "Document",
    "DocumentError",
    "ImportCounts",
    "ImportResult",
    "IndexBookkeeping",
    "Link",
    "LinkDone",
    "LinkSpec",
    "LinkStatus",
    "LinkTask",
    "Links",
    "Pipeline",
    "QueueCounts",
    "QueueStore",
    "Reextracted",
    "RefreshSelection",
    "RestoreReport",
    "RotPolicy",
    "Run",
    "RunSummary",
    "Runs",
    "SchemaOutOfDate",
    "Snapshot",
    "SourceError",
    "SourceProblem",
    "Store",
    "StoredBody",
    "StoredPage",
    "StoredPassword",
    "StoredToken",
    "TokenNameTaken",
    "WorkQueue",
    "__version__",
    "as_datetime",
    "clean_tags",
    "clean_text",
    "compress",
    "decompress",
    "domain_of",
    "enqueue",
    "extraction_pool",
    "is_export",
    "is_http_url",
    "lenient_tags",
    "load_export",
    "make_engine",
    "migrate",
    "normalize_url",
    "parse_bookmarks",
    "parse_markdown",
    "parse_text",
    "queue_counts",
    "read_source",
    "reextract_body",
    "refresh_tasks",
    "restore_export",
    "split_tags",
    "tagged",
    "write_json",
    "write_markdown",
    "write_netscape",
    "write_warc",
]
