"""The query parser and search, fuzzed over a small real index of hostile documents: any text
and any parameters give a SearchPage or a QueryError, never another exception, and never the
"search failed" safety net (a Whoosh error turned into a generic QueryError and logged). A
page is consistent and its snippets quote only the document, escaped. (test_malformed.py has
the examples and a first property.)"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index import QueryError, SearchIndex, SearchPage, SearchQuery, tag_key
from index._syntax import tag_keys
from index.whoosh._parse import MAX_QUERY_CHARS, clean, parse
from tests.index._helpers import add_all, day, record

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TEXTS = {
    1: ("Quote and paren", "A quote and a paren, one quote more. Prefix prefixes prefixed."),
    2: ("<script>alert(1)</script>", "<b>bold</b> &amp; <img src=x onerror=alert(1)> quote"),
    3: ("Ünïcödé ☃ 日本語", "日本語のテキスト Ünïcödé naïve café ☃ emoji 😀🐍 עברית العربية"),
    4: ("Control\x00chars", "nul\x00byte bell\x07 bidi\u202eoverride\u202c zero\u200bwidth"),
    5: ("Stop words", "the of and a an to in is it that " * 20),
    6: ("Long", "interpreter " * 3000 + "needle"),
    7: ("Title: with: colons", "section: domain: title: text: fields AND OR NOT operators"),
    8: ("Wild*cards?", "wildcard* quest? tilde~2 caret^3 [a TO b] {c TO d} plus+ minus-"),
}
SECTIONS = [None, "Interpreters", "Bytecode & <Memory>", "日本語", "\u202eevil"]
DOMAINS = ["example.com", "docs.python.org", "xn--bcher-kva.de", "[::1]"]
TAGS = [(), ("quote", 'say "hi"'), ("<b>x</b>", "日本語", "C++"), ("\u202eevil", "  Spaced  Out ")]

# Query pieces: syntax, field names (known, unknown, odd case), wildcards, indexed words,
# unicode that normalisation and case folding treat specially, control characters.
PIECES = [
    *'abcquote paren"()*?~^:+-![]{}\\/\'',
    " ", " ", "\t", "\n", "\x00", "\x7f", "\u200b", "\u202e", "\ufeff",
    "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "REQUIRE", "and", "or", "not",
    "title:", "section:", "domain:", "text:", "TITLE:", "url:", "id:", "status:", "foo:",
    "tag:", "TAG:", "tag:quote", 'tag:"say hi"', "tag:c++", "-tag:", "tags:", "note:",
    "archived_at:", "section_words:", "*", "**", "?", "pre*", "quo*", "q*", "*uote",
    "quote", "paren", "interpreter", "needle", "café", "cafe\u0301", "日本語", "ünïcödé",
    "😀", "🐍", "İ", "ß", "ﬁ", "Ⅻ", "\u0301", "ǅ", "[a TO b]", "{a TO b}", "^2", "~2",
    '"', '""', "(", ")", "-", "+", "example.com", "docs.python.org", "\udcff", "\ud800",
]  # fmt: skip
_queries = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.text(max_size=120),
    st.text(st.characters(codec=None), max_size=60),  # lone surrogates too (argv on Unix)
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    index = SearchIndex(Path(tmp_path_factory.mktemp("fuzz-query")) / "index")
    add_all(
        index,
        [
            record(
                id,
                title=title,
                text=text,
                section=SECTIONS[id % len(SECTIONS)],
                domain=DOMAINS[id % len(DOMAINS)],
                status="dead" if id == 4 else "ok",
                archived_at=day(id) if id % 3 else None,
                published=day(-id) if id % 2 else None,
                tags=TAGS[id % len(TAGS)],
                note=None if id % 3 else f"A note: {text[:40]}",
            )
            for id, (title, text) in TEXTS.items()
        ],
    )
    yield index
    index.close()


class SafetyNet(logging.Handler):
    """Counts the errors SearchIndex.search logs when Whoosh raised something unexpected."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def safety_net() -> Iterator[SafetyNet]:
    handler = SafetyNet()
    logger = logging.getLogger("index")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def search(index: SearchIndex, net: SafetyNet, query: SearchQuery) -> SearchPage | QueryError:
    try:
        page = index.search(query)
    except QueryError as exc:
        assert str(exc)
        outcome: SearchPage | QueryError = exc
    else:
        check_page(page, query)
        outcome = page
    assert not net.records, [logging.Formatter().format(r) for r in net.records]
    return outcome


_MARK = re.compile(r"</?mark>")
_SPACE = re.compile(r"\s+")


def check_page(page: SearchPage, query: SearchQuery) -> None:
    assert page.query == query.text
    assert (page.page, page.per_page) == (query.page, query.per_page)
    assert 0 <= len(page.hits) <= query.per_page
    assert page.total >= len(page.hits) + (query.page - 1) * query.per_page or not page.hits
    ids = [hit.id for hit in page.hits]
    assert len(set(ids)) == len(ids) and set(ids) <= set(TEXTS)
    for name in ("section", "domain", "tag"):
        counts = page.facets[name]
        assert all(n > 0 for n in counts.values())
        # A page has one section and one domain, but may have several tags.
        counted = max(counts.values(), default=0) if name == "tag" else sum(counts.values())
        assert counted <= page.total or page.timed_out
    for hit in page.hits:
        if query.section:  # "" is no filter
            assert hit.section == query.section
        if query.domain:
            assert hit.domain == query.domain.strip().lower()
        if query.tag:
            assert tag_key(query.tag) in tag_keys(hit.tags)
        assert hit.archived_at is None or hit.archived_at.tzinfo is not None
        # The snippet is the document's own text, escaped, with matches in <mark>.
        assert "<" not in _MARK.sub("", hit.snippet), hit.snippet
        assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>")
        source = _SPACE.sub(" ", TEXTS[hit.id][1])
        for fragment in html.unescape(_MARK.sub("", hit.snippet)).split("\u2026"):
            assert fragment.strip() in source, (fragment, hit.id)


# --- the parser alone -------------------------------------------------------------------


@FUZZ
@example("NOT NOT NOT", False)
@example("title:(", True)
@example('"\ud800"', False)
@example("x" * (MAX_QUERY_CHARS + 1), False)
@given(_queries, st.booleans())
def test_parse_gives_a_query_or_a_query_error(text: str, any_word: bool) -> None:
    try:
        parsed = parse(clean(text), any_word=any_word)
    except QueryError as exc:
        assert str(exc)
        return
    assert isinstance(parsed.searchable, bool)
    parsed.query.normalize()


@pytest.mark.parametrize("length", [MAX_QUERY_CHARS + 1, 2000, 20_000, 1_000_000])
def test_over_long_queries_are_refused_not_cut(
    hostile: SearchIndex, safety_net: SafetyNet, length: int
) -> None:
    for filler in ("x", "quote ", '"(', "😀", "\u0301"):
        outcome = search(hostile, safety_net, SearchQuery((filler * length)[:length]))
        assert isinstance(outcome, QueryError) and "too long" in str(outcome)


# --- searching --------------------------------------------------------------------------

_datetimes = st.one_of(
    st.none(),
    st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31)),
    st.datetimes(datetime(1970, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
)
_filters = st.one_of(
    st.none(),
    st.sampled_from([s for s in SECTIONS if s]),
    st.text(max_size=20),
    st.text(st.characters(codec=None), max_size=5),
)


@FUZZ
@example(
    text="quo\udcff*", page=1, per_page=10, section=None, domain=None, tag=None, sort="relevance",
    date_field="archived_at", date_from=None, date_to=None, fragments=3, chars=200,
)  # fmt: skip
@example(
    text="quote", page=1, per_page=10, section="\ud800", domain="\udcff", tag="\udcff", sort="date",
    date_field="published", date_from=None, date_to=None, fragments=3, chars=200,
)  # fmt: skip
@given(
    text=_queries,
    page=st.integers(1, 3),
    per_page=st.integers(1, 10),
    section=_filters,
    domain=st.one_of(_filters, st.sampled_from([d.upper() for d in DOMAINS])),
    tag=st.one_of(_filters, st.sampled_from([t.upper() for tags in TAGS for t in tags])),
    sort=st.sampled_from(["relevance", "date"]),
    date_field=st.sampled_from(["archived_at", "published"]),
    date_from=_datetimes,
    date_to=_datetimes,
    fragments=st.integers(0, 5),
    chars=st.integers(40, 2000),
)
def test_any_search_gives_a_page_or_a_query_error(
    hostile: SearchIndex,
    safety_net: SafetyNet,
    text: str,
    page: int,
    per_page: int,
    section: str | None,
    domain: str | None,
    tag: str | None,
    sort: str,
    date_field: str,
    date_from: datetime | None,
    date_to: datetime | None,
    fragments: int,
    chars: int,
) -> None:
    query = SearchQuery(
        text,
        page=page,
        per_page=per_page,
        section=section,
        domain=domain,
        tag=tag,
        sort=sort,  # type: ignore[arg-type]
        date_field=date_field,  # type: ignore[arg-type]
        date_from=date_from,
        date_to=date_to,
        snippet_fragments=fragments,
        snippet_chars=chars,
    )
    search(hostile, safety_net, query)


@settings(parent=FUZZ, max_examples=60)
@given(
    text=_queries,
    page=st.integers(-2, 20_000),
    per_page=st.integers(-1, 200),
    sort=st.text(max_size=10),
    date_field=st.text(max_size=12),
    fragments=st.integers(-3, 8),
    chars=st.integers(-10, 5000),
)
def test_out_of_range_parameters_are_query_errors(
    hostile: SearchIndex,
    safety_net: SafetyNet,
    text: str,
    page: int,
    per_page: int,
    sort: str,
    date_field: str,
    fragments: int,
    chars: int,
) -> None:
    query = SearchQuery(
        text,
        page=page,
        per_page=per_page,
        sort=sort,  # type: ignore[arg-type]
        date_field=date_field,  # type: ignore[arg-type]
        snippet_fragments=fragments,
        snippet_chars=chars,
    )
    search(hostile, safety_net, query)


# --- what must not change the result ----------------------------------------------------

_words = st.lists(
    st.sampled_from(
        [
            "quote",
            "paren",
            "prefix",
            "interpreter",
            "needle",
            "café",
            "naïve",
            "bold",
            "emoji",
            "operators",
            "fields",
            "wildcard",
            "日本語",
            "ünïcödé",
            "nothere",
            "zzz",
        ]
    ),  # fmt: skip
    min_size=1,
    max_size=5,
)


def _outcome(index: SearchIndex, net: SafetyNet, text: str) -> tuple[int, list[int]] | str:
    result = search(index, net, SearchQuery(text, per_page=20))
    if isinstance(result, QueryError):
        return str(result)
    return result.total, sorted(hit.id for hit in result.hits)


@settings(parent=FUZZ, max_examples=40)
@given(words=_words, junk=st.text(st.sampled_from("\x00\x01\x1f\x7f\u200b\u202e\ufeff \t\n")))
def test_case_normal_form_and_invisible_characters_do_not_matter(
    hostile: SearchIndex, safety_net: SafetyNet, words: list[str], junk: str
) -> None:
    text = " ".join(words)
    expected = _outcome(hostile, safety_net, text)
    assert _outcome(hostile, safety_net, text.upper()) == expected
    assert _outcome(hostile, safety_net, unicodedata.normalize("NFD", text)) == expected
    assert _outcome(hostile, safety_net, f"{junk}{text}{junk}") == expected
    assert _outcome(hostile, safety_net, text) == expected  # and it is repeatable


@settings(parent=FUZZ, max_examples=30)
@given(words=_words)
def test_or_finds_at_least_what_and_finds(
    hostile: SearchIndex, safety_net: SafetyNet, words: list[str]
) -> None:
    every = _outcome(hostile, safety_net, " AND ".join(words))
    either = _outcome(hostile, safety_net, " OR ".join(words))
    assert not isinstance(every, str) and not isinstance(either, str)
    assert set(every[1]) <= set(either[1])
    assert every[0] <= either[0]
    for word in words:
        alone = _outcome(hostile, safety_net, f'"{word}"')
        assert not isinstance(alone, str)
        assert set(every[1]) <= set(alone[1]) or every[0] == 0
