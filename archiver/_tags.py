"""What HTML elements mean to the structure walk: dropped, containers, blocks, styles, and
the page furniture (heading permalinks, emoji, layout tables) that is not the article's."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

# Dropped with everything inside: never visible, live, or interactive.
SKIP = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "embed",
        "applet",
        "form",
        "input",
        "button",
        "select",
        "textarea",
        "svg",
        "math",
        "canvas",
        "video",
        "audio",
        "source",
        "track",
        "map",
        "area",
        "dialog",
        "head",
        "title",
        "meta",
        "link",
        "base",
        "frame",
        "frameset",
        "clipboard-copy",
        "nav",
    ]
)
CONTAINERS = frozenset(
    [
        "body",
        "html",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "center",
        "details",
        "summary",
        "hgroup",
        "address",
        "fieldset",
        "legend",
    ]
)
HEADINGS = {f"h{n}": n for n in range(1, 7)}
STYLES = {
    "em": "em",
    "i": "em",
    "cite": "em",
    "var": "em",
    "dfn": "em",
    "strong": "strong",
    "b": "strong",
    "del": "del",
    "s": "del",
    "strike": "del",
    "sub": "sub",
    "sup": "sup",
}
INLINE_CODE = frozenset({"code", "kbd", "samp", "tt"})
# Heading permalinks: Sphinx's "¶", MkDocs' "¶", GitHub's and Docusaurus' "#", "🔗", "§".
_ANCHOR_TEXT = frozenset({"", "¶", "#", "§", "🔗", "link", "permalink", "anchor"})
_ANCHOR_CLASSES = re.compile(
    r"\b(?:headerlink|header-link|heading-anchor|anchor-link|anchorjs-link|hash-link"
    r"|anchor|permalink|direct-link)\b"
)
EMOJI_CLASSES = re.compile(r"\b(?:emoji|wp-smiley|twemoji)\b")


BLOCK_TAGS = frozenset(
    [
        "p",
        "pre",
        "ul",
        "ol",
        "menu",
        "dl",
        "blockquote",
        "table",
        "figure",
        "hr",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ]
)


# Custom elements (GitHub's <markdown-accessiblity-table>) and inline elements misused as
# wrappers: containers when blocks are inside.
_BLOCK_INSIDE = etree.XPath(
    "boolean(.//*[self::p or self::div or self::table or self::pre or self::ul or self::ol"
    " or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    " or self::blockquote or self::figure or self::dl])"
)


def holds_blocks(element: Any, tag: str) -> bool:
    return (tag in ("a", "span", "font") or "-" in tag) and bool(_BLOCK_INSIDE(element))


# A cell holding headings, tables, sections or divs is page layout, not data.
LAYOUT_CELL = etree.XPath(
    "boolean(.//*[self::td or self::th]//*[self::h1 or self::h2 or self::h3 or self::h4 or"
    " self::h5 or self::h6 or self::table or self::blockquote or self::article or"
    " self::section or self::div or self::pre])"
)
OWN_CELLS = "./tr/td|./tr/th|./*/tr/td|./*/tr/th"


def enclosing_table(row: Any) -> Any:
    parent = row.getparent()
    while (
        parent is not None
        and (parent.tag if isinstance(parent.tag, str) else "").lower() != "table"
    ):
        parent = parent.getparent()
    return parent


def is_anchor(element: Any, href: str) -> bool:
    """A heading's permalink, which is page furniture, not part of the heading."""
    classes = element.get("class")
    furniture = bool(classes) and _ANCHOR_CLASSES.search(classes.lower()) is not None
    if not furniture and not href.startswith("#"):
        return False  # most links: no need for their text
    text = element.text_content().strip()
    if furniture:
        return href.startswith("#") or text in _ANCHOR_TEXT
    return text.lower() in _ANCHOR_TEXT
