"""The Whoosh schema, built once per process, and the record -> document conversion."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from whoosh import analysis, fields

from index._types import IndexRecord
from index.whoosh._analysis import FastCharacters, label_analyzer, text_analyzer

# Bump when the schema or analysis changes: an index written with another version is refused
# (IndexUnavailable) until `linkvault reindex` rebuilds it.
SCHEMA_VERSION = 3

# Fields a user may name in a query ("title:foo"); "section" maps to the tokenised copy.
QUERY_FIELDS = ("title", "text", "section", "domain")
DEFAULT_FIELDS = ("title", "text")
TITLE_BOOST = 3.0

# Very long documents (books as PDF) would make one add() take seconds; the database keeps the
# full text, the index sees the first million characters.
MAX_INDEXED_CHARS = 1_000_000


def build_schema() -> fields.Schema:
    analyzer = text_analyzer()
    text = fields.TEXT(analyzer=analyzer, stored=True, chars=True, phrase=True)
    # chars=True stores each term's character offsets, so snippets come from the postings
    # instead of re-analysing the whole document per hit; FastCharacters is that same format
    # with a faster indexing path.
    text.format = FastCharacters(field_boost=1.0)
    return fields.Schema(
        # sortable: a column of ids, read by indexed_ids() for segments with deletions.
        id=fields.ID(unique=True, stored=True, sortable=True),
        url=fields.ID(stored=True),
        title=fields.TEXT(analyzer=analyzer, field_boost=TITLE_BOOST, stored=True, phrase=True),
        text=text,
        # Exact section name: filters and facets. section_words: what `section:` searches.
        section=fields.ID(stored=True, sortable=True),
        section_words=fields.TEXT(analyzer=label_analyzer(), phrase=True),
        domain=fields.ID(stored=True, sortable=True, analyzer=analysis.IDAnalyzer(lowercase=True)),
        status=fields.ID(stored=True),
        archived_at=fields.DATETIME(stored=True, sortable=True),
        published=fields.DATETIME(stored=True, sortable=True),
        # The caller's fingerprint of what it indexed: `linkvault check` compares it with the
        # database to find stale documents without reading any text. A column only.
        version=fields.ID(sortable=True),
    )


@functools.cache
def schema() -> fields.Schema:
    """The process-wide schema; analyzers (and their stem caches) are shared, not rebuilt."""
    return build_schema()


def to_utc_naive(value: datetime | None) -> datetime | None:
    # Whoosh drops tzinfo without converting, so aware values are moved to UTC first; naive
    # values are taken to be UTC already.
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def from_stored_datetime(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC)


def record_fields(record: IndexRecord) -> dict[str, Any]:
    """Keyword arguments for Whoosh's add_document."""
    doc: dict[str, Any] = {
        "id": str(record.id),
        "url": record.url,
        "title": record.title or "",
        "text": record.text[:MAX_INDEXED_CHARS] if record.text else "",
        "domain": (record.domain or "").lower(),
        "status": record.status or "",
        "version": record.version,
    }
    if record.section:
        doc["section"] = record.section
        doc["section_words"] = record.section
    archived_at = to_utc_naive(record.archived_at)
    if archived_at is not None:
        doc["archived_at"] = archived_at
    published = to_utc_naive(record.published)
    if published is not None:
        doc["published"] = published
    return doc
