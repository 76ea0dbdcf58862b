"""Ranking on PostgreSQL in two phases, so that its cost per match does not grow with the
length of the matching texts.

ts_rank_cd over a document's whole tsvector reads that tsvector from TOAST, ~20 us a match:
a word found in half of 100,000 pages took over a second to rank. Phase one ranks every match
on ``rank_tsv`` (the title, its code words, the note and the text's first 600 characters,
weighted as ``tsv``; kept in the table row, ~1 us a match) and keeps the best
``CANDIDATES``; phase two ranks those on the whole tsvector, read once each, and the page is
cut from them. A page whose words are all past its lead can lose its place to pages that
have them in the title or lead when a query matches more than ``CANDIDATES`` pages; with
fewer, every match is ranked on its whole text.

ts_rank_cd counts how often and how close together the query's words occur, with the field
weights; it has no idea of a word's rarity, which only matters when pages hold different
query words: the any-word fallback. There each word is scored apart and weighted by its idf
(Whoosh's: 1 + ln(N / (df + 1))), so a page with two rare words beats a page with a common
word in its title; in phase one, a page counts the idf of each word it has (times 1 + that
word's rank on rank_tsv), so pages with more, and rarer, words are the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REAL, TSVECTOR

from index import _syntax as syn
from index.postgres._query import Compiled, target, tsquery
from index.postgres._tables import documents

# ts_rank_cd's weights for D, C (note), B (text) and A (title): title matches weigh three
# times text matches, note matches a little more than text (Whoosh: BM25F, title boost 3,
# note boost 1.5).
WEIGHTS = [0.1, 0.4, 0.33, 1.0]
NORMALISATION = 1  # rank / (1 + log(document length))
# Phase one keeps this many (or as many as the page asks to reach): enough for ten pages of
# ten, few enough that phase two reads ~2 MB of tsvectors at most.
CANDIDATES = 100
# N of the idf, which need not be exact: the planner's count of documents (kept by ANALYZE
# and autovacuum), or a count of them while there is none (a new table: -1; PostgreSQL runs
# the subquery only then).
_DOCUMENTS: sa.ColumnElement[float] = sa.literal_column(
    "(SELECT CASE WHEN reltuples > 0 THEN reltuples "
    "ELSE (SELECT count(*) FROM search_documents) END "
    "FROM pg_class WHERE oid = 'search_documents'::regclass)"
)


@dataclass(slots=True)
class Ranking:
    """Phase one's result: the candidates in their order, and for the any-word fallback the
    words (tsquery texts) each scored apart and their idf."""

    ids: list[int]
    words: list[str] = field(default_factory=list)
    idf: list[float] = field(default_factory=list)


def _weights() -> sa.ColumnElement[Any]:
    return sa.cast(sa.literal(WEIGHTS, ARRAY(REAL)), ARRAY(REAL))


def _rank(vector: sa.ColumnElement[Any], query: str) -> sa.ColumnElement[float]:
    return sa.func.ts_rank_cd(_weights(), vector, tsquery(query), NORMALISATION)


def words_scored_apart(compiled: Compiled) -> list[str]:
    """The words (and phrases) of an any-word query, each a tsquery text."""
    texts = [
        compiled.normalised[leaf]
        for leaf in syn.positive_leaves(compiled.tree)
        if target(leaf) == "tsv" and compiled.normalised.get(leaf)
    ]
    return list(dict.fromkeys(texts))


def candidates(
    conn: sa.Connection,
    compiled: Compiled,
    filters: list[sa.ColumnElement[bool]],
    wanted: int,
    any_word: bool,
) -> Ranking:
    """Phase one: the ids of the best ``max(CANDIDATES, wanted)`` matches."""
    assert compiled.rank is not None
    d = documents.c
    limit = max(CANDIDATES, wanted)
    words = words_scored_apart(compiled) if any_word else []
    if len(words) < 2:
        lead = _rank(d.rank_tsv, compiled.rank)
        stmt = (
            sa.select(d.link_id)
            .where(compiled.where, *filters)
            .order_by(lead.desc(), d.link_id)
            .limit(limit)
        )
        return Ranking(list(conn.execute(stmt).scalars()))
    # Each word's matches (with the query's other conditions: NOT, filters), once.
    matches = sa.union_all(
        *(
            sa.select(
                d.link_id,
                sa.literal(i).label("word"),
                _rank(d.rank_tsv, word).label("lead"),
            ).where(d.tsv.op("@@")(tsquery(word)), compiled.where, *filters)
            for i, word in enumerate(words)
        )
    ).cte("matches")
    counts = (
        sa.select(matches.c.word, sa.func.count().label("df"))
        .group_by(matches.c.word)
        .cte("counts")
    )
    idf = 1 + sa.func.ln(sa.func.greatest(_DOCUMENTS, counts.c.df) / (counts.c.df + 1.0))
    best = (
        sa.select(
            sa.literal(1).label("kind"),
            matches.c.link_id.label("key"),
            sa.func.sum(idf * (1 + matches.c.lead)).label("value"),
        )
        .join_from(matches, counts, matches.c.word == counts.c.word)
        .group_by(matches.c.link_id)
        .order_by(sa.literal_column("value").desc(), matches.c.link_id)
        .limit(limit)
        .subquery("best")
    )
    both = sa.union_all(
        sa.select(sa.literal(0).label("kind"), counts.c.word, sa.cast(idf, sa.Float)),
        sa.select(best.c.kind, best.c.key, best.c.value),
    )
    ranking = Ranking([], words, [1.0] * len(words))
    for kind, key, value in conn.execute(both):
        if kind == 0:
            ranking.idf[key] = float(value)
        else:
            ranking.ids.append(key)
    return ranking


def ranked_page(ranking: Ranking, compiled: Compiled, sq_page: int, per_page: int) -> sa.Subquery:
    """Phase two: (link_id, score, place) of the page's hits, the candidates ranked on their
    whole tsvector."""
    assert compiled.rank is not None
    d = documents.c
    ids = sa.cast(sa.literal(ranking.ids, ARRAY(sa.Integer)), ARRAY(sa.Integer))
    # OFFSET 0 keeps PostgreSQL from merging this into the outer query, so `v` is computed
    # once per candidate: `tsv || ''` is the tsvector read from TOAST once, in memory, which
    # each ts_rank_cd() below then reads (a column itself would be read again by each call).
    read = (
        sa.select(d.link_id, d.tsv.op("||")(sa.cast(sa.literal(""), TSVECTOR)).label("v"))
        .where(d.link_id == sa.any_(ids))
        .offset(0)
        .subquery("candidates")
    )
    score: sa.ColumnElement[Any]
    if ranking.words:
        score = sum(
            (
                sa.literal(weight, REAL) * _rank(read.c.v, word)
                for word, weight in zip(ranking.words, ranking.idf, strict=True)
            ),
            start=sa.literal(0.0),
        )
    else:
        score = _rank(read.c.v, compiled.rank)
    order = [score.desc(), read.c.link_id]
    return (
        sa.select(
            read.c.link_id,
            score.label("score"),
            sa.func.row_number().over(order_by=order).label("place"),
        )
        .order_by(*order)
        .limit(per_page)
        .offset((sq_page - 1) * per_page)
        .subquery("top")
    )
