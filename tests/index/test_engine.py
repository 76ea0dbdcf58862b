"""The set-based engine must match exactly what Whoosh's own matchers match, with the same
BM25F scores (one idf per word: _schema.weighting()), on an index with several segments and
deletions."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from whoosh import query as wq

from index import SearchIndex, SearchQuery
from index.whoosh._engine import Engine
from index.whoosh._parse import clean, parse
from index.whoosh._schema import weighting
from index.whoosh._store import Store
from index.whoosh._values import SegmentValues
from tests.index._helpers import add_all, record

VOCAB = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "theta", "kappa", "lambda", "mu"]

QUERIES = [
    "alpha",
    "alpha beta",
    "alpha beta gamma",
    "alpha OR zeta",
    "(alpha OR beta) gamma",
    "alpha -beta",
    "alpha NOT gamma",
    "title:delta",
    "title:delta kappa",
    "lamb*",
    "eps* mu",
    '"alpha beta"',
    '"beta alpha gamma"',
    '"alpha beta" -theta',
    "section:one",
    "domain:b.org alpha",
    "missingword",
    "alpha missingword",
    "missingword OR kappa",
    "omega alpha",
    "alpha omega beta gamma",
    "omega -alpha",
    "omega (alpha OR missingword)",
    '"alpha beta" omega',
    '"alpha gamma"~3',
    '"beta alpha delta"~2',
    "tag:red",
    "tag:red alpha",
    "alpha -tag:blue",
    "tag:red OR tag:blue",
]


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    rng = random.Random(7)
    index = SearchIndex(Path(tmp_path_factory.mktemp("engine")) / "index")
    for batch in range(6):  # several segments
        add_all(
            index,
            [
                record(
                    batch * 40 + i,
                    title=" ".join(rng.choices(VOCAB, k=3)),
                    # "omega" is rare, so AND queries with it probe the common words.
                    text=" ".join(rng.choices(VOCAB, k=rng.randint(5, 60)))
                    + (" omega" if i % 13 == 0 else ""),
                    section=rng.choice(["one", "two", None]),
                    domain=rng.choice(["a.org", "b.org"]),
                    # Notes on some pages only: their own length normalisation (FIELD_B).
                    note=" ".join(rng.choices(VOCAB, k=rng.randint(1, 6))) if i % 4 else None,
                    tags=tuple(rng.sample(["red", "Blue", "green"], k=rng.randint(0, 2))),
                )
                for i in range(40)
            ],
        )
    with index.writer() as writer:  # deletions inside segments
        for link_id in range(0, 240, 9):
            writer.delete(link_id)
    return index


@pytest.mark.parametrize("text", QUERIES)
def test_engine_matches_whoosh(populated: SearchIndex, text: str) -> None:
    q = parse(clean(text)).query
    ix = Store(populated.path).open()
    with ix.searcher(weighting=weighting()) as searcher:
        assert len(searcher.leaf_searchers()) > 1
        expected = {hit.docnum: hit.score for hit in searcher.search(q, limit=None)}
        if isinstance(q, wq.AndNot):
            # Whoosh's AndNot matcher lets excluded documents through ('"alpha beta" -theta'
            # and 'omega -alpha' both returned documents containing the excluded word), so
            # compare with its two halves instead.
            excluded = {hit.docnum for hit in searcher.search(q.b, limit=None)}
            kept = searcher.search(q.a, limit=None)
            expected = {hit.docnum: hit.score for hit in kept if hit.docnum not in excluded}
        engine = Engine(searcher, SegmentValues(), deadline=float("inf"))
        docsets = engine.docs(q)
        got = {
            d + offset
            for (_s, offset), docs in zip(engine.leaves, docsets, strict=True)
            for d in docs
        }
        assert got == set(expected)
        top = engine.top(q, docsets, limit=1000)
        scores = [score for score, _d in top]
        assert scores == sorted(scores, reverse=True)
        if '"' in text:
            return  # Whoosh scores phrases by span, the engine by their words
        # Whoosh adds 1.0 for each NOT clause; the engine does not. Same order either way.
        shift = {round(expected[d] - score, 9) for score, d in top}
        assert len(shift) <= 1
        if "NOT" not in text:
            for score, docnum in top:
                assert score == pytest.approx(expected[docnum], rel=1e-9), docnum


def test_a_common_word_in_a_title_does_not_count_as_rare(index: SearchIndex) -> None:
    """Issue 14 (`modav speedmult player`): `player` is in most texts but one title. With an
    idf per field it counted as a rare word in that title (three times over, the title
    boost) and the page naming it there beat the page about the two rare words. One idf per
    word: the page naming the rare words three times comes first."""
    rng = random.Random(14)
    filler = VOCAB * 6

    def body(*words: str) -> str:
        return " ".join(rng.sample(filler, 50) + list(words))

    background = [
        # `player` in 20 of 30 texts, in no title.
        record(i, title=" ".join(rng.sample(VOCAB, 3)), text=body("player") if i % 3 else body())
        for i in range(1, 31)
    ]
    about_rare_words = record(
        100, title="Engine notes", text=body(*["modav", "speedmult"] * 3, "player")
    )
    player_in_title = record(
        101, title="Player statistics", text=body("modav", "speedmult", "player")
    )
    add_all(index, [*background, about_rare_words, player_in_title])
    page = index.search(SearchQuery("modav speedmult player"))
    assert [hit.id for hit in page.hits] == [100, 101]
