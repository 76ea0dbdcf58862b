"""Reading-list services' CSV exports: Pocket and Instapaper.

Pocket's export (2025, before it closed) has the header `title,url,time_added,tags,status`
(late 2024: `title,url,time_added,cursor,tags,status`, in a zip of files of 10,000 rows):
`time_added` in seconds since 1970, `tags` separated by `|`, `status` "unread" or
"archive" (a reading state, not a place: not kept). Instapaper's has
`URL,Title,Selection,Folder,Timestamp` and, in newer exports, `Tags` as a JSON array in
one cell; `Selection` is the text the user saved with the link (kept as its note) and
`Folder` is "Unread", "Archive", "Starred" (states again) or a folder of the user's own,
kept as the section. Fields are quoted the RFC 4180 way, so titles may hold commas, quotes
and newlines. A row without a URL, or one cut short, is a problem on its line; a file cut
inside a quoted field ends the import there, with what came before it kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from archiver._linklist import LinkCollector
from archiver.records import ImportResult

__all__ = ["INSTAPAPER_HEADER", "POCKET_HEADER", "parse_instapaper", "parse_pocket"]

# The columns that tell each export apart (others, in any order, are allowed).
POCKET_HEADER = frozenset({"title", "url", "time_added"})
INSTAPAPER_HEADER = frozenset({"url", "title", "selection", "folder", "timestamp"})
_INSTAPAPER_STATES = frozenset({"unread", "archive", "starred"})
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
    )


def parse_pocket(text: str, source: str) -> ImportResult:
    return _parse(text, source, _pocket_row)


def parse_instapaper(text: str, source: str) -> ImportResult:
    return _parse(text, source, _instapaper_row)
