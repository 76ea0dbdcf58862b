"""Which words are not searched on their own, one rule for both backends: Whoosh's stop list
and one-letter words. The Whoosh backend drops them when indexing and in queries; the
PostgreSQL backend indexes every word (so phrases of stop words line up) and drops them from
a query's plain words (index/postgres/_query.py), so both answer `the rust` as `rust`."""

from __future__ import annotations

from whoosh.analysis.filters import STOP_WORDS as _WHOOSH_STOP_WORDS

STOP_WORDS: frozenset[str] = frozenset(_WHOOSH_STOP_WORDS)
MIN_WORD_CHARS = 2


def is_searched(word: str) -> bool:
    """True for a lowercase word worth searching on its own."""
    return len(word) >= MIN_WORD_CHARS and word not in STOP_WORDS
