"""What search returns: ranking, operators, filters, facets, paging, snippets, suggestions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index import QueryError, SearchIndex, SearchQuery
from tests.index._helpers import add_all, day, record


def ids(index: SearchIndex, text: str, **kw: object) -> list[int]:
    return [hit.id for hit in index.search(SearchQuery(text, per_page=100, **kw)).hits]  # type: ignore[arg-type]


@pytest.fixture
def library(index: SearchIndex) -> SearchIndex:
    add_all(
        index,
        [
            record(
                1,
                title="The Python GIL",
                text="A long essay on locks in interpreters.",
                section="Python / Internals",
                domain="a.org",
                archived_at=day(1),
            ),
            record(
                2,
                title="Threads",
                text="Notes on threads. The gil matters for CPU work.",
                section="Python / Internals",
                domain="b.org",
                archived_at=day(5),
            ),
            record(
                3,
                title="Memory",
                text="Reference counting and the garbage collector "
                "free memory. A garbage truck is not a collector.",
                section="Memory",
                domain="a.org",
                archived_at=day(3),
                published=day(-100),
            ),
            record(
                4,
                title="Rust",
                text="Ownership instead of a garbage collector.",
                section=None,
                domain="c.org",
                archived_at=day(2),
                published=day(-10),
            ),
            record(
                5,
                title="Parsers",
                text="Python's parser builds a tree; the compiler emits bytecode.",
                section="Python / Internals",
                domain="b.org",
                archived_at=day(4),
            ),
        ],
    )
    return index


def test_title_match_outranks_body_match(library: SearchIndex) -> None:
    assert ids(library, "gil") == [1, 2]


def test_words_combine_with_and(library: SearchIndex) -> None:
    page = library.search(SearchQuery("garbage collector"))
    assert {hit.id for hit in page.hits} == {3, 4}
    assert not page.fallback_or


def test_or_fallback_when_and_finds_nothing(library: SearchIndex) -> None:
    page = library.search(SearchQuery("ownership bytecode"))
    assert page.fallback_or
    assert {hit.id for hit in page.hits} == {4, 5}
    assert page.total == 2


def test_phrase(library: SearchIndex) -> None:
    assert ids(library, '"garbage collector"') == [3, 4]
    assert ids(library, '"collector garbage"') == []


def test_exclusion(library: SearchIndex) -> None:
    assert ids(library, "garbage -rust") == [3]
    assert ids(library, "garbage NOT ownership") == [3]


def test_field_prefixes(library: SearchIndex) -> None:
    assert ids(library, "title:memory") == [3]
    assert ids(library, "title:garbage") == []
    assert sorted(ids(library, "section:internals")) == [1, 2, 5]
    assert ids(library, 'section:"python internals" gil') == [1, 2]
    assert sorted(ids(library, "domain:A.org")) == [1, 3]


def test_or_and_groups(library: SearchIndex) -> None:
    assert sorted(ids(library, "(rust OR parsers) bytecode")) == [5]
    assert sorted(ids(library, "memory OR threads")) == [2, 3]


def test_prefix_search(library: SearchIndex) -> None:
    assert sorted(ids(library, "interp*")) == [1]
    with pytest.raises(QueryError, match="at least 3 letters"):
        library.search(SearchQuery("in*"))


def test_stemming(library: SearchIndex) -> None:
    assert ids(library, "thread") == [2]
    assert ids(library, "collectors") == [3, 4]


def test_filters(library: SearchIndex) -> None:
    assert sorted(ids(library, "garbage", section="Memory")) == [3]
    assert ids(library, "garbage", section="memory") == []  # exact section name
    assert ids(library, "garbage", domain="C.ORG") == [4]
    assert sorted(ids(library, "python", date_from=day(3), date_to=day(4))) == [5]
    assert ids(library, "garbage", date_field="published", date_from=day(-50)) == [4]
    assert ids(library, "garbage", date_to=day(2)) == [4]  # bounds are inclusive
    assert ids(library, "garbage", date_to=day(2).replace(tzinfo=None)) == [4]
    assert ids(library, "garbage", date_field="published", date_to=day(-50)) == [3]
    assert ids(library, "garbage", section="Memory", date_from=day(4)) == []


def test_facets_count_the_whole_result_set(library: SearchIndex) -> None:
    first = library.search(SearchQuery("python OR garbage OR gil", per_page=2))
    second = library.search(SearchQuery("python OR garbage OR gil", per_page=2, page=2))
    assert first.total == second.total == 5
    assert len(first.hits) == len(second.hits) == 2
    assert {h.id for h in first.hits}.isdisjoint(h.id for h in second.hits)
    expected = {
        "section": {"Python / Internals": 3, "Memory": 1},
        "domain": {"a.org": 2, "b.org": 2, "c.org": 1},
        "tag": {},
    }
    assert first.facets == second.facets == expected
    filtered = library.search(SearchQuery("python OR garbage OR gil", domain="a.org"))
    assert filtered.facets["domain"] == {"a.org": 2}


def test_pages_past_the_end_are_empty(library: SearchIndex) -> None:
    page = library.search(SearchQuery("garbage", page=3, per_page=2))
    assert page.total == 2
    assert page.hits == []


def test_sort_by_date(library: SearchIndex) -> None:
    assert ids(library, "python OR garbage OR gil", sort="date") == [2, 5, 3, 4, 1]
    # Documents without the date go last.
    assert ids(library, "garbage", sort="date", date_field="published") == [4, 3]


def test_hit_fields(library: SearchIndex) -> None:
    hit = library.search(SearchQuery("ownership")).hits[0]
    assert (hit.id, hit.url, hit.title, hit.section, hit.domain, hit.status) == (
        4,
        "https://c.org/4",
        "Rust",
        None,
        "c.org",
        "ok",
    )
    assert hit.archived_at == day(2)
    assert hit.published == day(-10)
    assert hit.score > 0


def test_naive_datetimes_are_utc(index: SearchIndex) -> None:
    add_all(index, [record(1, text="naive", archived_at=day(1).replace(tzinfo=None))])
    assert index.search(SearchQuery("naive")).hits[0].archived_at == day(1)


def test_suggestion_for_a_typo(library: SearchIndex) -> None:
    page = library.search(SearchQuery("garbge"))
    assert page.total == 0
    assert page.suggestion == "garbage"
    # Stems come back as words people write.
    assert library.search(SearchQuery("ownershp")).suggestion == "ownership"
    assert library.search(SearchQuery("memory")).suggestion is None


def test_snippet_marks_matches_and_escapes_everything_else(index: SearchIndex) -> None:
    text = (
        "Intro. <script>alert(1)</script> then the word payload appears "
        'and <img src=x onerror=alert(1)> & "quotes" near payload again.'
    )
    add_all(index, [record(1, text=text)])
    snippet = index.search(SearchQuery("payload")).hits[0].snippet
    assert "<mark>payload</mark>" in snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in snippet
    assert "&lt;img src=x onerror=alert(1)&gt;" in snippet
    assert "&amp;" in snippet and "&quot;quotes&quot;" in snippet
    # The only tags left are the <mark>s.
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_matches_inside_markup_are_escaped_too(index: SearchIndex) -> None:
    add_all(index, [record(1, text="x <b onmouseover=alert(1)>bold</b> y")])
    snippet = index.search(SearchQuery("onmouseover")).hits[0].snippet
    assert "&lt;b <mark>onmouseover</mark>=alert(1)&gt;" in snippet


def test_title_only_match_shows_the_start_of_the_text(index: SearchIndex) -> None:
    add_all(index, [record(1, title="Zebra", text="word " * 100)])
    snippet = index.search(SearchQuery("zebra")).hits[0].snippet
    assert "<mark>" not in snippet
    assert snippet.startswith("word word")
    assert len(snippet) < 260


def test_snippet_length_and_fragments(index: SearchIndex) -> None:
    filler = " ".join(f"filler{i}" for i in range(400))
    text = f"needle one. {filler} needle two. {filler} needle three. {filler}"
    add_all(index, [record(1, text=text)])
    one = index.search(SearchQuery("needle", snippet_fragments=1)).hits[0].snippet
    three = index.search(SearchQuery("needle", snippet_fragments=3)).hits[0].snippet
    assert one.count("<mark>") == 1
    assert three.count("<mark>") == 3
    assert three.count("\u2026") >= 2
    plain = re.sub(r"</?mark>", "", three)
    assert 150 <= len(plain) <= 300


def test_snippets_come_from_stored_offsets_not_reanalysis(
    library: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from index.whoosh._schema import schema

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("text re-analysed for a snippet")

    # Parsing the query analyses the query string, so only long inputs are refused.
    analyzer = schema()["text"].analyzer
    original = type(analyzer).__call__

    def guarded(self, value, **kwargs):  # noqa: ANN001, ANN202
        if len(value) > 40:
            refuse()
        return original(self, value, **kwargs)

    monkeypatch.setattr(type(analyzer), "__call__", guarded)
    snippet = library.search(SearchQuery("garbage")).hits[0].snippet
    assert "<mark>garbage</mark>" in snippet


def test_elapsed_and_query_echo(library: SearchIndex) -> None:
    page = library.search(SearchQuery("  gil  "))
    assert page.query == "  gil  "
    assert page.elapsed_ms > 0
    assert (page.page, page.per_page) == (1, 10)


def test_unicode_words(index: SearchIndex) -> None:
    add_all(index, [record(1, text="Die Straße in München; İstanbul and naïve café.")])
    assert ids(index, "straße") == [1]
    assert ids(index, "MÜNCHEN") == [1]
    assert ids(index, "café") == [1]
    snippet = index.search(SearchQuery("istanbul OR İstanbul")).hits[0].snippet
    assert "İstanbul" in snippet


def test_time_limit_gives_a_partial_page(index_path: Path) -> None:
    index = SearchIndex(index_path, search_time_limit=0.0)
    add_all(index, [record(i, text=f"limited words {i}") for i in range(30)])
    page = index.search(SearchQuery("limited"))
    assert page.timed_out
    assert page.total == 30  # matching finished; ranking was cut short
    assert len(page.hits) == 10
    assert page.suggestion is None
