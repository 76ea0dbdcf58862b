"""The documented query syntax gives the same answers on PostgreSQL as on the Whoosh index,
and becomes these tsqueries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.postgres import PostgresServer
from index import (
    SearchIndex,
    SearchQuery,
)
from index import _syntax as syn
from index.postgres import PostgresSearch
from index.postgres._query import compile_tree
from tests.index._helpers import both_backends, record

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
    with both_backends(CORPUS, tmp_path_factory.mktemp("syntax"), postgres_server) as opened:
        yield opened


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
        '"garbage collector"': (
            "('garbag':A <-> 'collector':A | 'garbag':B <-> 'collector':B"
            " | 'garbag':C <-> 'collector':C)"
        ),
        '"garbage the collector"': (  # stop words are indexed: phrases keep them
            "('garbag':A <-> 'the':A <-> 'collector':A | 'garbag':B <-> 'the':B <-> "
            "'collector':B | 'garbag':C <-> 'the':C <-> 'collector':C)"
        ),
        "gil -rust": "(('gil') & !('rust'))",
        "rust OR go memory": "((('rust') | ('go')) & ('memori'))",
        "the rust": "('rust')",
        "x-ray": "('ray')",  # one-letter words are not searched, as on Whoosh
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
