"""The PostgreSQL search tables (made by migration 0002) and what a record becomes in them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from index._types import IndexRecord

# Not linkvault's models' metadata: these tables belong to the index, and the schema test
# compares the migrations with the models only.
metadata = sa.MetaData()

documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column("link_id", sa.Integer, primary_key=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("section", sa.Text),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("archived_at", sa.DateTime(timezone=True)),
    sa.Column("published", sa.DateTime(timezone=True)),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("tsv", postgresql.TSVECTOR),
)

lexemes = sa.Table(
    "search_lexemes",
    metadata,
    sa.Column("lexeme", sa.Text, primary_key=True),
    sa.Column("ndoc", sa.Integer, nullable=False),
)

# Text search configurations: article words are stemmed English; section names are labels.
TEXT_CONFIG = "english"
LABEL_CONFIG = "simple"

# As the Whoosh index: the database keeps the whole text, the index its first million
# characters (fewer if PostgreSQL's tsvector limit refuses that many; see the writer).
MAX_INDEXED_CHARS = 1_000_000

# Snippet markers, from Unicode's private use area: ts_headline() puts them around matches
# and between passages, and they become <mark> and "…" once the text is HTML-escaped. They
# are taken out of indexed texts so an archived page cannot forge a mark.
MARK_START, MARK_END, FRAGMENT_SEP, LT = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKERS = re.compile("[\ue000-\ue003]")


def utc(value: datetime | None) -> datetime | None:
    """Naive datetimes are taken as UTC, as on the Whoosh backend."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _text(value: str | None, limit: int | None = None) -> str:
    # PostgreSQL text cannot hold NUL; the markers are ours.
    text = (value or "")[:limit].replace("\x00", " ")
    return _MARKERS.sub(" ", text)


def row(record: IndexRecord, body_chars: int = MAX_INDEXED_CHARS) -> dict[str, Any]:
    """The search_documents row of ``record``, its text cut to ``body_chars`` characters."""
    return {
        "link_id": int(record.id),
        "url": _text(record.url),
        "title": _text(record.title),
        "body": _text(record.text, body_chars),
        "section": _text(record.section) or None,
        "domain": _text(record.domain).strip().lower(),
        "status": _text(record.status)[:16],
        "archived_at": utc(record.archived_at),
        "published": utc(record.published),
        "version": _text(record.version),
    }
