"""What the JSON exports of read-it-later tools (wallabag, Omnivore) share: an array of
entries read as a whole, their ISO dates, and the article copy some of them carry, bounded
like a fetched page."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from archiver._linklist import LinkCollector, SourceError
from archiver.config import FetchConfig
from archiver.records import ImportedCopy

__all__ = ["MAX_COPY_BYTES", "entries_of", "imported_copy", "iso_datetime", "text_of"]

# An article kept by another tool is held to the limit a fetched page is held to.
MAX_COPY_BYTES = FetchConfig().max_bytes


def entries_of(text: str, source: str, what: str) -> list[Any]:
    """The export's entries: a JSON array, or SourceError naming what is wrong with it."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"{source}: not a readable {what} (JSON): {exc}") from None
    if not isinstance(data, list):
        raise SourceError(
            f"{source}: not a {what}: expected a JSON array of entries, found {type(data).__name__}"
        )
    return data


def text_of(value: object) -> str | None:
    return value if isinstance(value, str) else None


def iso_datetime(value: object) -> datetime | None:
    """ "2024-01-15T10:20:30+01:00" or "...30.000Z" in UTC; a date without a zone is UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def imported_copy(
    collector: LinkCollector,
    where: str,
    html: object,
    *,
    origin: str,
    title: str | None,
    saved_at: datetime | None,
) -> ImportedCopy | None:
    """The article's HTML as a copy to keep, or None (nothing there, or too large: said)."""
    if not isinstance(html, str) or not html.strip():
        return None
    if len(html) > MAX_COPY_BYTES or len(html.encode("utf-8", "replace")) > MAX_COPY_BYTES:
        collector.problem(
            None,
            f"{where}: article larger than {MAX_COPY_BYTES // 2**20} MB, not kept as a copy "
            "(the link is imported and fetched as usual)",
        )
        return None
    return ImportedCopy(html=html, origin=origin, title=title, saved_at=saved_at)
