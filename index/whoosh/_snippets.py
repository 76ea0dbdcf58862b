"""HTML snippets from the character offsets stored in the postings.

Whoosh's Highlighter only takes its no-re-analysis ("pinpoint") path when the search recorded
matched terms for every matching document (terms=True, a Python callback per match). Here the
offsets are read from the postings for just the hits on the page, then Whoosh's
PinpointFragmenter, fragment scorer and a Formatter that escapes everything build the snippet.
The document text is never re-analysed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from whoosh import highlight
from whoosh.analysis import Token

from index._text import ELLIPSIS, escape, lead
from index.whoosh._postings import read_postings

# Matches beyond this many per document add nothing to a three-fragment snippet.
MAX_MATCHES_PER_DOC = 2000


class MarkFormatter(highlight.Formatter):
    """Escapes all text and wraps matches in <mark>; safe to insert into HTML as is."""

    between = f" {ELLIPSIS} "

    def _text(self, text: str) -> str:
        return escape(text)

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"

    def format(self, fragments: list[Any], replace: bool = False) -> str:
        parts = (self.format_fragment(f, replace=replace).strip() for f in fragments)
        return self.between.join(p for p in parts if p)


_FORMATTER = MarkFormatter()
_SCORER = highlight.BasicFragmentScorer()


def load_offsets(
    searcher: Any, fieldname: str, terms: Iterable[bytes], docnums: Sequence[int]
) -> dict[int, list[tuple[int, int]]]:
    """docnum -> sorted [(startchar, endchar)] of the given terms, read from the postings."""
    spans: dict[int, list[tuple[int, int]]] = {d: [] for d in docnums}
    terms = list(terms)
    decode = searcher.schema[fieldname].format.decode_characters
    for sub, offset in searcher.leaf_searchers():
        leaf = sub.reader()
        local = sorted(d - offset for d in spans if offset <= d < offset + leaf.doc_count_all())
        if not local:
            continue
        for btext in terms:
            post = read_postings(leaf, fieldname, btext, values=True, within=local)
            for docnum, value in zip(post.ids, post.values or (), strict=True):
                found = spans[docnum + offset]
                if len(found) < MAX_MATCHES_PER_DOC:
                    found.extend((sc, ec) for _pos, sc, ec in decode(value))
    for found in spans.values():
        found.sort()
    return spans


def make_snippet(text: str, spans: Sequence[tuple[int, int]], fragments: int, chars: int) -> str:
    """Up to ``fragments`` passages, about ``chars`` characters in all, matches marked."""
    if not text:
        return ""
    if not spans or fragments < 1:
        return lead(text, chars)
    # Candidate passages are built around clusters of matches with a share of the budget, the
    # best are kept in document order, then widened to use the rest of the budget.
    share = max(40, chars // fragments)
    tokens = [Token(startchar=sc, endchar=ec, text=text[sc:ec], boost=1.0) for sc, ec in spans]
    fragmenter = highlight.PinpointFragmenter(maxchars=share, surround=share // 4, charlimit=None)
    candidates = fragmenter.fragment_matches(text, _dedupe(tokens))
    best = highlight.top_fragments(candidates, fragments, _SCORER, highlight.FIRST)
    if not best:
        return lead(text, chars)
    _widen(best, text, chars)
    merged = _merge(best)
    out = _FORMATTER.format(merged)
    if merged[0].startchar > 0:
        out = f"{ELLIPSIS} {out}"
    if merged[-1].endchar < len(text):
        out = f"{out} {ELLIPSIS}"
    return str(out)


def _dedupe(tokens: list[Any]) -> list[Any]:
    # The same characters can match twice (a term and a prefix expansion of it).
    kept: list[Any] = []
    for token in tokens:
        if kept and token.startchar < kept[-1].endchar:
            continue
        token.matched = True
        kept.append(token)
    return kept


def _widen(fragments: list[Any], text: str, chars: int) -> None:
    used = sum(f.endchar - f.startchar for f in fragments)
    extra = max(0, chars - used) // (2 * len(fragments))
    for f in fragments:
        start = max(0, f.startchar - extra)
        end = min(len(text), f.endchar + extra)
        # Snap to word boundaries so passages do not start or end mid-word.
        if start > 0:
            space = text.find(" ", start, f.matches[0].startchar if f.matches else f.startchar)
            start = space + 1 if space != -1 else start
        if end < len(text):
            last = f.matches[-1].endchar if f.matches else f.endchar
            space = text.rfind(" ", last, end)
            end = space if space != -1 else end
        f.startchar, f.endchar = start, end


def _merge(fragments: list[Any]) -> list[Any]:
    merged: list[Any] = []
    for f in sorted(fragments, key=lambda f: f.startchar):
        if merged and f.startchar <= merged[-1].endchar:
            prev = merged[-1]
            prev.endchar = max(prev.endchar, f.endchar)
            prev.matches = sorted(prev.matches + f.matches, key=lambda t: t.startchar)
        else:
            merged.append(f)
    return merged
