"""Tags and notes, the same on both backends: `tag:` (exact, quoted, any case, negated,
combined), the tag filter and facet, notes searched like the text, both carried by hits, and
a changed record answering at once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa

from index import IndexRecord, SearchBackend, SearchPage, SearchQuery
from tests.index._helpers import add_links, record

CORPUS = [
    record(1, title="Python memory", text="The garbage collector and reference counting.",
           tags=("CPython Internals", "gc")),
    record(2, title="Rust memory", text="No garbage collector: ownership.", tags=("Rust",)),
    record(3, title="Go memory", text="The Go collector and its pauses.", tags=("GC", "go")),
    record(4, title="Threads", text="Locks and the interpreter.",
           note="Read again before the talk on memory arenas"),
    record(5, title="Untagged", text="The garbage collector once more."),
]  # fmt: skip


class Backend:
    """A backend to put records in (the links first, on PostgreSQL) and search."""

    def __init__(self, index: SearchBackend) -> None:
        self.index = index
        self._links: set[int] = set()

    def put(self, records: Iterable[IndexRecord]) -> None:
        records = list(records)
        engine: sa.Engine | None = getattr(self.index, "engine", None)
        if engine is not None:
            new = [r.id for r in records if r.id not in self._links]
            add_links(engine, new)
            self._links.update(new)
        with self.index.writer() as writer:
            for r in records:
                writer.add(r)

    def search(self, text: str, **kw: object) -> SearchPage:
        return self.index.search(SearchQuery(text, per_page=50, **kw))  # type: ignore[arg-type]

    def ids(self, text: str, **kw: object) -> list[int]:
        return sorted(hit.id for hit in self.search(text, **kw).hits)


@pytest.fixture(params=["whoosh", "postgres"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    name = "index" if request.param == "whoosh" else "pg"
    found = Backend(request.getfixturevalue(name))
    found.put(CORPUS)
    yield found


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tag:gc", [1, 3]),
        ("tag:GC", [1, 3]),  # any case
        ('tag:"cpython internals"', [1]),  # quotes for spaces
        ('tag:"CPython   Internals"', [1]),  # and the spacing does not matter either
        ("tag:cpython", []),  # a tag is matched whole
        ("tag:internals", []),
        ("collector tag:gc", [1, 3]),
        ("garbage -tag:gc", [2, 5]),
        ("garbage NOT tag:rust", [1, 5]),
        ("tag:rust OR tag:go", [2, 3]),
        ("tag:(rust OR go)", [2, 3]),
        ("memory -tag:gc -tag:rust", [4]),
        ("tag:gc tag:go", [3]),
    ],
)
def test_tag_search(backend: Backend, query: str, expected: list[int]) -> None:
    assert backend.ids(query) == expected, query


def test_tag_facet_counts_the_whole_match_set(backend: Backend) -> None:
    page = backend.index.search(SearchQuery("memory OR collector", per_page=1))
    assert page.total == 5 and len(page.hits) == 1
    # Counted by key: "gc" and "GC" are one tag.
    assert page.facets["tag"] == {"gc": 2, "cpython internals": 1, "go": 1, "rust": 1}
    assert list(page.facets["tag"])[0] == "gc"  # the most common first
    only = backend.search("memory OR collector", tag="gc")
    assert only.facets["tag"] == {"gc": 2, "cpython internals": 1, "go": 1}


def test_tag_filter(backend: Backend) -> None:
    assert backend.ids("garbage OR collector", tag="GC") == [1, 3]
    assert backend.ids("garbage OR collector", tag=" CPython  internals ") == [1]
    assert backend.ids("garbage OR collector", tag="cpython") == []
    assert backend.ids("garbage OR collector", tag="   ") == []  # no page has an empty tag
    assert backend.ids("collector", tag="rust", domain="example.com") == [2]


def test_a_note_is_searched_like_the_text(backend: Backend) -> None:
    assert backend.ids("arenas") == [4]  # only in the note
    assert backend.ids('"memory arenas"') == [4]  # a phrase in the note
    assert backend.ids("memory") == [1, 2, 3, 4]  # titles and the note
    assert backend.ids("text:arenas") == []  # text: is the page's text only
    assert backend.ids("title:arenas") == []


def test_a_note_weighs_at_least_as_much_as_the_text(backend: Backend) -> None:
    filler = " ".join(f"filler{n}" for n in range(40))
    backend.put(
        [
            record(10, title="One", text=f"{filler} zanzibar {filler}"),
            record(11, title="Two", text=filler + " " + filler, note="zanzibar trip"),
        ]
    )
    assert [hit.id for hit in backend.search("zanzibar").hits] == [11, 10]


def test_hits_carry_tags_as_written_and_the_note(backend: Backend) -> None:
    hits = {hit.id: hit for hit in backend.search("memory OR garbage").hits}
    assert hits[1].tags == ["CPython Internals", "gc"]
    assert hits[3].tags == ["GC", "go"]
    assert hits[5].tags == [] and hits[5].note is None
    assert hits[4].note == "Read again before the talk on memory arenas"


def test_a_changed_record_answers_at_once(backend: Backend) -> None:
    backend.put(
        [
            replace(CORPUS[1], tags=("Rust", "Ownership"), note="Borrow checker notes"),
            replace(CORPUS[0], tags=(), note=None),
        ]
    )
    assert backend.ids("tag:ownership") == [2]
    assert backend.ids("borrow") == [2]
    assert backend.ids("tag:gc") == [3]
    assert backend.ids('tag:"cpython internals"') == []
    assert backend.search("collector").facets["tag"] == {
        "gc": 1,
        "go": 1,
        "ownership": 1,
        "rust": 1,
    }
