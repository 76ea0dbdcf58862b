"""The PostgreSQL search backend on a real PostgreSQL: hostile queries, bad parameters,
facets, filters, escaping, suggestions and the time limit. (test_postgres_parity.py has the
documented syntax on both backends, test_postgres_writing.py writing and rebuilding.)"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.postgres import PostgresServer
from index import (
    QueryError,
    SearchPage,
    SearchQuery,
)
from index import _syntax as syn
from index.postgres import PostgresSearch
from tests.index._helpers import day, index_all, postgres_engine, record
from tests.index.test_malformed import CASES, ERROR, QUERY_ALPHABET

FIXTURE_ROWS = [
    record(1, title="Quote", text="A quote and a paren, one quote more."),
    record(2, title="Other", text="Nothing to see: ok status, domain words."),
]


# -- hostile input --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searchable(postgres_server: PostgresServer) -> Iterator[PostgresSearch]:
    engine = postgres_engine(postgres_server)
    pg = PostgresSearch(engine)
    index_all(pg, FIXTURE_ROWS)
    yield pg
    engine.dispose()


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_malformed_queries_as_on_whoosh(
    searchable: PostgresSearch, text: str, expected: object
) -> None:
    if expected == ERROR:
        with pytest.raises(QueryError):
            searchable.search(SearchQuery(text))
        return
    page = searchable.search(SearchQuery(text))
    if expected is not None:
        assert sorted(hit.id for hit in page.hits) == expected


@pytest.mark.parametrize(
    "text",
    [
        "'",
        "''",
        "quote'",
        "'quote' & 'paren'",
        "quote:*",
        "quote:A",
        "quote <-> paren",
        "quote <2> paren",
        "!quote",
        "quote | paren",
        "\\",
        "quote\\",
        "\\'quote",
        "quote\\:* & !",
        "title:'quote'",
        'title:"quote\\"',
        "domain:'; DROP TABLE search_documents; --",
        "section:'\\\\",
        "tag:'; DROP TABLE search_documents; --",
        "tag:\"'{}\\\" -tag:'",
        "tag:quote\u0000 tag:\ue000",
        "quote:::paren",
        "::::",
        ":*",
        "%_quote%",
        "quote\u0000paren",
        "qu\u0301ote",
        "ǫuote 𝔮𝔲𝔬𝔱𝔢 ＱＵＯＴＥ",
        "\ue000quote\ue001",
        "\ud800quote",
        "$$ quote $$",
        "quote" + "*" * 10,
        "(" * 200 + "quote" + ")" * 200,
        "NOT " * 100 + "quote",
        '"' * 101,
    ],
)
def test_hostile_queries_give_a_page_or_a_query_error(
    searchable: PostgresSearch, text: str
) -> None:
    try:
        page = searchable.search(SearchQuery(text))
    except QueryError as exc:
        assert str(exc)
    else:
        assert isinstance(page, SearchPage)
    assert searchable.doc_count() == 2  # nothing was dropped


def test_a_ten_thousand_character_query_is_a_clear_query_error(searchable: PostgresSearch) -> None:
    with pytest.raises(QueryError, match="too long: at most 500 characters"):
        searchable.search(SearchQuery("quote" * 2000))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(QUERY_ALPHABET | st.sampled_from(["'", "&", "|", "!", "<->", ":*", "\\"]))
        .map("".join)
        .filter(lambda s: len(s) < 200),
    )
)
def test_fuzzed_queries_never_reach_the_database_as_errors(
    searchable: PostgresSearch, text: str
) -> None:
    try:
        page = searchable.search(SearchQuery(text))
    except QueryError as exc:
        assert "could not be run" not in str(exc)  # the catch-all: a bug
    else:
        assert page.total >= len(page.hits)


def test_bad_parameters_as_on_whoosh(searchable: PostgresSearch) -> None:
    for bad in ({"page": 0}, {"per_page": 1000}, {"sort": "size"}, {"snippet_chars": 5}):
        with pytest.raises(QueryError):
            searchable.search(SearchQuery("quote", **bad))  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="date_from is after date_to"):
        searchable.search(SearchQuery("quote", date_from=day(5), date_to=day(1)))


# -- results ----------------------------------------------------------------------------------


def test_facets_count_the_whole_result_set_and_filters_narrow_it(pg: PostgresSearch) -> None:
    index_all(
        pg,
        [
            record(
                n,
                text=f"shared word {n}",
                section=("A", "B", None)[n % 3],
                domain=("a.org", "b.org")[n % 2],
                archived_at=day(n) if n % 5 else None,
                published=day(100 - n),
            )
            for n in range(1, 31)
        ],
    )
    page = pg.search(SearchQuery("shared", per_page=1))
    assert page.total == 30 and len(page.hits) == 1
    assert page.facets == {
        "section": {"A": 10, "B": 10},
        "domain": {"a.org": 15, "b.org": 15},
        "tag": {},
    }
    assert pg.search(SearchQuery("shared", section="A")).total == 10
    assert pg.search(SearchQuery("shared", domain=" B.ORG ")).total == 15
    dated = pg.search(SearchQuery("shared", date_from=day(1), date_to=day(10)))
    assert dated.total == 8  # 5 and 10 have no archived_at
    naive = pg.search(SearchQuery("shared", date_from=datetime(2024, 1, 2), date_to=day(10)))
    assert naive.total == 8
    published = pg.search(
        SearchQuery("shared", date_field="published", date_from=day(95), per_page=50)
    )
    assert sorted(hit.id for hit in published.hits) == [1, 2, 3, 4, 5]
    newest = pg.search(SearchQuery("shared", sort="date", per_page=30))
    dates = [hit.archived_at for hit in newest.hits]
    assert dates[:24] == sorted(dates[:24], reverse=True)  # type: ignore[type-var]
    assert dates[24:] == [None] * 6  # without a date: last
    assert all(hit.score == 0 for hit in newest.hits)
    pages = [pg.search(SearchQuery("shared", page=n, per_page=7)).hits for n in (1, 2, 3, 4, 5)]
    seen = [hit.id for hits in pages for hit in hits]
    assert sorted(seen) == list(range(1, 31))
    assert pg.search(SearchQuery("shared", section="A\x00")).total == 0
    hit = newest.hits[0]
    assert hit.archived_at is not None and hit.archived_at.tzinfo is not None


def test_snippets_are_escaped_marked_and_cannot_be_forged(pg: PostgresSearch) -> None:
    hostile = (
        "Intro words here. <script>alert(1)</script> sits by xssprobe & <img src=x "
        "onerror=alert(1)> too, \ue000forged\ue001 <b>bold</b> xssprobe again.\n\nEnd."
    )
    index_all(pg, [record(1, title="<b>Title</b> xssprobe", text=hostile)])
    hit = pg.search(SearchQuery("xssprobe")).hits[0]
    assert "<mark>xssprobe</mark>" in hit.snippet
    assert "&lt;/script&gt;" in hit.snippet
    assert "&amp;" in hit.snippet and "&lt;img" in hit.snippet
    assert hit.snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "<mark>forged</mark>" not in hit.snippet
    assert hit.title == "<b>Title</b> xssprobe"  # plain text: the caller escapes it
    # Words inside what looks like markup are indexed, as on Whoosh.
    assert pg.search(SearchQuery("onerror")).total == 1
    title_only = pg.search(SearchQuery("title:title")).hits[0]
    assert title_only.snippet.startswith("Intro words here. &lt;script&gt;")


def test_a_misspelling_gets_a_suggestion_and_a_prefix_has_limits(pg: PostgresSearch) -> None:
    words = " ".join(f"pre{i:04d}x" for i in range(syn.MAX_PREFIX_EXPANSIONS + 5))
    index_all(
        pg,
        [
            record(1, text="The CPython interpreter and its interpreters."),
            record(2, text=words),
        ],
    )
    page = pg.search(SearchQuery("interpretr"))
    assert page.total == 0 and page.suggestion == "interpreter"
    with pytest.raises(QueryError, match="too many words"):
        pg.search(SearchQuery("pre*"))
    assert pg.search(SearchQuery("pre0001*")).total == 1
    with pytest.raises(QueryError, match="at least 3 letters"):
        pg.search(SearchQuery("in*"))
    with pytest.raises(QueryError, match="too many words"):
        pg.search(SearchQuery(" ".join(f"word{i}" for i in range(40))))


def test_the_time_limit_gives_a_partial_page_not_an_error(postgres_server: PostgresServer) -> None:
    engine = postgres_engine(postgres_server)
    try:
        hurried = PostgresSearch(engine, search_time_limit=0.000001)
        index_all(hurried, [record(1, text="quote")])
        page = hurried.search(SearchQuery("quote"))
        assert page.timed_out and page.hits == []
    finally:
        engine.dispose()
