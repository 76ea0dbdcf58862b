"""'Did you mean' for queries that find little.

Whoosh's corrector works on the index's terms, which are stems ("databas", "intern"), and
searcher.correct_query() pastes those stems into the query string. So each query word whose
stem is not in the index is corrected with Whoosh's ReaderCorrector (edit distance <= 2,
same first letter), and the stem it proposes is turned back into a word by reading one
occurrence of it from a document's stored text, using the stored character offsets. The
suggestion is offered only if it finds more than the original query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh import query as wq
from whoosh.reading import TermNotFound

from index.whoosh._analysis import TOKEN_PATTERN
from index.whoosh._parse import parse

FIELD = "text"
MAX_WORDS_TO_FIX = 4


def suggest(
    searcher: Any,
    q: Any,
    text: str,
    count: Callable[[Any], int],
    found: int,
) -> str | None:
    reader = searcher.reader()
    corrector = reader.corrector(FIELD)
    replacements: dict[tuple[int, int], str] = {}
    for leaf in q.leaves():
        if len(replacements) >= MAX_WORDS_TO_FIX:
            break
        if not isinstance(leaf, wq.Term) or leaf.fieldname != FIELD:
            continue
        start, end = getattr(leaf, "startchar", None), getattr(leaf, "endchar", None)
        if start is None or end is None or (start, end) in replacements:
            continue
        if (FIELD, leaf.text) in reader or not TOKEN_PATTERN.fullmatch(text[start:end]):
            continue
        candidates = corrector.suggest(leaf.text, limit=1, maxdist=2, prefix=1)
        if not candidates:
            continue
        word = _surface_form(searcher, candidates[0])
        if word and word != text[start:end].lower():
            replacements[(start, end)] = word
    if not replacements:
        return None
    corrected = text
    for (start, end), word in sorted(replacements.items(), reverse=True):
        corrected = corrected[:start] + word + corrected[end:]
    parsed = parse(corrected)
    if not parsed.searchable or count(parsed.query) <= found:
        return None
    return corrected


def _surface_form(searcher: Any, stem: str) -> str | None:
    """A word as written in some document whose stem is ``stem``."""
    try:
        matcher = searcher.postings(FIELD, stem)
    except TermNotFound:
        return None
    if not matcher.is_active():
        return None
    docnum = matcher.id()
    spans = matcher.value_as("characters")
    if not spans:
        return None
    _pos, start, end = spans[0]
    stored = searcher.stored_fields(docnum).get(FIELD) or ""
    word = stored[start:end].lower()
    return word or None
