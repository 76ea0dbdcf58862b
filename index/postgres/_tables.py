"""The PostgreSQL search tables, declared once (migration 0002 creates them from this), and
what a record becomes in them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from index._codewords import code_words
from index._syntax import WORD, tag_keys
from index._types import IndexRecord

# The one declaration of the search tables, as they are after the last migration that changed
# them: 0002 created them (its statements are frozen there), 0009 added notes and tags; and
# tests/archiver/test_migrated_schema.py checks a migrated database against this. Not the
# archiver models' metadata: these tables belong to the index, and exist on PostgreSQL only.
# Changing them takes a new migration that brings a database from the last shape to this one.
metadata = sa.MetaData()


def _vector(config: str, field: str, weight: str) -> str:
    return f"setweight(to_tsvector('{config}'::regconfig, {field}), '{weight}')"


# "<" becomes a space: PostgreSQL's parser would take "<b>" or "<img src=x>" in an article's
# text for markup and skip the words in it, which the Whoosh backend indexes. The note comes
# before the body so its word positions stay clear of PostgreSQL's cap (16,383), which a long
# body reaches: phrases in notes always match.
# Each field's code words (index/_codewords.py: identifiers' parts and joined forms, which
# PostgreSQL's parser does not make) follow it with the same weight (0014).
# linkvault_english (migration 0015): the english configuration without a stop list and
# without the whole of a hyphenated word (its parts only, a position each, as Whoosh cuts
# it), so phrases of stop words and phrases that end at a hyphen line up. Queries drop stop
# words from plain words themselves (index/postgres/_query.py), with Whoosh's list.
TEXT_CONFIG = "linkvault_english"
TEXT_CONFIG_DDL = (
    "CREATE TEXT SEARCH DICTIONARY linkvault_english_stem "
    "(TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION linkvault_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION linkvault_english "
    "ALTER MAPPING FOR asciiword, word, hword_asciipart, hword_part WITH linkvault_english_stem",
    "ALTER TEXT SEARCH CONFIGURATION linkvault_english "
    "DROP MAPPING FOR asciihword, hword, numhword",
)
TSV = " || ".join(
    _vector(TEXT_CONFIG, field, weight)
    for field, weight in (
        ("translate(title, '<', ' ')", "A"),
        ("coalesce(title_code, '')", "A"),
        ("translate(coalesce(note, ''), '<', ' ')", "C"),
        ("coalesce(note_code, '')", "C"),
        ("translate(body, '<', ' ')", "B"),
        ("coalesce(body_code, '')", "B"),
    )
)
# What the first phase of ranking reads (index/postgres/_search.py): the title, the note and
# the lead of the text, weighted as in TSV; small, so it stays in the row (STORAGE MAIN,
# 0015) and ranking thousands of matches reads no TOAST.
LEAD_CHARS = 600
RANK_TSV = " || ".join(
    _vector(TEXT_CONFIG, field, weight)
    for field, weight in (
        ("translate(title, '<', ' ')", "A"),
        ("coalesce(title_code, '')", "A"),
        ("translate(coalesce(note, ''), '<', ' ')", "C"),
        (f"translate(left(body, {LEAD_CHARS}), '<', ' ')", "B"),
    )
)
STORAGE_DDL = ("ALTER TABLE search_documents ALTER COLUMN rank_tsv SET STORAGE MAIN",)
# `section:` searches the words of the section name: lowercased, neither stemmed nor stopped.
SECTION_WORDS = "to_tsvector('simple'::regconfig, coalesce(section, ''))"

documents = sa.Table(
    "search_documents",
    metadata,
    sa.Column(
        "link_id", sa.Integer, sa.ForeignKey("links.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("section", sa.Text),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("archived_at", sa.DateTime(timezone=True)),
    sa.Column("published", sa.DateTime(timezone=True)),
    sa.Column("version", sa.Text, nullable=False, server_default=""),
    sa.Column("note", sa.Text),
    # The tags as written, for hits; their keys (index._syntax.tag_key) for `tag:`, the tag
    # filter and the facet.
    sa.Column("tags", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("tag_keys", postgresql.ARRAY(sa.Text), nullable=False, server_default="{}"),
    # Code words of the title, note and body (index/_codewords.py), made by the writer.
    sa.Column("title_code", sa.Text),
    sa.Column("note_code", sa.Text),
    sa.Column("body_code", sa.Text),
    sa.Column("tsv", postgresql.TSVECTOR, sa.Computed(TSV, persisted=True)),
    sa.Column("rank_tsv", postgresql.TSVECTOR, sa.Computed(RANK_TSV, persisted=True)),
    sa.Index("ix_search_documents_tsv", "tsv", postgresql_using="gin"),
    sa.Index("ix_search_documents_rank_tsv", "rank_tsv", postgresql_using="gin"),
    sa.Index("ix_search_documents_tag_keys", "tag_keys", postgresql_using="gin"),
    sa.Index("ix_search_documents_section_words", sa.text(SECTION_WORDS), postgresql_using="gin"),
    sa.Index("ix_search_documents_section", "section"),
    sa.Index("ix_search_documents_domain", "domain"),
    sa.Index("ix_search_documents_archived_at", "archived_at"),
    sa.Index("ix_search_documents_published", "published"),
)

lexemes = sa.Table(
    "search_lexemes",
    metadata,
    # Byte order ("C"), so a prefix is a range scan of the primary key.
    sa.Column("lexeme", sa.Text(collation="C"), primary_key=True),
    # Documents that had it when it was first indexed (for ranking suggestions only).
    sa.Column("ndoc", sa.Integer, nullable=False),
)


def search_tables(links: sa.MetaData) -> list[sa.Table]:
    """Copies of the search tables in ``links`` (a MetaData holding the ``links`` table, which
    search_documents.link_id refers to), in the order they are created."""
    return [table.to_metadata(links) for table in metadata.tables.values()]


def search_tables_ddl() -> list[str]:
    """The statements that make the search tables, as PostgreSQL would be sent them: the
    text search configuration, the tables and their indexes, the storage of rank_tsv."""
    links = sa.MetaData()
    sa.Table("links", links, sa.Column("id", sa.Integer, primary_key=True))
    statements: list[sa.schema.ExecutableDDLElement] = []
    for table in search_tables(links):
        statements.append(sa.schema.CreateTable(table))
        statements.extend(sa.schema.CreateIndex(i) for i in sorted(table.indexes, key=_name))
    dialect = postgresql.dialect()
    tables = [str(statement.compile(dialect=dialect)).strip() for statement in statements]
    return [*TEXT_CONFIG_DDL, *tables, *STORAGE_DDL]


def _name(index: sa.Index) -> str:
    return str(index.name)


# Section names are labels: lowercased, neither stemmed nor stopped.
LABEL_CONFIG = "simple"

# As the Whoosh index: the database keeps the whole text, the index its first million
# characters (fewer if PostgreSQL's tsvector limit refuses that many; see the writer).
MAX_INDEXED_CHARS = 1_000_000
# One-letter parts ("c" of `ceval.c`) are not words, as on Whoosh.
MIN_CODE_CHARS = 2

# Snippet markers, from Unicode's private use area: ts_headline() puts them around matches
# and between passages, and they become <mark> and "…" once the text is HTML-escaped. They
# are taken out of indexed texts so an archived page cannot forge a mark.
MARK_START, MARK_END, FRAGMENT_SEP, LT = "\ue000", "\ue001", "\ue002", "\ue003"
# "." and "/" are swapped for these in the text ts_headline() reads, so it cuts `sys.getsizeof`
# and `Python/ceval.c` into their parts and can mark a part (code words, index/_codewords.py).
DOT, SLASH = "\ue004", "\ue005"
_MARKERS = re.compile("[\ue000-\ue005]")


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
    values = {
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
        "note": _text(record.note) or None,
        "tags": [_text(tag) for tag in record.tags],
        "tag_keys": tag_keys(record.tags),
    }
    return with_code_words(values)


def with_code_words(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the code words of its title, note and body (again after a cut)."""
    for name, code in (("title", "title_code"), ("note", "note_code"), ("body", "body_code")):
        values[code] = code_words(values[name] or "", WORD, MIN_CODE_CHARS) or None
    return values
