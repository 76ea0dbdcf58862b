"""An HTML page's article as a `Document`: headings, paragraphs, lists, tables, figures, code.

One walk over the page's own DOM (after `_html` dropped scripts, styles, SVG and navs) turns
the markup into blocks of the closed vocabulary in archiver/document.py; `_tags` says what
each element is, `_inline_runs` collapses whitespace as a browser does, `_code` reads code
blocks byte-exact and `_figure_source` picks each figure's image. Which blocks are the article is
trafilatura's decision, read back from the text it kept (`_article.keep`): trafilatura's
own structured output mangles code and resolves links against the site root, and running it
a second time for the structure would double the extraction cost.

Bounded: at most MAX_ELEMENTS elements are visited and nesting beyond MAX_NESTING is
flattened, so a huge or hostile page costs a bounded walk and never hits the recursion limit.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from archiver._article import Article, keep
from archiver._code import code_block, is_code_table
from archiver._figure_source import image_src
from archiver._inline_runs import SPACES, has_text, merge, split_paragraphs
from archiver._tags import (
    BLOCK_TAGS,
    CONTAINERS,
    EMOJI_CLASSES,
    HEADINGS,
    INLINE_CODE,
    LAYOUT_CELL,
    OWN_CELLS,
    SKIP,
    STYLES,
    enclosing_table,
    holds_blocks,
    is_anchor,
)
from archiver.document import Block, Document, DocumentError, Inline, is_web_url

MAX_ELEMENTS = 60_000
MAX_NESTING = 24  # blocks inside blocks, and styles inside styles; the Document allows 64
MAX_WRAPPERS = 200  # divs inside divs: real pages nest 30 deep, hostile ones thousands


def document_from_html(
    tree: lxml.html.HtmlElement, url: str | None, article_text: str | None
) -> Document | None:
    """The article of a parsed page, or None when there is none; never raises.

    `article_text` is the text trafilatura kept: only blocks found in it stay (None: all).
    """
    try:
        body = tree.find("body") if tree.tag == "html" else tree
        if body is None:
            body = tree
        article = Article(article_text) if article_text is not None else None
        # Skipping chrome pays when there is much of it; on a lean page the test costs more.
        page_chars = body.xpath("string-length(.)")
        lean = isinstance(page_chars, float) and page_chars < 1.5 * len(article_text or "")
        walker = _Walker(_base_url(tree, url), article, prune=not lean)
        blocks = walker.blocks(body, 0)
        if article is not None:
            blocks = keep(blocks, article)
        if not blocks:
            return None
        doc = Document(blocks)
        return Document.from_data(doc.to_data())  # the vocabulary is the contract
    except (DocumentError, RecursionError, ValueError, TypeError):
        return None


def _base_url(tree: lxml.html.HtmlElement, url: str | None) -> str:
    base = url or ""
    found = tree.find(".//base[@href]")
    if found is not None:
        base = urljoin(base, (found.get("href") or "").strip())
    return base


def _tag(element: Any) -> str:
    tag = element.tag
    return tag if isinstance(tag, str) else ""  # lxml.html gives tags in lower case


def _classes(element: Any) -> str:
    return (element.get("class") or "").lower()


class _Walker:
    def __init__(self, base: str, article: Article | None, prune: bool) -> None:
        self.base = base
        self.article = article if prune else None  # for pruning; keep() judges all anyway
        parts = urlsplit(base)
        # "/path" links are most of a page's links; urljoin costs 20 us each.
        self.origin = f"{parts.scheme}://{parts.netloc}" if is_web_url(base) else ""
        self.budget = MAX_ELEMENTS
        self.stack = 0  # containers inside containers, which `depth` does not count
        # Images met inside inline content; they become figures after the enclosing block.
        self.pending: list[Block] = []

    # --- blocks ---------------------------------------------------------------------------

    def blocks(self, element: Any, depth: int) -> list[Block]:
        """The blocks inside `element`; loose inline content becomes paragraphs."""
        if self.stack >= MAX_WRAPPERS:
            text = SPACES.sub(" ", element.text_content()).strip()
            return [{"t": "p", "c": [text]}] if text else []
        self.stack += 1
        try:
            return self._blocks(element, depth)
        finally:
            self.stack -= 1

    def _blocks(self, element: Any, depth: int) -> list[Block]:
        out: list[Block] = []
        inline: list[Inline] = []

        def flush() -> None:
            if not self.pending and all(isinstance(n, str) and n.isspace() for n in inline):
                inline.clear()  # the newlines between blocks, most of the calls
                return
            for content in split_paragraphs(merge(inline)):
                if has_text(content):
                    out.append({"t": "p", "c": content})
            inline.clear()
            if self.pending:
                out.extend(self.pending)
                self.pending = []

        if element.text:
            inline.append(element.text)
        # A lone child of a wrapper was judged with its parent.
        prune = self.article is not None and self.stack <= _PRUNE_DEPTH and len(element) > 1
        for child in element:
            self.budget -= 1
            if self.budget < 0:
                break
            tag = _tag(child)
            if not tag or tag in SKIP or child.get("hidden") is not None:
                pass
            elif tag in BLOCK_TAGS or tag in CONTAINERS or holds_blocks(child, tag):
                flush()
                if tag in BLOCK_TAGS or not prune or self._may_hold_article(child):
                    out.extend(self.block(child, tag, depth))
            else:
                inline.extend(self.inlines(child, tag, depth))
            if child.tail:
                inline.append(child.tail)
        flush()
        return out

    def block(self, element: Any, tag: str, depth: int) -> list[Block]:
        if depth >= MAX_NESTING:
            text = SPACES.sub(" ", element.text_content()).strip()
            return [{"t": "p", "c": [text]}] if text else []
        if tag in CONTAINERS or tag not in BLOCK_TAGS:
            return self.blocks(element, depth)
        if tag in HEADINGS:
            content = merge(self.children(element, depth))
            if not has_text(content):
                return self._take_pending()
            return [{"t": "h", "level": HEADINGS[tag], "c": content}, *self._take_pending()]
        if tag == "p":
            content = merge(self.children(element, depth))
            para: list[Block] = [{"t": "p", "c": content}] if has_text(content) else []
            return para + self._take_pending()
        if tag == "pre":
            code = code_block(element)
            return [code] if code["text"].strip() else []
        if tag in ("ul", "ol", "menu"):
            return self.list_block(element, tag, depth)
        if tag == "dl":
            return self.definitions(element, depth)
        if tag == "blockquote":
            inner = self.blocks(element, depth + 1)
            return [{"t": "quote", "c": inner}] if inner else []
        if tag == "table":
            return self.table(element, depth)
        if tag in ("figure", "picture", "img"):
            return self.figure(element, tag, depth)
        if tag == "hr":
            return [{"t": "hr"}]
        if tag == "li":  # a stray item outside a list
            return self.blocks(element, depth + 1)
        return self.blocks(element, depth)

    def _may_hold_article(self, element: Any) -> bool:
        # Only near the top: deeper down the containers are small and the walk is cheap.
        assert self.article is not None
        # Code trafilatura dropped (link-dense line anchors) is judged after the walk.
        return self.article.may_hold(element.text_content()) or _HOLDS_CODE(element)

    def _take_pending(self) -> list[Block]:
        pending, self.pending = self.pending, []
        return pending

    def list_block(self, element: Any, tag: str, depth: int) -> list[Block]:
        items: list[list[Block]] = []
        for child in element:
            child_tag = _tag(child)
            if child_tag == "li":
                item = self.blocks(child, depth + 1)
                if item:
                    items.append(item)
            elif child_tag in ("ul", "ol"):  # a nested list written without its <li>
                nested = self.list_block(child, child_tag, depth + 1)
                if nested and items:
                    items[-1].extend(nested)
                elif nested:
                    items.append(nested)
        if not items:
            return []
        if tag == "ol":
            try:
                start = int(element.get("start") or 1)
            except ValueError:
                start = 1
            return [{"t": "ol", "items": items, "start": max(-(10**9), min(start, 10**9))}]
        return [{"t": "ul", "items": items}]

    def definitions(self, element: Any, depth: int) -> list[Block]:
        entries: list[dict[str, Any]] = []
        children = list(element)
        # <div> wrappers around dt/dd pairs are allowed by HTML.
        flat: list[Any] = []
        for child in children:
            flat.extend(list(child) if _tag(child) == "div" else [child])
        for child in flat:
            child_tag = _tag(child)
            if child_tag == "dt":
                entries.append({"term": merge(self.children(child, depth)), "defs": []})
            elif child_tag == "dd":
                definition = self.blocks(child, depth + 1)
                if not entries:
                    entries.append({"term": [], "defs": []})
                if definition:
                    entries[-1]["defs"].append(definition)
        return [{"t": "dl", "items": entries}] if entries else []

    def table(self, element: Any, depth: int) -> list[Block]:
        if is_code_table(element):
            return [code_block(element)]
        if LAYOUT_CELL(element):
            # Old templates lay whole pages out in tables: their cells are containers.
            return [
                block for cell in element.xpath(OWN_CELLS) for block in self.blocks(cell, depth + 1)
            ]
        head: list[list[list[Inline]]] = []
        body: list[list[list[Inline]]] = []
        for row in element.iter("tr"):
            self.budget -= 1
            if self.budget < 0:
                break
            # Rows of tables nested inside cells belong to those tables.
            if enclosing_table(row) is not element:
                continue
            cells = [cell for cell in row if _tag(cell) in ("td", "th")]
            if not cells:
                continue
            in_head = _tag(row.getparent()) == "thead" or all(_tag(c) == "th" for c in cells)
            converted = [merge(self.children(cell, depth + 1)) for cell in cells]
            (head if in_head and not body else body).append(converted)
        self.pending = []  # images in cells are decoration (icons, flags) more often than not
        if not head and not body:
            return []
        return [{"t": "table", "head": head, "body": body}]

    def figure(self, element: Any, tag: str, depth: int) -> list[Block]:
        img = element if tag == "img" else element.find(".//img")
        picture = element if tag == "picture" else element.find(".//picture")
        src = image_src(img, picture, self.base)
        caption: list[Inline] = []
        if tag == "figure":
            figcaption = element.find(".//figcaption")
            if figcaption is not None:
                caption = merge(self.children(figcaption, depth + 1))
                self.pending = []
        if src is None:
            # A <figure> may hold a table, a quote or code instead of an image.
            if tag == "figure":
                inner = [
                    b
                    for child in element
                    if _tag(child) not in ("figcaption", "img", "picture")
                    for b in self.block(child, _tag(child) or "div", depth + 1)
                ]
                return inner + ([{"t": "p", "c": caption}] if has_text(caption) else [])
            return []
        alt = SPACES.sub(" ", (img.get("alt") if img is not None else "") or "").strip()
        return [{"t": "figure", "src": src, "alt": alt, "caption": caption, "image": None}]

    # --- inlines --------------------------------------------------------------------------

    def children(self, element: Any, depth: int) -> list[Inline]:
        out: list[Inline] = []
        if element.text:
            out.append(element.text)
        for child in element:
            self.budget -= 1
            if self.budget < 0:
                break
            tag = _tag(child)
            if tag and tag not in SKIP and child.get("hidden") is None:
                out.extend(self.inlines(child, tag, depth))
            if child.tail:
                out.append(child.tail)
        return out

    def inlines(self, element: Any, tag: str, depth: int) -> list[Inline]:
        if depth >= MAX_NESTING:
            return [element.text_content()]
        if tag == "br":
            return [{"t": "br"}]
        if tag in INLINE_CODE:
            text = SPACES.sub(" ", element.text_content())
            return [{"t": "code", "text": text}] if text.strip() else [text]
        if tag in ("img", "picture"):
            return self._inline_image(element, tag)
        if tag == "a":
            return self._link(element, depth)
        if tag in BLOCK_TAGS:  # a block inside inline content: keep its words apart
            return [" ", *self.children(element, depth + 1), " "]
        inner = self.children(element, depth + 1)
        style = STYLES.get(tag)
        if style is None:
            return inner
        content = merge(inner)
        if not has_text(content):
            return inner
        # Spaces at the edges of a styled run stay outside it.
        lead = " " if inner and isinstance(inner[0], str) and inner[0][:1].isspace() else ""
        last = inner[-1] if inner else ""
        trail = " " if isinstance(last, str) and last[-1:].isspace() else ""
        return [lead, {"t": style, "c": content}, trail]

    def _link(self, element: Any, depth: int) -> list[Inline]:
        href = (element.get("href") or "").strip()
        if is_anchor(element, href):
            return []
        inner = self.children(element, depth + 1)
        target = self._absolute(href)
        content = merge(inner)
        if not is_web_url(target) or not has_text(content):
            return inner  # javascript:, data:, mailto: and friends stay as their text
        lead = " " if inner and isinstance(inner[0], str) and inner[0][:1].isspace() else ""
        last = inner[-1] if inner else ""
        trail = " " if isinstance(last, str) and last[-1:].isspace() else ""
        return [lead, {"t": "a", "href": target, "c": content}, trail]

    def _absolute(self, href: str) -> str:
        if href.startswith(("https://", "http://")) and not _NEEDS_JOIN.search(href):
            return href
        if self.origin and href.startswith("/") and not _NEEDS_JOIN.search(href):
            return self.origin + href
        return urljoin(self.base, href) if href else ""

    def _inline_image(self, element: Any, tag: str) -> list[Inline]:
        img = element if tag == "img" else element.find(".//img")
        if img is not None and EMOJI_CLASSES.search(_classes(img)):
            return [img.get("alt") or ""]
        self.pending.extend(self.figure(element, tag, MAX_NESTING - 1))
        return []


# What urljoin would change: dot segments, scheme-relative "//host", backslashes, spaces.
_NEEDS_JOIN = re.compile(r"/\.|^//|\\|\s")
_PRUNE_DEPTH = 6
_HOLDS_CODE = etree.XPath("boolean(.//pre)")
