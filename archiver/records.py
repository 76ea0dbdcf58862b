"""The domain records: plain values the importers, the pipeline and the store pass between
them, detached from any session and picklable (extraction runs in worker processes).

Both the link-list parsers (archiver/sources.py) and the storage (archiver/store.py and its
parts) import from here, so storage does not depend on parsing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "ImportCounts",
    "ImportResult",
    "ImportedCopy",
    "LinkSpec",
    "LinkTask",
    "SourceProblem",
    "StoredPage",
    "as_datetime",
    "compress",
    "decompress",
    "same_text",
    "unsupported_reason",
]


@dataclass(frozen=True, slots=True)
class ImportedCopy:
    """The article as another tool kept it (wallabag's `content`, Omnivore's
    `content/<slug>.html`): stored as the link's first snapshot, marked imported, when the
    link has none yet (app/services/imported_copies.py)."""

    html: str
    origin: str  # the tool it came from: "wallabag", "omnivore"
    title: str | None = None
    saved_at: datetime | None = None  # when that tool saved it (aware, UTC)


@dataclass(frozen=True, slots=True)
class LinkSpec:
    url: str  # as listed (stripped)
    normalized_url: str
    title: str | None  # link text / bookmark title
    section: str | None  # nearest heading (markdown) / folder path "A / B" (bookmarks)
    source: str  # file path as given, "-" for stdin, "<args>" for command line URLs
    line: int | None  # 1-based line in the source
    tags: tuple[str, ...] = ()  # cleaned by archiver.tagging (lenient_tags)
    note: str | None = None  # a bookmark's description (<DD>)
    added_at: datetime | None = None  # when the tool it came from saved it (aware, UTC)
    imported_copy: ImportedCopy | None = None  # the article, where the export carries it
    # The owner had filed it away (archived, marked read) in the tool it came from: an
    # import sets it, never clears it (archiver/links.py).
    shelved: bool = False


@dataclass(frozen=True, slots=True)
class SourceProblem:
    source: str
    line: int | None
    message: str


@dataclass(slots=True)
class ImportResult:
    links: list[LinkSpec] = field(default_factory=list)
    problems: list[SourceProblem] = field(default_factory=list)
    # Which format was read (one of archiver.sources.FORMATS but "auto"); None for a URL given
    # as an argument. Set by archiver.sources.read_source.
    format: str | None = None


@dataclass(frozen=True, slots=True)
class ImportCounts:
    new: int
    existing: int
    link_ids: list[int]


@dataclass(frozen=True, slots=True)
class LinkTask:
    """What the pipeline needs to fetch a link, detached from any session."""

    id: int
    url: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    status: str | None = None  # before this fetch, so a run can tell what changed
    # When the link was last checked as the task was chosen: queueing the task for a worker
    # is skipped if another worker checked the link since.
    checked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoredPage:
    """A fetched page as the extraction worker hands it back."""

    final_url: str
    http_status: int | None
    content_type: str | None
    headers: dict[str, str]
    content_hash: str
    raw_compressed: bytes
    size: int
    kind: str
    text: str
    title: str | None
    author: str | None
    published: str | None
    sitename: str | None
    description: str | None
    language: str | None
    error: str | None = None  # why there is no text, for unsupported pages
    document: str | None = None  # the structured copy as JSON (archiver/document.py)
    extracted_with: int | None = None  # archiver.extract.EXTRACTOR_VERSION


def compress(body: bytes) -> bytes:
    return zlib.compress(body, 6)


def decompress(raw: bytes) -> bytes:
    return zlib.decompress(raw) if raw else b""


def same_text(current: Any, page: StoredPage) -> bool:
    """Bytes that differ only where the extractor looks away (a timestamp in the footer, a
    token, an ad) are the same content: the text and title decide, not the markup."""
    return (
        current.id is not None
        and current.kind == page.kind
        and page.kind != "unsupported"
        and current.text == page.text
        and current.title == page.title
    )


def unsupported_reason(content_type: str | None) -> str:
    return f"{content_type or 'this content type'} has no text to extract"


def as_datetime(value: str | None) -> datetime | None:
    """Parses an ISO date from extraction metadata; anything else is dropped."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
