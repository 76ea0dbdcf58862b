"""Snippets from ts_headline(): marked with sentinels, then escaped, then the sentinels become
<mark>, so the snippet is safe HTML exactly as the Whoosh backend's (index/whoosh/_snippets.py).

ts_headline() returns the document's own characters (it never escapes anything), with
private-use sentinels around matches and between passages. Three things are done to the text
it is given and undone after: "<" is swapped for a sentinel (PostgreSQL's parser would take
"<b>" in an article for markup and drop it from the headline), "." and "/" too (so that
the parts of `sys.getsizeof` and `Python/ceval.c` can be marked), and whitespace is collapsed.
Passages get a leading or trailing "…" when they do not start or end the text, as on Whoosh.
"""

from __future__ import annotations

from index._text import ELLIPSIS, escape, lead
from index.postgres._tables import DOT, FRAGMENT_SEP, LT, MARK_END, MARK_START, SLASH

# Enough of the text's start and end to tell whether a passage touches them, and for a
# snippet of the first snippet_chars characters (at most 2,000).
EDGE_CHARS = 4_000
# An English word and its space: ~6 characters, to turn snippet_chars into ts_headline words.
_CHARS_PER_WORD = 6


def headline_options(fragments: int, chars: int) -> str:
    share = max(40, chars // fragments)
    max_words = max(3, share // _CHARS_PER_WORD)
    min_words = max(1, max_words // 3)
    return (
        f"MaxFragments={fragments}, MaxWords={max_words}, MinWords={min_words}, "
        f"StartSel={MARK_START}, StopSel={MARK_END}, FragmentDelimiter={FRAGMENT_SEP}"
    )


def _restore(fragment: str) -> str:
    return fragment.replace(LT, "<").replace(DOT, ".").replace(SLASH, "/")


def _plain(fragment: str) -> str:
    return _restore(fragment.replace(MARK_START, "").replace(MARK_END, ""))


def _render(fragment: str) -> str:
    text = escape(_restore(fragment)).strip()
    if text.count(MARK_START) != text.count(MARK_END):
        return text.replace(MARK_START, "").replace(MARK_END, "")
    return text.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def make_snippet(headline: str | None, start: str, end: str, chars: int) -> str:
    """The snippet of a hit: ``headline`` from ts_headline (None when nothing in the text
    matched or no passages were asked for), ``start`` and ``end`` the text's first and last
    EDGE_CHARS characters."""
    if not headline or MARK_START not in headline:
        return lead(start, chars)
    fragments = [f for f in headline.split(FRAGMENT_SEP) if _plain(f).strip()]
    if not fragments:
        return lead(start, chars)
    out = f" {ELLIPSIS} ".join(part for part in map(_render, fragments) if part)
    if not _same_start(_plain(fragments[0]).lstrip(), start.lstrip()):
        out = f"{ELLIPSIS} {out}"
    if not _same_end(_plain(fragments[-1]).rstrip(), end.rstrip()):
        out = f"{out} {ELLIPSIS}"
    return out


def _same_start(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _same_end(a: str, b: str) -> bool:
    n = min(len(a), len(b))
    return a[len(a) - n :] == b[len(b) - n :]
