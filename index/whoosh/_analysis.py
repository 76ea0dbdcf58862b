"""Text analysis: one definition of a "word", used both by Whoosh's analyzer chain (queries,
titles) and by a fused fast path that indexes article text.

Whoosh analyses text one Token object at a time through four generator filters; for an 8 KB
article that was a third of the indexing cost, so the ``text`` field's format runs the same
steps in one loop. ``tests/index/test_analysis.py`` checks that both paths agree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from whoosh import analysis, formats
from whoosh.lang.porter import stem
from whoosh.system import pack_uint

from index._codewords import is_plain, slots, whole
from index._stopwords import MIN_WORD_CHARS, STOP_WORDS, is_searched
from index._syntax import WORD

# Whoosh's default word pattern without "*" (asterisks in archived text, "**bold**", are not
# part of words, and "*" in a query means a prefix search), and with "/" joining like ".", so
# a path is one identifier (index/_codewords.py cuts it into its parts).
TOKEN_PATTERN = WORD
# Section names are labels: Whoosh's pattern without "*", as before code words.
LABEL_PATTERN = re.compile(r"\w+(?:\.\w+)*", re.UNICODE)


@functools.lru_cache(maxsize=200_000)
def cached_stem(word: str) -> str:
    # functools' cache is thread-safe and C-fast; Whoosh's LFU cache is neither.
    return str(stem(word))


class _StemFilter(analysis.StemFilter):
    def clear(self) -> None:
        self._stem = cached_stem


class CodeWordFilter(analysis.Filter):
    """Lowercase and drop stop words and one-letter words, as Whoosh's LowercaseFilter and
    StopFilter (positions renumbered so dropped words leave no gap), with code words: when
    indexing, each word becomes its slots (index/_codewords.py), the units of a slot at one
    position; in a query a word is its whole."""

    def __call__(self, tokens: Iterator[Any]) -> Iterator[Any]:
        pos: int | None = None
        for t in tokens:
            raw = t.text
            if t.mode != "index" or is_plain(raw):
                word = whole(raw) if t.mode != "index" else raw.lower()
                units = [[(word, 0, len(raw))]]
            else:
                units = slots(raw)
            base = t.startchar if t.chars else 0
            first_pos = t.pos if t.positions else 0
            for slot in units:
                kept = [unit for unit in slot if is_searched(unit[0])]
                if not kept:
                    if not t.removestops:
                        for text, _start, _end in slot:
                            t.text, t.stopped = text, True
                            yield t
                    continue
                if t.positions:
                    pos = first_pos if pos is None else pos + 1
                for text, start, end in kept:
                    t.text, t.stopped = text, False
                    if t.positions:
                        t.pos = pos
                    if t.chars:
                        t.startchar, t.endchar = base + start, base + end
                    yield t


def text_analyzer() -> Any:
    """Tokenize, lowercase, code words, drop stop words and one-letter words, Porter-stem."""
    return (
        analysis.RegexTokenizer(expression=TOKEN_PATTERN)
        | CodeWordFilter()
        | _StemFilter(stemfn=stem)
    )


def label_analyzer() -> Any:
    # Section names are short labels: no stemming or stop words, `section:tools` means tools.
    return analysis.RegexTokenizer(expression=LABEL_PATTERN) | analysis.LowercaseFilter()


def index_terms(text: str) -> dict[str, list[tuple[int, int, int]]]:
    """term -> [(position, startchar, endchar)], exactly as text_analyzer() would produce.

    Whoosh's StopFilter renumbers positions so that dropped words leave no gap, starting from
    the position of the first kept word; this does the same so phrase queries line up.
    """
    stops = STOP_WORDS
    stem_ = cached_stem
    seen: dict[str, list[tuple[int, int, int]]] = {}
    pos = -1
    for index, match in enumerate(TOKEN_PATTERN.finditer(text)):
        raw = match.group()
        # Most words are plain: tested inline first (two C calls), is_plain() for the rest.
        if not (raw.isalnum() and (raw.islower() or raw[1:].islower())) and not is_plain(raw):
            pos = _add_slots(seen, raw, match.start(), index, pos)
            continue
        word = raw.lower()
        if len(word) < MIN_WORD_CHARS or word in stops:
            continue
        pos = index if pos < 0 else pos + 1
        term = stem_(word)
        entry = (pos, match.start(), match.end())
        found = seen.get(term)
        if found is None:
            seen[term] = [entry]
        else:
            found.append(entry)
    return seen


def _add_slots(
    seen: dict[str, list[tuple[int, int, int]]], raw: str, base: int, index: int, pos: int
) -> int:
    """index_terms() for an identifier: its slots, as CodeWordFilter positions them."""
    for slot in slots(raw):
        kept = [unit for unit in slot if is_searched(unit[0])]
        if not kept:
            continue
        pos = index if pos < 0 else pos + 1
        for text, start, end in kept:
            seen.setdefault(cached_stem(text), []).append((pos, base + start, base + end))
    return pos


def _encode(poslist: list[tuple[int, int, int]]) -> bytes:
    # Same bytes as formats.Characters.encode, which readers decode.
    deltas = []
    posbase = charbase = 0
    for pos, startchar, endchar in poslist:
        deltas.append((pos - posbase, startchar - charbase, endchar - startchar))
        posbase = pos
        charbase = endchar
    return bytes(pack_uint(len(deltas))) + _dumps(deltas)


def _dumps(value: object) -> bytes:
    import pickle

    return pickle.dumps(value, 2)


class FastCharacters(formats.Characters):
    """Characters format whose indexing skips the Token pipeline (see module docstring)."""

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[Any]:
        if not isinstance(value, str) or kwargs.get("mode", "index") != "index":
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        for term, poslist in index_terms(value).items():
            yield (term, len(poslist), len(poslist) * boost, _encode(poslist))
