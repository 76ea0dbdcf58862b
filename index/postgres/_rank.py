"""Ranking on PostgreSQL in two phases, so that its cost does not grow with the length of the
matching texts, nor much with their number.

ts_rank_cd over a document's whole tsvector reads that tsvector from TOAST, ~20 us a match:
a word found in half of 100,000 pages took over a second to rank. ``rank_tsv`` holds the
title, its code words, the note and the text's first 600 characters, weighted as ``tsv``,
kept in the table row and under a GIN index of its own (migrations 0015, 0016). Phase one
picks candidates: the matches that have the query in their rank_tsv, best first by
ts_rank_cd on it (the GIN index finds them without reading the other matches), then, if
those are too few, the newest of the other matches. Phase two ranks the candidates on their
whole tsvector, read once each, in blocks of ``CANDIDATES`` (see ranked_page), and the page
is cut from them. So when a query matches more than ``CANDIDATES`` pages, a page that has
the query only past its lead can rank below pages that have it in their title or lead; with
fewer, every match is ranked on its whole text.

ts_rank_cd counts how often and how close together the query's words occur, with the field
weights; it has no idea of a word's rarity, which only matters when pages hold different
query words: the any-word fallback. There each word is scored apart and weighted by its idf
(Whoosh's: 1 + ln(N / (df + 1))), so a page with two rare words beats a page with a common
word in its title; in phase one, a page counts the idf of each word it has (times 1 + that
word's rank on rank_tsv), so pages with more, and rarer, words are the candidates.
"""

from __future__ import annotations

import functools
import math
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import REAL, TSVECTOR

from index import _syntax as syn
from index.postgres._clauses import (
    TSV_MATCH,
    Condition,
    Filters,
    filter_clauses,
    int_array_param,
    tsquery_param,
)
from index.postgres._query import Compiled, single_lexeme, target, target_of
from index.postgres._tables import documents

# ts_rank_cd's weights for D, C (note), B (text) and A (title): title matches weigh three
# times text matches, note matches a little more than text (Whoosh: BM25F, title boost 3,
# note boost 1.5).
WEIGHTS = [0.1, 0.4, 0.33, 1.0]
NORMALISATION = 1  # rank / (1 + log(document length))
# Phase two ranks phase one's candidates in blocks of this many (see ranked_page): the first
# page of ten reads fifty documents' tsvectors (~50 us each).
CANDIDATES = 50
# N of the idf, which need not be exact: the planner's count of documents (kept by ANALYZE
# and autovacuum), or a count of them while there is none (a new table: -1; PostgreSQL runs
# the subquery only then).
_DOCUMENTS: sa.ColumnElement[float] = sa.literal_column(
    "(SELECT CASE WHEN reltuples > 0 THEN reltuples "
    "ELSE (SELECT count(*) FROM search_documents) END "
    "FROM pg_class WHERE oid = 'search_documents'::regclass)"
)
_LIMIT = sa.bindparam("limit", type_=sa.Integer)
_IN_LEAD = documents.c.rank_tsv.op("@@", is_comparison=True)(tsquery_param("rank_q"))


# The planner's statistics of the tsvector column: its most common lexemes and the share of
# documents holding each (ANALYZE, autovacuum; rebuild() runs ANALYZE). Read at most once a
# few minutes per engine: they change when ANALYZE runs, and only a little.
_STATISTICS = sa.text(
    "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE tablename = 'search_documents' AND attname = 'tsv' "
    "AND schemaname = current_schema()"
)
_STATISTICS_SECONDS = 300.0
_frequencies: weakref.WeakKeyDictionary[sa.Engine, tuple[float, dict[str, float], float]] = (
    weakref.WeakKeyDictionary()
)


def _word_shares(conn: sa.Connection) -> tuple[dict[str, float], float] | None:
    """(lexeme -> share of documents holding it, the share of a lexeme not listed), or None
    without statistics."""
    engine = conn.engine
    now = time.monotonic()
    cached = _frequencies.get(engine)
    if cached is None or now - cached[0] > _STATISTICS_SECONDS:
        row = conn.execute(_STATISTICS).first()
        shares: dict[str, float] = {}
        rest = 0.0
        if row is not None and row[0] and row[1]:
            # The last three numbers are the least and greatest shares and the NULL share.
            shares = dict(zip(row[0], row[1], strict=False))
            rest = min(row[1][: len(row[0])]) / 2  # as PostgreSQL's own estimates take it
        cached = (now, shares, rest)
        _frequencies[engine] = cached
    _, shares, rest = cached
    return (shares, rest) if shares else None


def _idf_from_statistics(conn: sa.Connection, words: list[str]) -> list[float] | None:
    """Each word's idf (Whoosh's 1 + ln(N / (df + 1)), N and df as shares), from the
    statistics; None without them, or for a word that is not one lexeme (a phrase, a
    prefix)."""
    found = _word_shares(conn)
    if found is None:
        return None
    shares, rest = found
    idf = []
    for word in words:
        single = single_lexeme(word)
        if not single:
            return None
        share = shares.get(single[0], rest)
        idf.append(1 + math.log(1 / max(share, 1e-6)))
    return idf


@dataclass(slots=True)
class Ranking:
    """Phase one's result: the candidates in their order, and for the any-word fallback the
    words (tsquery texts) each scored apart and their idf."""

    ids: list[int]
    words: list[str] = field(default_factory=list)
    idf: list[float] = field(default_factory=list)


_WEIGHTS: sa.ColumnElement[Any] = sa.literal_column(
    "'{" + ",".join(map(str, WEIGHTS)) + "}'::real[]"
)


def _rank(vector: sa.ColumnElement[Any], query: sa.ColumnElement[Any]) -> sa.ColumnElement[float]:
    return sa.func.ts_rank_cd(_WEIGHTS, vector, query, sa.literal_column(str(NORMALISATION)))


_LEAD = _rank(documents.c.rank_tsv, tsquery_param("rank_q"))


def words_scored_apart(compiled: Compiled) -> list[str]:
    """The words (and phrases) of an any-word query, each a tsquery text."""
    texts = [
        compiled.normalised[leaf]
        for leaf in syn.positive_leaves(compiled.tree)
        if target(leaf) == "tsv" and compiled.normalised.get(leaf)
    ]
    return list(dict.fromkeys(texts))


def phase_one_size(page: int, per_page: int) -> int:
    """How many candidates phase one keeps for a page: whole blocks of CANDIDATES, up to the
    one holding the page's last hit."""
    return ((page * per_page - 1) // CANDIDATES + 1) * CANDIDATES


def candidates(
    conn: sa.Connection,
    compiled: Compiled,
    cond: Condition,
    filters: Filters,
    limit: int,
    total: int,
    any_word: bool,
) -> Ranking:
    """Phase one: the ids of the best ``limit`` (phase_one_size) of the ``total`` matches."""
    assert compiled.rank is not None
    params = {**cond.params, **filters.params, "rank_q": compiled.rank, "limit": limit}
    words = words_scored_apart(compiled)
    if any_word and len(words) >= 2:
        return _any_word_candidates(conn, cond, filters, params, words)
    # The best of the matches that have the query in their title, note or lead (rank_tsv's
    # own GIN index finds them without reading the rows of the others), then, if they are
    # too few, the newest of the rest: each list in an order that does not depend on
    # ``limit``, so a deeper page's candidates begin with a shallower page's. rank_tsv holds
    # a part of what tsv holds, so a query of words and phrases that matches it matches tsv;
    # with a NOT, or a condition on something else (section:, tag:), the whole condition is
    # added.
    implied = _implied_by_lead(compiled)
    if implied or cond.shaped:
        best = _best_in_lead(filters.shape, implied)
    else:
        best = _best_in_lead_query(cond.clause, filters.clauses)
    ids = list(conn.execute(best, params).scalars())
    ranking = Ranking(ids)
    # Several words, every one required: phase two weighs each by its rarity, when the
    # planner's statistics say it (ts_rank_cd alone lets a common word in a title beat rare
    # words in a text).
    idf = _idf_from_statistics(conn, words) if len(words) >= 2 else None
    if idf is not None:
        ranking.words, ranking.idf = words, idf
    if len(ids) < min(limit, total):
        rest = (
            _rest_statement(filters.shape)
            if cond.shaped
            else _rest_query(cond.clause, filters.clauses)
        )
        ids += conn.execute(rest, {**params, "limit": limit - len(ids)}).scalars()
    return ranking


def _best_in_lead_query(
    where: sa.ColumnElement[bool] | None, filters: tuple[sa.ColumnElement[bool], ...]
) -> sa.Select[Any]:
    d = documents.c
    conditions = [_IN_LEAD, *filters] + ([where] if where is not None else [])
    return sa.select(d.link_id).where(*conditions).order_by(_LEAD.desc(), d.link_id).limit(_LIMIT)


@functools.lru_cache(maxsize=128)
def _best_in_lead(shape: tuple[str, ...], implied: bool) -> sa.Select[Any]:
    return _best_in_lead_query(None if implied else TSV_MATCH, filter_clauses(shape))


def _rest_query(
    where: sa.ColumnElement[bool], filters: tuple[sa.ColumnElement[bool], ...]
) -> sa.Select[Any]:
    # Ordered by an expression: by the column, the planner would walk the primary key
    # backwards and test each row's tsvector, read from TOAST, ~20 us a row.
    d = documents.c
    return (
        sa.select(d.link_id)
        .where(where, sa.not_(_IN_LEAD), *filters)
        .order_by((d.link_id + 0).desc())
        .limit(_LIMIT)
    )


@functools.lru_cache(maxsize=128)
def _rest_statement(shape: tuple[str, ...]) -> sa.Select[Any]:
    return _rest_query(TSV_MATCH, filter_clauses(shape))


def _implied_by_lead(compiled: Compiled) -> bool:
    """True when a document whose rank_tsv matches compiled.rank surely matches
    compiled.where: words and phrases only, all on tsv, none negated."""
    every = list(syn.leaves(compiled.tree))
    positive = list(syn.positive_leaves(compiled.tree))
    return len(every) == len(positive) and target_of(compiled.tree) == "tsv"


def _any_word_candidates(
    conn: sa.Connection,
    cond: Condition,
    filters: Filters,
    params: dict[str, Any],
    words: list[str],
) -> Ranking:
    """Phase one of the any-word fallback: each word's matches scored apart (module
    docstring)."""
    stmt = (
        _any_word_statement(len(words), filters.shape)
        if cond.shaped
        else _any_word_query(len(words), cond.clause, filters.clauses)
    )
    params = {**params, **{f"w_{i}": word for i, word in enumerate(words)}}
    ranking = Ranking([], words, [1.0] * len(words))
    for kind, key, value in conn.execute(stmt, params):
        if kind == 0:
            ranking.idf[key] = float(value)
        else:
            ranking.ids.append(key)
    return ranking


@functools.lru_cache(maxsize=128)
def _any_word_statement(words: int, shape: tuple[str, ...]) -> sa.CompoundSelect[Any]:
    return _any_word_query(words, TSV_MATCH, filter_clauses(shape))


def _any_word_query(
    words: int, where: sa.ColumnElement[bool], filters: tuple[sa.ColumnElement[bool], ...]
) -> sa.CompoundSelect[Any]:
    d = documents.c
    # Each word's matches (with the query's other conditions: NOT, filters), once.
    matches = sa.union_all(
        *(
            sa.select(
                d.link_id,
                sa.literal(i).label("word"),
                _rank(d.rank_tsv, tsquery_param(f"w_{i}")).label("lead"),
            ).where(d.tsv.op("@@")(tsquery_param(f"w_{i}")), where, *filters)
            for i in range(words)
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
        .limit(_LIMIT)
        .subquery("best")
    )
    return sa.union_all(
        sa.select(sa.literal(0).label("kind"), counts.c.word, sa.cast(idf, sa.Float)),
        sa.select(best.c.kind, best.c.key, best.c.value),
    )


def ranked_page(ranking: Ranking, compiled: Compiled, page: int, per_page: int) -> dict[str, Any]:
    """Phase two's parameters (ranked_top(len(ranking.words)) is its statement). Phase
    one's candidates are taken in blocks of CANDIDATES, each block ranked on the whole
    tsvector and the blocks kept in phase one's order: the order of a hit does not depend on
    which page asked, so pages never repeat or skip a hit, and a page reads the blocks it
    spans only."""
    assert compiled.rank is not None
    first, last = (page - 1) * per_page, page * per_page - 1
    start, stop = (first // CANDIDATES) * CANDIDATES, (last // CANDIDATES + 1) * CANDIDATES
    ids = ranking.ids[start:stop]
    params: dict[str, Any] = {
        "ids": ids,
        "blocks": [(start + i) // CANDIDATES for i in range(len(ids))],
        "rank_q": compiled.rank,
        "page_limit": per_page,
        "page_offset": first - start,
    }
    for i, (word, idf) in enumerate(zip(ranking.words, ranking.idf, strict=True)):
        params[f"w_{i}"], params[f"idf_{i}"] = word, idf
    return params


@functools.lru_cache(maxsize=32)
def ranked_top(words: int) -> sa.Subquery:
    """Phase two: (link_id, score, place) of the page's hits, the candidates of ranked_page's
    parameters ranked on their whole tsvector; ``words`` scored apart (0: rank_q)."""
    d = documents.c
    chosen = (
        sa.func.unnest(int_array_param("ids"), int_array_param("blocks"))
        .table_valued("link_id", "block")
        .render_derived(name="chosen")
    )
    # OFFSET 0 keeps PostgreSQL from merging this into the outer query, so `v` is computed
    # once per candidate: `tsv || ''` is the tsvector read from TOAST once, in memory, which
    # each ts_rank_cd() below then reads (a column itself would be read again by each call).
    read = (
        sa.select(
            d.link_id,
            chosen.c.block,
            d.tsv.op("||")(sa.cast(sa.literal(""), TSVECTOR)).label("v"),
        )
        .join_from(chosen, documents, d.link_id == chosen.c.link_id)
        .offset(0)
        .subquery("candidates")
    )
    score: sa.ColumnElement[Any]
    if words:
        score = sum(
            (
                sa.bindparam(f"idf_{i}", type_=REAL) * _rank(read.c.v, tsquery_param(f"w_{i}"))
                for i in range(words)
            ),
            start=sa.literal(0.0),
        )
    else:
        score = _rank(read.c.v, tsquery_param("rank_q"))
    order = [read.c.block, score.desc(), read.c.link_id]
    return (
        sa.select(
            read.c.link_id,
            score.label("score"),
            sa.func.row_number().over(order_by=order).label("place"),
        )
        .order_by(*order)
        .limit(sa.bindparam("page_limit", type_=sa.Integer))
        .offset(sa.bindparam("page_offset", type_=sa.Integer))
        .subquery("top")
    )
