"""Snippet text as both backends render it: whitespace folded, HTML-escaped, "…" between."""

from __future__ import annotations

import html
import re

ELLIPSIS = "\u2026"
_SPACE = re.compile(r"\s+")


def escape(text: str) -> str:
    """Runs of whitespace folded to one space, then HTML-escaped."""
    return html.escape(_SPACE.sub(" ", text))


def lead(text: str, chars: int) -> str:
    """The start of the text, cut at a word boundary: for hits that matched elsewhere."""
    if len(text) <= chars:
        return escape(text).strip()
    cut = text.rfind(" ", 0, chars)
    cut = cut if cut > chars // 2 else chars
    return f"{escape(text[:cut]).strip()} {ELLIPSIS}"
