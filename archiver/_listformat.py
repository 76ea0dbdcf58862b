"""A link list's format (markdown, plain text, bookmarks) from its name, or a guess from its
text when the name does not tell; exports of other tools (browsers' bookmark JSON, Pocket,
Instapaper and Raindrop CSV, Pinboard, Karakeep, Linkwarden, wallabag and Omnivore JSON) by
their content. Its bytes become text in archiver/_charset.py."""

from __future__ import annotations

import re
import typing
from typing import Literal

from archiver._csv_exports import INSTAPAPER_HEADER, POCKET_HEADER, RAINDROP_HEADER, header_of

__all__ = ["KINDS", "Kind", "export_kind", "kind_from_suffix", "sniff_kind"]

Kind = Literal[
    "markdown",
    "text",
    "bookmarks",
    "chrome",
    "firefox",
    "pocket",
    "instapaper",
    "wallabag",
    "omnivore",
    "raindrop",
    "pinboard",
    "karakeep",
    "linkwarden",
]
KINDS: tuple[Kind, ...] = typing.get_args(Kind)

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


_JSON_KEY = r'\{[^{}]*?"%s"\s*:'
_CHROME = re.compile(_JSON_KEY % "roots")
_FIREFOX = re.compile(r'"type"\s*:\s*"text/x-moz-place|"typeCode"\s*:')
# The key each export starts with, at its top level: Karakeep's {"bookmarks": [...]}, the
# user record Linkwarden's backup is, with its "collections"; Pinboard's first post's "href".
_KARAKEEP = re.compile(r'\{\s*"bookmarks"\s*:\s*\[')
_LINKWARDEN = re.compile(r'\{[^{}]*?"collections"\s*:\s*\[')
_PINBOARD = re.compile(r'\[\s*\{[^{}]*?"href"\s*:')


# Keys of the first entry of a JSON array: wallabag's (`given_url` and `origin_url` come
# before the article's `content`, the rest after it; older versions had neither, and a long
# article pushes the others past the head) and Omnivore's metadata files'.
_WALLABAG = re.compile(r'"(?:given_url|origin_url|is_archived|reading_time|domain_name)"\s*:')
_URL_KEY = re.compile(r'"url"\s*:')
_CONTENT_KEY = re.compile(r'"content"\s*:')
_OMNIVORE_SLUG = re.compile(r'"slug"\s*:')
_OMNIVORE_SAVED = re.compile(r'"(?:savedAt|readingProgress)"\s*:')


def _array_kind(head: str) -> Kind | None:
    """A JSON array export, by the keys its first entries have."""
    if _OMNIVORE_SLUG.search(head) and _OMNIVORE_SAVED.search(head):
        return "omnivore"
    if _WALLABAG.search(head) or (_URL_KEY.search(head) and _CONTENT_KEY.search(head)):
        return "wallabag"
    return None


def export_kind(text: str) -> Kind | None:
    """Another tool's export, recognised by its content whatever the file is called."""
    head = text[:65536].lstrip("\ufeff").lstrip()
    if head.startswith("["):
        # Pinboard's posts name their address "href"; wallabag's and Omnivore's entries
        # never do (an article's links are inside an escaped HTML string, `href=\"`).
        return "pinboard" if _PINBOARD.match(head) else _array_kind(head)
    if head.startswith("{"):
        if _FIREFOX.search(head[:4096]):
            return "firefox"
        if _CHROME.match(head):
            return "chrome"
        if _KARAKEEP.match(head):
            return "karakeep"
        if _LINKWARDEN.match(head):
            return "linkwarden"
        return None
    # By the columns named, not their order: Pocket's exports of late 2024 had a `cursor`
    # column between time_added and tags (karakeep-app/karakeep#570).
    header = set(header_of(head[:4096]))
    if header >= POCKET_HEADER:
        return "pocket"
    if header >= INSTAPAPER_HEADER:
        return "instapaper"
    if header >= RAINDROP_HEADER:
        return "raindrop"
    return None


def sniff_kind(text: str) -> Kind:
    """Another tool's export, bookmarks/HTML, markdown, or a plain list, from the first 64 kB."""
    exported = export_kind(text)
    if exported is not None:
        return exported
    head = text[:65536].lstrip("\ufeff")
    if _NETSCAPE.search(head[:4096]) or _HTML_START.match(head):
        return "bookmarks"
    # Markdown link syntax wins over inline <a href> since READMEs often contain both.
    if _MARKDOWN_LINK.search(head):
        return "markdown"
    if _HTML_LINK.search(head):
        return "bookmarks"
    return "text"
