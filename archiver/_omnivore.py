"""Omnivore's export: the zip its exporter wrote before the service closed (Nov. 2024), or
one `metadata_<n>_to_<m>.json` file taken out of it.

The exporter (packages/api/src/jobs/export.ts in omnivore-app/omnivore) writes, 20 items at
a time, `metadata_<cursor>_to_<cursor+20>.json` (`JSON.stringify(items, null, 2)`: an array
of `{id, slug, title, description, author, url, state, readingProgress, thumbnail, labels,
savedAt, updatedAt, publishedAt}`, `state` "Active", "Archived" or "Unknown", `labels` the
label names, dates as `2024-10-30T12:34:56.789Z`), then each item's readable article as
`content/<slug>.html` (a PDF as `content/<slug>.pdf`) and its highlights as
`highlights/<slug>.md`. An item whose file was not cached yet is appended twice under the
same name; the copies are the same.

Kept: the URL, title, labels as tags, `description` as the note, `savedAt` as the date it
was saved, and from the zip `content/<slug>.html` as the link's imported copy. PDFs and
highlights are not read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from archiver._export_json import (
    MAX_COPY_BYTES,
    entries_of,
    imported_copy,
    iso_datetime,
    text_of,
)
from archiver._linklist import LinkCollector, SourceError, shorten
from archiver._zipread import ZipExport
from archiver.records import ImportResult

__all__ = ["parse_omnivore", "parse_omnivore_zip"]

_METADATA = re.compile(r"^(?P<folder>(?:[^/]+/)*)metadata_(?P<start>\d+)_to_\d+\.json$")
# One metadata file holds 20 items; far more is not Omnivore's.
_MAX_METADATA_BYTES = 64 * 1024 * 1024

Content = Callable[[LinkCollector, str, str], str | None]


def _no_content(collector: LinkCollector, where: str, slug: str) -> str | None:
    return None


def _entry(collector: LinkCollector, where: str, entry: dict[str, Any], content: Content) -> None:
    url = text_of(entry.get("url")) or ""
    if not url.strip():
        collector.problem(None, f"{where} without a URL skipped")
        return
    title = text_of(entry.get("title"))
    saved_at = iso_datetime(entry.get("savedAt"))
    labels = entry.get("labels")
    tags = [label for label in labels if isinstance(label, str)] if isinstance(labels, list) else []
    slug = text_of(entry.get("slug"))
    html = content(collector, where, slug) if slug else None
    collector.add(
        url,
        title=title,
        tags=tags,
        note=text_of(entry.get("description")),
        added_at=saved_at,
        # "Archived" is Omnivore's reading state (filed away), not a copy: a shelf here.
        shelved=str(entry.get("state")).lower() == "archived",
        imported_copy=imported_copy(
            collector, where, html, origin="omnivore", title=title, saved_at=saved_at
        ),
    )


def _entries(
    collector: LinkCollector, entries: list[Any], name: str | None, content: Content
) -> None:
    for number, entry in enumerate(entries, start=1):
        where = f"{name}, entry {number}" if name else f"entry {number}"
        if not isinstance(entry, dict):
            collector.problem(None, f"{where} skipped: not an object")
            continue
        _entry(collector, where, entry, content)


def parse_omnivore(text: str, source: str) -> ImportResult:
    """One metadata file: the links without their articles (those are in the zip)."""
    collector = LinkCollector(source)
    _entries(collector, entries_of(text, source, "Omnivore metadata file"), None, _no_content)
    return collector.result()


def parse_omnivore_zip(data: bytes, source: str) -> ImportResult:
    """The whole export: every metadata file in the order written, each item's article."""
    archive = ZipExport(data, source)
    metadata = sorted(
        (match["folder"], int(match["start"]), name)
        for name in archive.names()
        if (match := _METADATA.match(name))
    )
    if not metadata:
        raise SourceError(f"{source}: a zip without metadata_*.json: not an Omnivore export")
    collector = LinkCollector(source)
    for folder, _, name in metadata:
        raw = archive.read(name, _MAX_METADATA_BYTES)
        try:
            entries = entries_of(raw.decode("utf-8"), f"{source}: {name}", "Omnivore metadata")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{source}: {name} is not UTF-8 text: {exc}") from None
        _entries(collector, entries, name, _zip_content(archive, folder))
    return collector.result()


def _zip_content(archive: ZipExport, folder: str) -> Content:
    """Finds an item's article beside the metadata file that lists it."""

    def content(collector: LinkCollector, where: str, slug: str) -> str | None:
        member = f"{folder}content/{slug}.html"
        try:
            size = archive.size(member)
        except KeyError:
            return None
        if size > MAX_COPY_BYTES:
            collector.problem(
                None,
                f"{where}: {shorten(member)} larger than {MAX_COPY_BYTES // 2**20} MB, "
                "not kept as a copy",
            )
            return None
        return archive.read(member, MAX_COPY_BYTES).decode("utf-8", "replace")

    return content
