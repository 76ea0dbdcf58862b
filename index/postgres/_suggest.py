"""'Did you mean' on PostgreSQL, as the Whoosh backend does it (index/whoosh/_suggest.py).

Each plain query word whose stem is not among the indexed words (search_lexemes) is corrected
to the closest indexed stem (edit distance <= 2, same first letter, the more documents the
better), and that stem is turned back into a word as some document writes it (ts_headline
marks an occurrence). The suggestion is offered only if it finds more than the query did.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from index import _syntax as syn
from index.postgres._query import quote, single_lexeme
from index.postgres._tables import MARK_END, MARK_START, TEXT_CONFIG

MAX_WORDS_TO_FIX = 4
MAX_DISTANCE = 2
# Only so much of a document is read to find how it writes a word.
_SURFACE_CHARS = 100_000

_KNOWN = sa.text("SELECT lexeme FROM search_lexemes WHERE lexeme = ANY(CAST(:words AS text[]))")
_CANDIDATES = sa.text(
    "SELECT lexeme, ndoc FROM search_lexemes "
    "WHERE lexeme >= :low AND (CAST(:high AS text) IS NULL OR lexeme < :high) "
    "AND length(lexeme) BETWEEN :shortest AND :longest"
)
_SURFACE = sa.text(  # TEXT_CONFIG is a constant of ours
    f"SELECT ts_headline('{TEXT_CONFIG}'::regconfig, "  # noqa: S608
    "translate(left(title || ' ' || body, :chars), '<', ' '), CAST(:q AS tsquery), :options) "
    "FROM search_documents WHERE tsv @@ CAST(:q AS tsquery) LIMIT 1"
)
_SURFACE_OPTIONS = (
    f"MaxFragments=1, MaxWords=3, MinWords=1, StartSel={MARK_START}, StopSel={MARK_END}"
)


def suggest(
    conn: sa.Connection,
    text: str,
    tree: syn.Node,
    normalised: dict[syn.Leaf, str],
    count: Callable[[str], int | None],
    found: int,
) -> str | None:
    """A corrected query string that finds more than ``found``, or None. ``count`` runs a
    query string with the search's filters (None when it cannot be run)."""
    words: dict[tuple[int, int], str] = {}
    for leaf in syn.leaves(tree):
        if not isinstance(leaf, syn.Term) or leaf.prefix or leaf.field not in (None, "text"):
            continue
        single = single_lexeme(normalised.get(leaf, ""))
        if single and single[1] in ("", "B") and leaf.start >= 0:
            words.setdefault((leaf.start, leaf.end), single[0])
    if not words:
        return None
    known = set(conn.execute(_KNOWN, {"words": list(set(words.values()))}).scalars())
    replacements: dict[tuple[int, int], str] = {}
    for span, lexeme in words.items():
        if len(replacements) >= MAX_WORDS_TO_FIX:
            break
        if lexeme in known:
            continue
        best = _closest(conn, lexeme)
        word = _surface_form(conn, best) if best else None
        if word and word != text[span[0] : span[1]].lower():
            replacements[span] = word
    if not replacements:
        return None
    corrected = text
    for (start, end), word in sorted(replacements.items(), reverse=True):
        corrected = corrected[:start] + word + corrected[end:]
    more = count(corrected)
    return corrected if more is not None and more > found else None


def _closest(conn: sa.Connection, lexeme: str) -> str | None:
    first = lexeme[0]
    params = {
        "low": first,
        "high": None if ord(first) in (0xD7FF, 0x10FFFF) else chr(ord(first) + 1),
        "shortest": max(1, len(lexeme) - MAX_DISTANCE),
        "longest": len(lexeme) + MAX_DISTANCE,
    }
    best: tuple[int, int, str] | None = None
    for candidate, ndoc in conn.execute(_CANDIDATES, params):
        distance = edit_distance(lexeme, candidate, MAX_DISTANCE)
        if distance <= MAX_DISTANCE:
            key = (distance, -ndoc, candidate)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def _surface_form(conn: sa.Connection, lexeme: str) -> str | None:
    params = {"q": quote(lexeme), "chars": _SURFACE_CHARS, "options": _SURFACE_OPTIONS}
    headline = conn.execute(_SURFACE, params).scalar()
    if not headline or MARK_START not in headline:
        return None
    word = headline.split(MARK_START, 1)[1].split(MARK_END, 1)[0].strip().lower()
    return word if syn.WORD.fullmatch(word) else None


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance with transpositions (optimal string alignment); any value over
    ``limit`` is returned as limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] | None = None
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, before[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)
