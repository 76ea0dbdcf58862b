"""PostgreSQL ranking (index/postgres/_rank.py) and what linkvault_english indexes (migration
0015): phrases of stop words and phrases that end at a hyphen line up; the any-word fallback
puts a page with rare words above one with a common word in its title; a word in more pages
than phase one keeps still gives an exact total and pages that follow one another."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bench.postgres import PostgresServer
from index import SearchQuery
from index.postgres import PostgresSearch
from index.postgres._rank import CANDIDATES, _idf_from_statistics
from index.postgres._tables import LEAD_CHARS
from tests.index._helpers import index_all, postgres_engine, record

# Past the lead: rank_tsv does not hold what follows this.
FILLER = "Plain prose about nothing much in particular, written to fill a page. " * (
    LEAD_CHARS // 40
)
COMMON_PAGES = 2 * CANDIDATES + 30


def _spread(words: list[str], seed: int) -> str:
    """Five hundred words of prose with ``words`` and one "marrowing" at random places, as
    bench/_probes.py plants them (title_against_body)."""
    rng = random.Random(seed)
    text = [f"word{rng.randrange(2_000)}" for _ in range(500)]
    for word in [*words, "marrowing"]:
        text.insert(rng.randrange(len(text)), word)
    return " ".join(text) + "."


def _records() -> Iterator[object]:
    yield record(1, title="Diary", text="At the door she said she did not know him at all.")
    yield record(2, title="Ages", text="He came at nineteen and left at thirty-one years old.")
    yield record(3, title="Rare words", text=FILLER + "Here are wabwab and wabsnar together.")
    yield record(4, title="Sterrenness", text="A short page with the title word.")
    yield record(
        5,
        title="Marrowing in the title",
        text=_spread(["zorblat", "quenvex", "marrowing", "marrowing"], 5),
    )
    yield record(6, title="Rare twice over", text=_spread(["zorblat", "quenvex"] * 3, 6))
    for n in range(7, 7 + COMMON_PAGES):
        # Every page has the stop words of record 1's phrase and "sterrenness", scattered,
        # and "marrowing" once, past the lead of some of them.
        text = f"Not one said what she did. Sterrenness {n}. " + (FILLER if n % 2 else "")
        yield record(n, title=f"Filler {n}", text=text + " Marrowing.")


@pytest.fixture(scope="module")
def pg(postgres_server: PostgresServer) -> Iterator[PostgresSearch]:
    engine = postgres_engine(postgres_server)
    backend = PostgresSearch(engine)
    index_all(backend, _records())  # type: ignore[arg-type]
    with engine.connect() as conn:  # the statistics the ranking reads, as autovacuum makes
        conn.execute(sa.text("ANALYZE search_documents"))
        conn.commit()
    yield backend
    engine.dispose()


def _ids(pg: PostgresSearch, text: str, **options: int) -> list[int]:
    return [hit.id for hit in pg.search(SearchQuery(text, **options)).hits]


def test_a_phrase_of_stop_words_finds_the_page_that_holds_it(pg: PostgresSearch) -> None:
    page = pg.search(SearchQuery('"she said she did not"'))
    assert [hit.id for hit in page.hits] == [1]
    assert "<mark>said</mark>" in page.hits[0].snippet
    # Plain stop words are still not searched on their own, as on Whoosh.
    assert pg.search(SearchQuery("the")).total == 0
    assert pg.search(SearchQuery("the diary")).total == 1


def test_a_phrase_that_ends_at_a_hyphen_lines_up(pg: PostgresSearch) -> None:
    assert _ids(pg, '"at nineteen and left at thirty"') == [2]
    assert _ids(pg, '"thirty one years"') == [2]
    assert _ids(pg, "thirty-one") == [2]


def test_the_any_word_fallback_puts_rare_words_above_a_common_title_word(
    pg: PostgresSearch,
) -> None:
    page = pg.search(SearchQuery("wabwab wabsnar sterrenness"))
    assert page.fallback_or
    assert page.total == COMMON_PAGES + 2
    assert [hit.id for hit in page.hits[:2]] == [3, 4]


def test_with_every_word_required_rare_words_in_a_text_beat_a_common_word_in_a_title(
    pg: PostgresSearch,
) -> None:
    page = pg.search(SearchQuery("zorblat quenvex marrowing"))
    assert not page.fallback_or
    assert [hit.id for hit in page.hits] == [6, 5]
    # Each word weighs by its rarity, from the planner's statistics of the tsvector.
    with pg.engine.connect() as conn:
        idf = _idf_from_statistics(conn, ["'zorblat'", "'quenvex'", "'marrow'"])
    assert idf is not None
    assert idf[0] == idf[1] > 2 * idf[2] > 2


def test_more_matches_than_candidates_give_an_exact_total_and_pages_in_order(
    pg: PostgresSearch,
) -> None:
    first = pg.search(SearchQuery("marrowing", per_page=10))
    assert first.total == COMMON_PAGES + 2
    assert first.hits[0].id == 5  # in the title
    seen = [hit.id for hit in first.hits]
    for number in range(2, 15):  # across blocks of candidates, then the last page
        seen += _ids(pg, "marrowing", per_page=10, page=number)
    assert len(seen) == len(set(seen)) == COMMON_PAGES + 2
    # A page that spans two blocks of candidates has the hits of the pages it overlaps.
    assert _ids(pg, "marrowing", per_page=30, page=2) == seen[30:60]
    scores = [hit.score for hit in first.hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
