"""The PostgreSQL search backend on a real PostgreSQL: the query language mapped onto tsquery,
hostile queries, facets, filters, escaping, huge documents, writing and rebuilding; and the
same answers as the Whoosh index for the documented syntax."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver import Store, make_engine
from archiver.models import Link
from bench.postgres import PostgresServer
from index import (
    IndexLocked,
    IndexRecord,
    QueryError,
    SearchIndex,
    SearchPage,
    SearchQuery,
    inspect_backend,
    open_search_backend,
)
from index import _syntax as syn
from index.postgres import PostgresSearch
from index.postgres._query import compile_tree
from index.postgres._writer import LOCK_KEY
from tests.index._helpers import day, record
from tests.index.test_malformed import CASES, ERROR, QUERY_ALPHABET

FIXTURE_ROWS = [
    record(1, title="Quote", text="A quote and a paren, one quote more."),
    record(2, title="Other", text="Nothing to see: ok status, domain words."),
]


def versioned(link_id: int, version: str, **fields: object) -> IndexRecord:
    return replace(record(link_id, **fields), version=version)  # type: ignore[arg-type]


def _engine(server: PostgresServer) -> sa.Engine:
    engine = make_engine(server.database())
    Store(engine).create_schema()  # type: ignore[call-arg]
    return engine


def add_links(engine: sa.Engine, ids: Iterable[int]) -> None:
    """search_documents.link_id references links: the links come first."""
    with Store(engine).session() as session:  # type: ignore[call-arg]
        for link_id in ids:
            url = f"https://example.com/{link_id}"
            session.add(Link(id=link_id, url=url, normalized_url=url))


def index_all(backend: PostgresSearch, records: Iterable[IndexRecord]) -> None:
    records = list(records)
    add_links(backend.engine, [r.id for r in records])
    with backend.writer() as writer:
        for r in records:
            writer.add(r)


@pytest.fixture
def pg(postgres_server: PostgresServer) -> Iterator[PostgresSearch]:
    """An empty backend in a database of its own."""
    engine = _engine(postgres_server)
    yield PostgresSearch(engine, lock_timeout=2.0)
    engine.dispose()


# -- the documented syntax, the same on both backends ----------------------------------------

INTERPRETERS, TOOLS, DOCS = "Interpreters", "Memory tools", "docs.python.org"
CORPUS = [
    record(1, title="Python internals", text="The garbage collector and reference counting."),
    record(2, title="Rust memory", text="Rust has no garbage collector; it uses ownership."),
    record(3, title="Go memory model", text="The Go collector and goroutines, memory barriers."),
    record(4, title="Threads", text="Threads and the GIL in CPython.", section=INTERPRETERS),
    record(5, title="Parsing", text="Parsers, parsing and a parser generator.", domain=DOCS),
    record(6, title="Collector of garbage", text="A title phrase: collector.", section=TOOLS),
    record(7, title="GIL removal", text="No more global interpreter lock in threads.", domain=DOCS),
]

SYNTAX_QUERIES = [
    ("python internals", [1]),
    ("garbage collector", [1, 2, 6]),
    ('"garbage collector"', [1, 2]),
    ("collector -rust", [1, 3, 6]),
    ("collector NOT rust", [1, 3, 6]),
    ("rust OR go", [2, 3]),
    ("(rust OR go) memory", [2, 3]),
    ("rust OR go memory", [2, 3]),
    ("collector OR threads gil", [4, 7]),
    ("threads OR gil AND removal", [4, 7]),
    ("pars*", [5]),
    ("title:gil", [7]),
    ("text:gil", [4]),
    ("title:(rust memory)", [2]),
    ('title:"collector of garbage"', [6]),
    ("section:tools", [6]),
    ("section:interpreters threads", [4]),
    ("domain:docs.python.org", [5, 7]),
    ("domain:DOCS.python.org parser", [5]),
    ("-title:gil threads", [4]),
    ("gil -", [4, 7]),
    ("collector (rust OR go) -memory", [1, 6]),  # no page has all: any word
    ("the collector", [1, 2, 3, 6]),
]


@pytest.fixture(scope="module")
def both(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SearchIndex, PostgresSearch]]:
    whoosh = SearchIndex(Path(tmp_path_factory.mktemp("syntax")) / "index")
    with whoosh.writer() as writer:
        for r in CORPUS:
            writer.add(r)
    engine = _engine(postgres_server)
    pg = PostgresSearch(engine)
    index_all(pg, CORPUS)
    yield whoosh, pg
    whoosh.close()
    engine.dispose()


@pytest.mark.parametrize(("query", "expected"), SYNTAX_QUERIES, ids=[q for q, _ in SYNTAX_QUERIES])
def test_the_documented_syntax_means_the_same_on_both_backends(
    both: tuple[SearchIndex, PostgresSearch], query: str, expected: list[int]
) -> None:
    for backend in both:
        page = backend.search(SearchQuery(query, per_page=50))
        assert sorted(hit.id for hit in page.hits) == expected, (type(backend).__name__, query)
        assert page.total == len(expected)


def test_queries_become_these_tsqueries(both: tuple[SearchIndex, PostgresSearch]) -> None:
    _, pg = both
    cases = {
        "title:gil": "('gil':A)",
        "text:gil": "('gil':B)",
        "pars*": "('par':*)",
        "title:pars*": "('par':*A)",
        '"garbage collector"': "('garbag':A <-> 'collector':A | 'garbag':B <-> 'collector':B)",
        '"garbage the collector"': "('garbag':A <2> 'collector':A | 'garbag':B <2> 'collector':B)",
        "gil -rust": "(('gil') & !('rust'))",
        "rust OR go memory": "((('rust') | ('go')) & ('memori'))",
        "the rust": "('rust')",
        "x-ray": "(('x') & ('ray'))",
    }  # fmt: skip
    with pg.engine.connect() as conn:
        for query, expected in cases.items():
            compiled = compile_tree(conn, syn.parse(syn.clean(query)))
            assert compiled is not None
            assert compiled.rank == expected, query


def test_ranking_puts_title_matches_first_and_date_sort_newest_first(
    both: tuple[SearchIndex, PostgresSearch],
) -> None:
    _, pg = both
    page = pg.search(SearchQuery("collector"))
    assert page.hits[0].id == 6  # in the title
    assert all(hit.score > 0 for hit in page.hits)


# -- hostile input --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def searchable(postgres_server: PostgresServer) -> Iterator[PostgresSearch]:
    engine = _engine(postgres_server)
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
    assert page.facets == {"section": {"A": 10, "B": 10}, "domain": {"a.org": 15, "b.org": 15}}
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
    engine = _engine(postgres_server)
    try:
        hurried = PostgresSearch(engine, search_time_limit=0.000001)
        index_all(hurried, [record(1, text="quote")])
        page = hurried.search(SearchQuery("quote"))
        assert page.timed_out and page.hits == []
    finally:
        engine.dispose()


# -- writing ----------------------------------------------------------------------------------


def test_huge_and_odd_documents_never_fail_a_write(pg: PostgresSearch) -> None:
    # Distinct words: their tsvector is far past PostgreSQL's 1 MB limit.
    huge = "needle " + " ".join(f"w{i:07d}q{i * 7919 % 100_003}" for i in range(150_000))
    records = [
        record(1, text=huge),
        record(2, title="T" * 300_000 + " needle", text="nul\x00byte needle"),
        record(3, text=("lorem ipsum " * 200_000) + " needle"),  # 2.4 MB, few words
        record(4, text="needle " + "x" * 5000),  # a 5,000-letter "word"
    ]
    index_all(pg, records)
    assert pg.doc_count() == 4
    found = pg.search(SearchQuery("needle", per_page=10))
    assert sorted(hit.id for hit in found.hits) == [1, 2, 4]  # 3: past the first 1M chars
    assert pg.search(SearchQuery("w0000001q7919")).total == 1
    assert pg.search(SearchQuery("nul byte")).total == 1


def test_writer_batches_last_change_wins_and_cancel_drops(pg: PostgresSearch) -> None:
    add_links(pg.engine, range(1, 6))
    with pg.writer(batch_size=2) as writer:
        writer.add(versioned(1, "a", text="first alpha"))
        writer.add(versioned(1, "b", text="second beta"))
        writer.add(record(2, text="alpha"))
        writer.add(record(3, text="alpha"))  # a batch of 2 was written
        writer.delete(3)
    assert pg.indexed_versions() == {1: "b", 2: ""}
    assert pg.search(SearchQuery("alpha")).total == 1
    with pytest.raises(RuntimeError), pg.writer() as writer:
        writer.add(record(4, text="alpha"))
        raise RuntimeError
    assert pg.indexed_ids() == {1, 2}
    with pg.writer() as writer:
        writer.add(record(99, text="alpha"))  # its link does not exist: skipped
        writer.add(record(5, text="alpha"))
    assert pg.indexed_ids() == {1, 2, 5}


def test_rebuild_replaces_everything_and_keeps_the_first_of_repeated_ids(
    pg: PostgresSearch,
) -> None:
    index_all(pg, [record(1, text="old words"), record(2, text="old words")])
    add_links(pg.engine, [3])
    count = pg.rebuild(
        [record(3, text="new words"), record(3, text="other"), record(1, text="new")]
    )
    assert count == 2
    assert pg.indexed_ids() == {1, 3}
    assert pg.search(SearchQuery("old")).total == 0
    assert pg.search(SearchQuery("other")).total == 0
    assert pg.search(SearchQuery("new")).total == 2


def test_a_second_writer_waits_for_the_lock_then_gives_up(pg: PostgresSearch) -> None:
    add_links(pg.engine, [1])
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pg.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(10)
        with pytest.raises(IndexLocked, match="1 document"), pg.writer() as writer:
            writer.add(record(1, text="words"))
    finally:
        release.set()
        holder.join()
    assert pg.search(SearchQuery("words")).total == 0


def test_the_factory_and_check_helpers(pg: PostgresSearch, tmp_path: Path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="LINKVAULT_DATABASE_URL to be a PostgreSQL"):
        open_search_backend("postgres", engine=sqlite)
    with pytest.raises(ValueError, match="Unknown search backend"):
        open_search_backend("elastic", engine=pg.engine)
    assert open_search_backend("postgres", engine=pg.engine).name == "postgres"
    index_all(pg, [versioned(7, "v7", text="words")])
    health = inspect_backend("postgres", engine=pg.engine)
    assert health.readable and health.versions == {7: "v7"} and not health.leftovers
    assert pg.size_bytes() > 0
    with pg.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE search_documents RENAME TO moved"))
    assert "linkvault migrate" in (inspect_backend("postgres", engine=pg.engine).problem or "")


def test_dates_come_back_in_utc(pg: PostgresSearch) -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    index_all(pg, [record(1, text="dated", archived_at=when.replace(tzinfo=None))])
    assert pg.search(SearchQuery("dated")).hits[0].archived_at == when
