"""Running one SearchQuery on PostgreSQL: count and facets, a page of hits with snippets.

One read-only REPEATABLE READ transaction, so the total, the facets and the page come from
the same snapshot (as a Whoosh searcher is one snapshot). The statements: normalise the
query's words; count the matches grouped by section, by domain and by set of tags
(GROUPING SETS: the total and all three facets in one pass over the GIN index's matches);
phase one of the ranking, the candidates (index/postgres/_rank.py, one or two statements);
then the page: the candidates ranked on their whole text, and only the page's rows get
ts_headline(). Statements are built once per shape (index/postgres/_clauses.py).
PostgreSQL cannot stop part-way and say what it found so far, so the time limit is a
statement_timeout: what was finished is returned with timed_out=True.
"""

from __future__ import annotations

import functools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError

from index import _syntax as syn
from index._errors import QueryError
from index._request import FACETS, SUGGEST_BELOW, as_utc, check, empty_page
from index._types import SearchHit, SearchPage, SearchQuery
from index.postgres._clauses import (
    TSV_MATCH,
    Condition,
    Filters,
    condition,
    filter_clauses,
    search_filters,
    tsquery_param,
)
from index.postgres._query import Compiled, check_prefixes, compile_tree
from index.postgres._rank import candidates, phase_one_size, ranked_page, ranked_top
from index.postgres._snippets import EDGE_CHARS, headline_options, make_snippet
from index.postgres._suggest import suggest
from index.postgres._tables import DOT, LT, SLASH, TEXT_CONFIG, documents

_QUERY_CANCELED = "57014"
# Snippets come from this much of the text around the first match (see _window): room for
# the snippet's passages (snippet_chars, 200 by default) and some more matches.
WINDOW_CHARS, WINDOW_BEFORE = 1_000, 250
# Tags are grouped by each document's whole set of them (few distinct sets), counted per tag
# in Python: one pass over the matches for the total and every facet, as on Whoosh.
_FACET_GROUPS = sa.text(
    "GROUPING SETS ((search_documents.section), (search_documents.domain), "
    "(search_documents.tag_keys), ())"
)
# For this transaction: the time limit; stop-word notices from to_tsquery() are expected, not
# news; the planner does not count the cost of reading each document's tsvector (stored
# apart, TOAST), so on a small table it scans them all rather than asking the GIN index; and
# a plan is made for each query's own words (psycopg prepares statements run often, and a
# generic plan cannot tell a rare word from a common one).
_SESSION = sa.text(
    "SELECT set_config('statement_timeout', :ms, true), "
    "set_config('client_min_messages', 'warning', true), "
    "set_config('enable_seqscan', 'off', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true)"
)


class TimedOut(Exception):
    """The time limit ran out (statement_timeout, or nothing left of it)."""


@dataclass(slots=True)
class _Matches:
    total: int = 0
    facets: dict[str, dict[str, int]] = field(default_factory=lambda: {f: {} for f in FACETS})


def run(engine: sa.Engine, sq: SearchQuery, time_limit: float) -> SearchPage:
    started = time.perf_counter()
    deadline = time.monotonic() + time_limit
    check(sq)
    text = syn.clean(sq.text)
    tree = syn.parse(text)
    page = empty_page(sq)
    if tree is not None:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin() as transaction:
                try:
                    _run(conn, sq, text, tree, page, deadline)
                except TimedOut:
                    page.timed_out = True
                except DBAPIError as exc:
                    if getattr(exc.orig, "sqlstate", None) != _QUERY_CANCELED:
                        raise
                    page.timed_out = True  # statement_timeout: what is done so far stands
                transaction.rollback()  # read only; and the transaction may be aborted
    page.elapsed_ms = (time.perf_counter() - started) * 1000
    return page


def _run(
    conn: sa.Connection,
    sq: SearchQuery,
    text: str,
    tree: syn.Node,
    page: SearchPage,
    deadline: float,
) -> None:
    # One timeout for each statement (one round trip less per statement than resetting it
    # each time); between statements the deadline is checked here.
    conn.execute(_SESSION, {"ms": str(max(1, int((deadline - time.monotonic()) * 1000)))})
    compiled = compile_tree(conn, tree)
    if compiled is None or not compiled.searchable:
        return
    check_prefixes(conn, compiled)
    filters = search_filters(sq)
    used, cond = compiled, condition(compiled)
    _budget(deadline)
    found = _count(conn, cond, filters)
    if found.total == 0:
        # Every word is required first; when that finds nothing, any word will do.
        any_tree = syn.parse(text, any_word=True)
        if any_tree is not None and any_tree != tree:
            alt = compile_tree(conn, any_tree, compiled.normalised)
            if alt is not None and alt.searchable:
                _budget(deadline)
                alt_cond = condition(alt)
                alt_found = _count(conn, alt_cond, filters)
                if alt_found.total:
                    found, used, cond, page.fallback_or = alt_found, alt, alt_cond, True
    page.total, page.facets = found.total, found.facets
    _budget(deadline)
    page.hits = _hits(conn, used, cond, filters, sq, found.total, page.fallback_or)
    if found.total < SUGGEST_BELOW and time.monotonic() < deadline:

        def count(corrected: str) -> int | None:
            try:
                fixed = compile_tree(conn, syn.parse(corrected))
            except QueryError:
                return None
            if fixed is None or not fixed.searchable:
                return None
            return _count(conn, condition(fixed), filters).total

        page.suggestion = suggest(conn, text, used.tree, used.normalised, count, found.total)


def _budget(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise TimedOut


def _count(conn: sa.Connection, cond: Condition, filters: Filters) -> _Matches:
    stmt = (
        _count_statement(filters.shape)
        if cond.shaped
        else _count_query(cond.clause, filters.clauses)
    )
    rows = conn.execute(stmt, {**cond.params, **filters.params})
    found = _Matches()
    tag_counts: Counter[str] = Counter()
    for name, host, keys, no_section, no_domain, no_tags, n in rows:
        if no_section and no_domain and no_tags:
            found.total = n
        elif not no_section and name:
            found.facets["section"][name] = n
        elif not no_domain and host:
            found.facets["domain"][host] = n
        elif not no_tags:
            # A group is one combination of tags: each of them counts its documents.
            for key in keys or ():
                tag_counts[key] += n
    found.facets["tag"] = dict(tag_counts)
    found.facets = {
        key: dict(sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0])))
        for key, bucket in found.facets.items()
    }
    return found


@functools.lru_cache(maxsize=128)
def _count_statement(shape: tuple[str, ...]) -> sa.Select[Any]:
    return _count_query(TSV_MATCH, filter_clauses(shape))


def _count_query(
    where: sa.ColumnElement[bool], filters: tuple[sa.ColumnElement[bool], ...]
) -> sa.Select[Any]:
    d = documents.c
    section, domain, tags = d.section, d.domain, d.tag_keys
    return (
        sa.select(
            section,
            domain,
            tags,
            sa.func.grouping(section),
            sa.func.grouping(domain),
            sa.func.grouping(tags),
            sa.func.count(),
        )
        .where(where, *filters)
        .group_by(_FACET_GROUPS)
    )


def _window(anchors: bool) -> sa.ColumnElement[str]:
    """The part of the text ts_headline() reads: ``window`` characters from a little before
    the first occurrence of a query word (or of its stem; the ``anchors`` parameter).
    ts_headline() parses and stems every word it is given, ~0.5 ms per KB: the whole of each
    hit's text would cost more than the search, and seconds for a book-length PDF. Passages
    come from the window only; when it holds no match (a stem found inside another word
    first), the snippet is the start of the text."""
    d = documents.c
    size = sa.bindparam("window", type_=sa.Integer)
    if not anchors:
        return sa.func.left(d.body, size)
    words = sa.func.unnest(sa.cast(sa.bindparam("anchors", type_=ARRAY(sa.Text)), ARRAY(sa.Text)))
    word = words.column_valued("anchor")
    # Case-sensitive, as written and capitalised: lower() of the whole text costs more.
    found = sa.func.nullif(sa.func.strpos(d.body, word), 0)
    first = sa.select(sa.func.min(found)).scalar_subquery()
    start = sa.func.greatest(sa.func.coalesce(first, 1) - WINDOW_BEFORE, 1)
    return sa.func.substr(d.body, start, size)


def _hits(
    conn: sa.Connection,
    compiled: Compiled,
    cond: Condition,
    filters: Filters,
    sq: SearchQuery,
    total: int,
    any_word: bool,
) -> list[SearchHit]:
    snippets = bool(compiled.highlight and sq.snippet_fragments)
    anchors = snippets and bool(compiled.anchors)
    params: dict[str, Any] = {}
    if snippets:
        params["highlight_q"] = compiled.highlight
        params["window"] = max(WINDOW_CHARS, 2 * sq.snippet_chars)
        params["headline_options"] = headline_options(sq.snippet_fragments, sq.snippet_chars)
        if anchors:
            params["anchors"] = compiled.anchors
    stmt: sa.Select[Any]
    if sq.sort == "date" or not compiled.rank:
        params.update(cond.params, **filters.params)
        params["page_limit"], params["page_offset"] = sq.per_page, (sq.page - 1) * sq.per_page
        by_date = sq.date_field if sq.sort == "date" else None
        if cond.shaped:
            stmt = _unranked_page(filters.shape, by_date, snippets, anchors)
        else:
            top = _unranked_top(cond.clause, filters.clauses, by_date)
            stmt = _page_query(top, snippets, anchors)
    else:
        wanted = phase_one_size(sq.page, sq.per_page)
        ranking = candidates(conn, compiled, cond, filters, wanted, total, any_word)
        params.update(ranked_page(ranking, compiled, sq.page, sq.per_page))
        stmt = _ranked_page(len(ranking.words), snippets, anchors)
    return [
        SearchHit(
            id=row.link_id,
            url=row.url,
            title=row.title,
            snippet=make_snippet(row.headline, row.start, row.end, sq.snippet_chars),
            section=row.section or None,
            domain=row.domain,
            status=row.status,
            score=float(row.score or 0.0),
            archived_at=as_utc(row.archived_at),
            published=as_utc(row.published),
            tags=list(row.tags or []),
            note=row.note or None,
        )
        for row in conn.execute(stmt, params)
    ]


@functools.lru_cache(maxsize=64)
def _ranked_page(words: int, snippets: bool, anchors: bool) -> sa.Select[Any]:
    return _page_query(ranked_top(words), snippets, anchors)


@functools.lru_cache(maxsize=128)
def _unranked_page(
    shape: tuple[str, ...], by_date: str | None, snippets: bool, anchors: bool
) -> sa.Select[Any]:
    top = _unranked_top(TSV_MATCH, filter_clauses(shape), by_date)
    return _page_query(top, snippets, anchors)


def _unranked_top(
    where: sa.ColumnElement[bool],
    filters: tuple[sa.ColumnElement[bool], ...],
    by_date: str | None,
) -> sa.Subquery:
    """(link_id, score 0, place) of the page's hits: newest first by ``by_date``, or in the
    order of their ids (a query with nothing to rank: only section:, domain:, tag:)."""
    d = documents.c
    order = [d[by_date].desc().nulls_last(), d.link_id] if by_date else [d.link_id]
    return (
        sa.select(
            d.link_id,
            sa.literal_column("0.0").label("score"),
            sa.func.row_number().over(order_by=order).label("place"),
        )
        .where(where, *filters)
        .order_by(*order)
        .limit(sa.bindparam("page_limit", type_=sa.Integer))
        .offset(sa.bindparam("page_offset", type_=sa.Integer))
        .subquery("top")
    )


def _page_query(top: sa.Subquery, snippets: bool, anchors: bool) -> sa.Select[Any]:
    """The page's rows, in ``top``'s order, with their snippets' headlines."""
    d = documents.c
    headline: sa.ColumnElement[Any] = sa.null()
    if snippets:
        headline = sa.func.ts_headline(
            sa.literal_column(f"'{TEXT_CONFIG}'::regconfig"),
            sa.func.translate(_window(anchors), "<./", LT + DOT + SLASH),
            tsquery_param("highlight_q"),
            sa.bindparam("headline_options", type_=sa.Text),
        )
    return (
        sa.select(
            top.c.score,
            d.link_id,
            d.url,
            d.title,
            d.section,
            d.domain,
            d.status,
            d.archived_at,
            d.published,
            d.tags,
            d.note,
            headline.label("headline"),
            sa.func.left(d.body, EDGE_CHARS).label("start"),
            sa.func.right(d.body, EDGE_CHARS).label("end"),
        )
        .join_from(top, documents, top.c.link_id == d.link_id)
        .order_by(top.c.place)
    )
