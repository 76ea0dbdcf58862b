"""Reading-list services' CSV exports: Pocket, Instapaper and Raindrop.io.

Pocket's export (2025, before it closed) has the header `title,url,time_added,tags,status`
(late 2024: `title,url,time_added,cursor,tags,status`, in a zip of files of 10,000 rows):
`time_added` in seconds since 1970, `tags` separated by `|`, `status` "unread" or
"archive" (a reading state, not a place: "archive" shelves the link). Instapaper's has
`URL,Title,Selection,Folder,Timestamp` and, in newer exports, `Tags` as a JSON array in
one cell; `Selection` is the text the user saved with the link (kept as its note) and
`Folder` is "Unread", "Archive", "Starred" (states again: "Archive" shelves the link) or a
folder of the user's own, kept as the section. Raindrop.io's backup CSV has
`id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite`: `note` is the
user's, `excerpt` the page's description (both kept, as the note), `folder` the collection
path ("Parent / Child"; its import format writes "a/b/c"; "Unsorted" is no collection),
`tags` "a, b" in one cell, `created` an ISO time ("2024-04-13T14:17:33.000Z").

Fields are quoted the RFC 4180 way, so titles may hold commas, quotes and newlines. A row
without a URL, or one cut short, is a problem on its line; a file cut inside a quoted field
ends the import there, with what came before it kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from archiver._linklist import LinkCollector
from archiver.records import ImportResult

__all__ = [
    "INSTAPAPER_HEADER",
    "POCKET_HEADER",
    "RAINDROP_HEADER",
    "parse_instapaper",
    "parse_pocket",
    "parse_raindrop",
]

# The columns that tell each export apart (others, in any order, are allowed).
POCKET_HEADER = frozenset({"title", "url", "time_added"})
INSTAPAPER_HEADER = frozenset({"url", "title", "selection", "folder", "timestamp"})
_INSTAPAPER_STATES = frozenset({"unread", "archive", "starred"})
RAINDROP_HEADER = frozenset({"id", "title", "note", "excerpt", "url", "folder", "tags", "created"})
# Raindrop's collection for what the user never filed: no section.
_RAINDROP_UNSORTED = "unsorted"
# One cell may hold a whole article's selection, far beyond csv's 128 kB default.
_MAX_FIELD = 16 * 1024 * 1024

Row = dict[str, str]


def header_of(text: str) -> tuple[str, ...]:
    """The first line's column names, lower-cased (for telling the formats apart)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    return tuple(name.strip().strip('"').lower() for name in first.split(","))


def _rows(text: str, collector: LinkCollector) -> Iterator[tuple[int, Row]]:
    """Each row as {lower-cased column: value} with the line it starts on; problems for
    rows cut short and for a file that ends inside a quoted field."""
    csv.field_size_limit(_MAX_FIELD)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error as exc:
        collector.problem(1, f"unreadable header: {exc}")
        return
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            collector.problem(start, f"the rest of the file skipped: {exc}")
            return
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) < len(header):
            collector.problem(line, f"row with {len(cells)} of {len(header)} columns; read as is")
        yield line, dict(zip(header, cells, strict=False))


def _seconds(value: str | None) -> datetime | None:
    try:
        seconds = int((value or "").strip())
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    except (ValueError, OverflowError, OSError):
        return None


def _parse(
    text: str, source: str, read_row: Callable[[LinkCollector, int, Row], None]
) -> ImportResult:
    collector = LinkCollector(source)
    for line, row in _rows(text, collector):
        if not (row.get("url") or "").strip():
            collector.problem(line, "row without a URL skipped")
            continue
        read_row(collector, line, row)
    return collector.result()


def _pocket_row(collector: LinkCollector, line: int, row: Row) -> None:
    tags = (row.get("tags") or "").split("|")
    collector.add(
        row.get("url") or "",
        title=row.get("title"),
        line=line,
        tags=[tag for tag in tags if tag.strip()],
        added_at=_seconds(row.get("time_added")),
        shelved=(row.get("status") or "").strip().lower() == "archive",
    )


def _instapaper_tags(cell: str | None) -> list[str]:
    cell = (cell or "").strip()
    if not cell:
        return []
    try:
        tags = json.loads(cell)
    except json.JSONDecodeError:
        return [piece for piece in cell.split(",") if piece.strip()]
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def _instapaper_row(collector: LinkCollector, line: int, row: Row) -> None:
    folder = (row.get("folder") or "").strip()
    collector.add(
        row.get("url") or "",
        title=row.get("title"),
        section=None if folder.lower() in _INSTAPAPER_STATES else folder,
        line=line,
        tags=_instapaper_tags(row.get("tags")),
        note=row.get("selection"),
        added_at=_seconds(row.get("timestamp")),
        shelved=folder.lower() == "archive",
    )


def parse_pocket(text: str, source: str) -> ImportResult:
    return _parse(text, source, _pocket_row)


def parse_instapaper(text: str, source: str) -> ImportResult:
    return _parse(text, source, _instapaper_row)


def _iso_time(value: str | None) -> datetime | None:
    """An ISO 8601 time ("2024-04-13T14:17:33.000Z"), as UTC; a time without a zone is
    taken as UTC; None for anything else."""
    try:
        when = datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _raindrop_section(folder: str | None) -> str | None:
    parts = [part.strip() for part in (folder or "").split("/")]
    path = " / ".join(part for part in parts if part)
    return None if path.lower() == _RAINDROP_UNSORTED else path or None


def _raindrop_row(collector: LinkCollector, line: int, row: Row) -> None:
    # The user's note first, then the page's description, each once.
    notes = [text.strip() for text in (row.get("note"), row.get("excerpt")) if text]
    note = "\n\n".join(dict.fromkeys(text for text in notes if text))
    collector.add(
        row.get("url") or "",
        title=row.get("title"),
        section=_raindrop_section(row.get("folder")),
        line=line,
        tags=(row.get("tags") or "").split(","),
        note=note,
        added_at=_iso_time(row.get("created")),
    )


def parse_raindrop(text: str, source: str) -> ImportResult:
    return _parse(text, source, _raindrop_row)
