"""A link list's format (markdown, plain text, bookmarks) from its name, or a guess from its
text when the name does not tell. Its bytes become text in archiver/_charset.py."""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Kind", "kind_from_suffix", "sniff_kind"]

Kind = Literal["markdown", "text", "bookmarks"]

_SUFFIXES: dict[str, Kind] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".mkdn": "markdown",
    ".txt": "text",
    ".text": "text",
    ".list": "text",
    ".urls": "text",
    ".html": "bookmarks",
    ".htm": "bookmarks",
    ".xhtml": "bookmarks",
}


def kind_from_suffix(suffix: str) -> Kind | None:
    return _SUFFIXES.get(suffix.lower())


_NETSCAPE = re.compile(r"<!doctype\s+netscape-bookmark-file", re.I)
_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>])", re.I)
_MARKDOWN_LINK = re.compile(
    r"\]\(\s*<?[^\s)]|^ {0,3}\[[^\]\n]+\]:\s*\S|<[A-Za-z][\w+.\-]*:[^\s<>]*>", re.M
)
_HTML_LINK = re.compile(r"<a\s[^<>]*href\s*=", re.I)


def sniff_kind(text: str) -> Kind:
    """Bookmarks/HTML, markdown, or a plain list, from the first 64 kB."""
    head = text[:65536].lstrip("\ufeff")
    if _NETSCAPE.search(head[:4096]) or _HTML_START.match(head):
        return "bookmarks"
    # Markdown link syntax wins over inline <a href> since READMEs often contain both.
    if _MARKDOWN_LINK.search(head):
        return "markdown"
    if _HTML_LINK.search(head):
        return "bookmarks"
    return "text"
