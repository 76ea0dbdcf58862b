"""Untrusted query strings: a SearchPage or a QueryError, never anything else."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import QueryError, SearchIndex, SearchPage, SearchQuery
from index.whoosh._parse import MAX_QUERY_CHARS
from tests.index._helpers import add_all, record

ERROR = "error"

# query -> "error" (QueryError expected) or the ids it must find (None: any result is fine)
CASES: list[tuple[str, object]] = [
    ('"unbalanced quote', [1]),
    ("(unbalanced paren", [1]),
    ("unbalanced) paren", [1]),
    (")(", []),
    ("((((", []),
    ("AND", []),
    ("OR", []),
    ("NOT", []),
    ("AND OR NOT", []),
    ("NOT NOT NOT", []),
    ("quote AND", [1]),
    ("OR quote", [1]),
    ("the of and", []),
    ("😀", []),
    ("😀 quote 🎉", [1]),
    ("x" * 10_000, ERROR),
    ("quote " * 2000, ERROR),
    ("quote\x00paren", None),
    ("\x00\x00\x00", []),
    ("foo:bar", []),
    ("foo:quote", [1]),
    ("title:", None),
    ("title:quote", [1]),
    ("section:", None),
    ("*", []),
    ("**", []),
    ("?x", []),
    ("a~", []),
    ("quote~2", None),
    ("[a TO", []),
    ("[a TO b]", []),
    ("{a TO b}", []),
    ("quote^100", None),
    ("q*", ERROR),
    ("qu*", ERROR),
    ("quo*", [1]),
    ("*uote", None),
    ("qu?te", None),
    ('""', []),
    ('"" quote', [1]),
    ("-", []),
    ("-quote", []),
    ("+quote", [1]),
    ("\\", []),
    ("'single quote'", None),
    ("Ünïcödé ☃ 日本語 עברית", []),
    ("\u202equote\u202c", [1]),
    ("quote\u200bparen", None),
    ("title:(quote", [1]),
    ('title:"quote', [1]),
    ("domain:", None),
    ("text:quote", [1]),
    ("id:1", []),
    ("status:ok", None),
    ("archived_at:2024", None),
    ("<script>alert(1)</script>", None),
    ("%s %n %x", []),
    ("' OR 1=1 --", []),
    ("quote AND (paren OR", [1]),
    ("NOT (quote", []),
    ("a" * 499, []),
]


@pytest.fixture(scope="module")
def searchable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    index = SearchIndex(Path(tmp_path_factory.mktemp("malformed")) / "index")
    add_all(
        index,
        [
            record(1, title="Quote", text="A quote and a paren, one quote more."),
            record(2, title="Other", text="Nothing to see: ok status, domain words."),
        ],
    )
    yield index
    index.close()


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_malformed_queries(searchable: SearchIndex, text: str, expected: object) -> None:
    if expected == ERROR:
        with pytest.raises(QueryError):
            searchable.search(SearchQuery(text))
        return
    page = searchable.search(SearchQuery(text))
    assert isinstance(page, SearchPage)
    if expected is not None:
        assert sorted(hit.id for hit in page.hits) == expected


def test_length_cap_message(searchable: SearchIndex) -> None:
    with pytest.raises(QueryError, match=f"at most {MAX_QUERY_CHARS}"):
        searchable.search(SearchQuery("y" * (MAX_QUERY_CHARS + 1)))


@pytest.mark.parametrize(
    "bad",
    [
        {"page": 0},
        {"per_page": 0},
        {"per_page": 1000},
        {"page": 100_000},
        {"sort": "size"},
        {"snippet_fragments": 99},
        {"snippet_chars": 5},
    ],
)
def test_bad_parameters(searchable: SearchIndex, bad: dict[str, object]) -> None:
    with pytest.raises(QueryError):
        searchable.search(SearchQuery("quote", **bad))  # type: ignore[arg-type]


def test_too_broad_prefix(index: SearchIndex) -> None:
    from index.whoosh._parse import MAX_PREFIX_EXPANSIONS

    words = " ".join(f"pre{i:04d}x" for i in range(MAX_PREFIX_EXPANSIONS + 5))
    add_all(index, [record(1, text=words)])
    with pytest.raises(QueryError, match="too many words"):
        index.search(SearchQuery("pre*"))
    assert index.search(SearchQuery("pre0001*")).total == 1


def test_too_many_words(searchable: SearchIndex) -> None:
    with pytest.raises(QueryError, match="too many words"):
        searchable.search(SearchQuery(" ".join(f"word{i}" for i in range(60))))


QUERY_ALPHABET = st.sampled_from(
    list("abcquote paren\"()*?~^:+-![]{}\\/'ANDORNOT \x00\t\n")
    + [
        "AND",
        "OR",
        "NOT",
        "title:",
        "section:",
        "domain:",
        "text:",
        "foo:",
        "😀",
        "日本",
        "\u0301",
        "\ufeff",
        "İ",
        "ß",
    ]
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.text(max_size=80),
        st.lists(QUERY_ALPHABET, max_size=25).map("".join),
    )
)
def test_fuzzed_queries_give_a_page_or_a_query_error(searchable: SearchIndex, text: str) -> None:
    try:
        page = searchable.search(SearchQuery(text))
    except QueryError as exc:
        assert str(exc)
    else:
        assert isinstance(page, SearchPage)
        assert page.total >= len(page.hits)
        for hit in page.hits:
            assert "<script" not in hit.snippet
