"""The Whoosh schema, built once per process, and the record -> document conversion."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

from whoosh import analysis, columns, fields, scoring

from index._syntax import tag_keys
from index._types import IndexRecord
from index.whoosh._analysis import FastCharacters, label_analyzer, text_analyzer

# Bump when the schema or analysis changes: an index written with another version is refused
# (IndexUnavailable) until `linkvault reindex` rebuilds it. 4: tags and notes. 5: code words
# (identifiers whole and by their parts, index/_codewords.py).
SCHEMA_VERSION = 5

# Fields a user may name in a query ("title:foo"); "section" maps to the tokenised copy.
QUERY_FIELDS = ("title", "text", "section", "domain", "tag")
DEFAULT_FIELDS = ("title", "text", "note")
TITLE_BOOST = 3.0
# The user's own words about a page weigh a little more than the page's.
NOTE_BOOST = 1.5
# BM25F's length normalisation per field (Whoosh's default B elsewhere). Notes are short and
# most pages have none, so the average note length is tiny and any note would count as
# enormously long: a match in a note would weigh next to nothing. Without length
# normalisation a word in a note weighs about as much as one in an average text.
FIELD_B = {"note": 0.0}
# The fields whose words share one idf: how rare a word is among the documents, not within
# each field. BM25F's idf per field made a word of 355 texts but 4 titles (of 2,000 pages) a
# rare word in those titles, counted three times over (TITLE_BOOST): a page with that common
# word in its title outranked a page about two really rare words in its text (issue 14,
# `modav speedmult player`). The exact count, documents holding the word in any of these
# fields, would need the posting lists united (a cost per document); the largest of the
# fields' counts comes from the term index (a cost per word) and is never above it, nor
# under a third of it (idf at most ln 3 too high). A word of a title or a note is nearly
# always in the text too, so it is mostly exact: index/README.md, "Relevance". The text's
# count alone would make a word found only in titles or notes the rarest of all. Scoring
# only: the index is the same.
IDF_FIELDS = DEFAULT_FIELDS
# Joins a document's tag keys in one value; a control character, so never part of a tag.
TAG_SEPARATOR = "\x1f"

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
        note=fields.TEXT(analyzer=analyzer, field_boost=NOTE_BOOST, stored=True, phrase=True),
        # tag: the tag keys, what `tag:` and the tag filter match; tags: as written, for hits;
        # tag_keys: the keys as one column value per document, for the facet.
        tag=fields.KEYWORD(analyzer=_tag_analyzer()),
        tags=fields.STORED(),
        tag_keys=fields.COLUMN(columns.VarBytesColumn()),
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


def _tag_analyzer() -> Any:
    # Values are tag keys (index._syntax.tag_key) joined by TAG_SEPARATOR: already lower case.
    return analysis.RegexTokenizer(expression=f"[^{TAG_SEPARATOR}]+")


def idf(doc_count: int, df: int) -> float:
    """Whoosh's idf (whoosh.scoring.WeightingModel.idf) of a word in ``df`` of ``doc_count``
    documents."""
    return math.log(doc_count / (df + 1)) + 1


class WordIdfBM25F(scoring.BM25F):
    """Whoosh's BM25F with one idf per word across IDF_FIELDS (their largest df)."""

    def idf(self, searcher: Any, fieldname: str, text: Any) -> float:
        if fieldname not in IDF_FIELDS:
            return float(super().idf(searcher, fieldname, text))
        parent = searcher.get_parent()
        df = max(parent.doc_frequency(name, text) for name in IDF_FIELDS)
        return idf(parent.doc_count_all(), df)


def weighting() -> scoring.BM25F:
    """Whoosh's own scoring with linkvault's per-field settings and word idf: what
    _engine.py computes (tests compare the two)."""
    return WordIdfBM25F(**{f"{name}_B": b for name, b in FIELD_B.items()})


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
    if record.note:
        doc["note"] = record.note
    keys = tag_keys(record.tags)
    if keys:
        joined = TAG_SEPARATOR.join(keys)
        doc["tag"] = joined
        doc["tag_keys"] = joined.encode("utf-8")
        doc["tags"] = list(record.tags)
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
