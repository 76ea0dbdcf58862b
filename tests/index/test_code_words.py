"""Code words (issue 14): identifiers are found by their parts, whole and spaced, on both
backends alike; the whole identifier ranks its page first; phrases stay exact; snippets mark
the identifier."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bench.postgres import PostgresServer
from index import SearchIndex, SearchQuery
from index._codewords import code_words, joined, slots
from index._syntax import WORD
from index.postgres import PostgresSearch
from index.whoosh._analysis import index_terms, text_analyzer
from tests.index._helpers import both_backends, record

CEVAL, SIZEOF, APPEND, SPACED, MODULE = 1, 2, 3, 4, 5
CORPUS = [
    record(
        CEVAL,
        title="How the interpreter loop works",
        text="The evaluation loop lives in Python/ceval.c, where LOAD_FAST pushes a local "
        "variable onto the stack.",
    ),
    record(
        SIZEOF,
        title="Measuring objects",
        text="Call sys.getsizeof on an object to get its size in bytes, without referents.",
    ),
    record(
        APPEND,
        title="List internals",
        text="The helper _PyList_AppendTakeRef steals the reference it is given.",
    ),
    # The same words as the identifiers, written apart.
    record(
        SPACED,
        title="Data in bulk",
        text="Some loaders load quickly; the fast path skips the cache. The getsizeof "
        "function comes from the sys module.",
    ),
    record(MODULE, title="Python modules", text="Modules in Python are objects too."),
]

# query -> the pages it finds, best first where the order is asserted (see below).
PROBES = [
    ("ceval", [CEVAL]),  # a part of a path
    ("ceval.c", [CEVAL]),  # a dotted part of it
    ("Python/ceval.c", [CEVAL]),  # the whole path
    ("sys.getsizeof", [SIZEOF]),  # the whole dotted name: only the page that has it
    ("getsizeof", [SIZEOF, SPACED]),  # a part
    ("LOAD_FAST", [CEVAL]),  # the whole snake_case name
    ("load_fast", [CEVAL]),
    # The spaced form, every word required; the page with the name first (Whoosh: its joined
    # form `loadfast` is an optional extra; PostgreSQL: words side by side rank higher).
    ("load fast", [CEVAL, SPACED]),
    ("_PyList_AppendTakeRef", [APPEND]),
    ("PyList_AppendTakeRef", [APPEND]),  # without the leading underscore
    ("pylist", [APPEND]),  # a segment
    ("appendtakeref", [APPEND]),  # a CamelCase segment whole
    ("append", [APPEND]),  # a CamelCase part
    ("take ref", [APPEND]),
    ('"load fast"', [CEVAL]),  # a phrase of the parts
    ('"LOAD_FAST pushes"', [CEVAL]),  # a phrase with an identifier in it
    ('"sys.getsizeof"', [SIZEOF]),
    ('"Call sys.getsizeof"', [SIZEOF]),
    ('"getsizeof function"', [SPACED]),  # plain phrases stay exact
    ('"fast load"', []),
    ("title:interpreter ceval", [CEVAL]),
]


@pytest.fixture(scope="module")
def both(
    postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SearchIndex, PostgresSearch]]:
    with both_backends(CORPUS, tmp_path_factory.mktemp("codewords"), postgres_server) as opened:
        yield opened


@pytest.mark.parametrize("backend", ["whoosh", "postgres"])
@pytest.mark.parametrize(("query", "expected"), PROBES, ids=[q for q, _ in PROBES])
def test_identifiers_are_found_by_parts_whole_and_spaced(
    both: tuple[SearchIndex, PostgresSearch], backend: str, query: str, expected: list[int]
) -> None:
    search = both[0] if backend == "whoosh" else both[1]
    page = search.search(SearchQuery(query, per_page=20))
    assert sorted(hit.id for hit in page.hits) == sorted(expected)
    assert not page.fallback_or
    if expected:
        assert page.hits[0].id == expected[0]


def test_both_backends_rank_the_probes_alike(both: tuple[SearchIndex, PostgresSearch]) -> None:
    for query, _ in PROBES:
        answers = [[h.id for h in b.search(SearchQuery(query)).hits][:1] for b in both]
        assert answers[0] == answers[1], query


@pytest.mark.parametrize("backend", ["whoosh", "postgres"])
def test_the_whole_identifier_ranks_its_page_first(
    both: tuple[SearchIndex, PostgresSearch], backend: str
) -> None:
    search = both[0] if backend == "whoosh" else both[1]
    # The parts as words find both pages; the whole finds the page that has the identifier.
    parts = search.search(SearchQuery("sys getsizeof"))
    assert {hit.id for hit in parts.hits} == {SIZEOF, SPACED}
    assert [hit.id for hit in search.search(SearchQuery("sys.getsizeof")).hits] == [SIZEOF]
    assert [hit.id for hit in search.search(SearchQuery("python/ceval.c")).hits] == [CEVAL]
    # A plain word that is also a part still finds the pages that use it as a word.
    assert {hit.id for hit in search.search(SearchQuery("python")).hits} == {CEVAL, MODULE}


@pytest.mark.parametrize("backend", ["whoosh", "postgres"])
@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("getsizeof", ["getsizeof"]),
        ("ceval", ["ceval"]),
        ("load_fast", ["LOAD_FAST"]),
        ('"load fast"', ["LOAD", "FAST"]),
    ],
)
def test_snippets_mark_the_identifier(
    both: tuple[SearchIndex, PostgresSearch], backend: str, query: str, marked: list[str]
) -> None:
    search = both[0] if backend == "whoosh" else both[1]
    hit = search.search(SearchQuery(query)).hits[0]
    found = re.findall(r"<mark>(.*?)</mark>", hit.snippet)
    assert found, hit.snippet
    # PostgreSQL marks `LOAD_FAST` as <mark>LOAD</mark>_<mark>FAST</mark>, Whoosh whole.
    assert "".join(found).replace("_", "") == "".join(marked).replace("_", ""), hit.snippet
    plain = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert re.search(r"Python/ceval\.c|sys\.getsizeof|LOAD_FAST", plain), hit.snippet


@pytest.mark.parametrize("backend", ["whoosh", "postgres"])
def test_the_whole_identifier_is_marked(
    both: tuple[SearchIndex, PostgresSearch], backend: str
) -> None:
    search = both[0] if backend == "whoosh" else both[1]
    snippet = search.search(SearchQuery("sys.getsizeof")).hits[0].snippet
    plain = snippet.replace("<mark>", "").replace("</mark>", "")
    assert "Call sys.getsizeof on" in plain
    # Whoosh marks the whole; PostgreSQL its parts side by side.
    assert re.search(r"<mark>sys(</mark>\.<mark>|\.)getsizeof</mark>", snippet), snippet


# -- the analysis ---------------------------------------------------------------------------


def test_an_identifier_is_cut_into_slots() -> None:
    assert slots("_PyList_AppendTakeRef") == [
        [
            ("pylist_appendtakeref", 1, 21),
            ("pylistappendtakeref", 1, 21),
            ("pylist", 1, 7),
            ("py", 1, 3),
            ("list", 3, 7),
        ],
        [("appendtakeref", 8, 21), ("append", 8, 14), ("take", 14, 18), ("ref", 18, 21)],
    ]
    assert slots("Python/ceval.c") == [
        [("python/ceval.c", 0, 14), ("pythoncevalc", 0, 14), ("python", 0, 6)],
        [("ceval.c", 7, 14), ("cevalc", 7, 14), ("ceval", 7, 12)],
        [("c", 13, 14)],
    ]
    assert slots("HTMLParser") == [[("htmlparser", 0, 10), ("html", 0, 4), ("parser", 4, 10)]]
    assert slots("Python") == [[("python", 0, 6)]]
    assert slots("NASA") == [[("nasa", 0, 4)]]
    assert slots("__init__") == [[("init", 2, 6)]]
    assert slots("___") == []
    assert joined("LOAD_FAST") == "loadfast" and joined("plain") == ""
    text = "use sys.getsizeof and LOAD_FAST, not words"
    assert code_words(text, WORD, 2) == "sysgetsizeof sys getsizeof loadfast load fast"


def test_the_analyzer_and_the_fast_path_agree_on_identifiers() -> None:
    text = "The sys.getsizeof call; LOAD_FAST in Python/ceval.c and _PyList_AppendTakeRef, is_ok"
    chain: dict[str, list[tuple[int, int, int]]] = {}
    for t in text_analyzer()(text, positions=True, chars=True, mode="index"):
        chain.setdefault(t.text, []).append((t.pos, t.startchar, t.endchar))
    assert index_terms(text) == chain
    # The parts of a name follow each other; the whole shares the first part's position.
    assert chain["load_fast"][0][0] == chain["load"][0][0] == chain["fast"][0][0] - 1
    query = [t.text for t in text_analyzer()("sys.getsizeof LOAD_FAST getSizeOf", mode="query")]
    assert query == ["sys.getsizeof", "load_fast", "getsizeof"]
