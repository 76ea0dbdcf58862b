"""The structured copy of an article: what the reader shows, kept per snapshot beside the text.

A `Document` is plain data (JSON), never markup from the page: a list of blocks made of a
small, closed vocabulary, each node a dict whose ``"t"`` says what it is. Anything else is
refused by `Document.from_data` (a restored export is untrusted input). Renderers (HTML,
Markdown) build their output from this tree and escape every string; links and images are
absolute http(s) URLs only.

Blocks::

    {"t": "h", "level": 1..6, "c": [inline]}                  heading
    {"t": "p", "c": [inline]}                                 paragraph
    {"t": "pre", "text": "...", "lang": "python" | None}      code block, byte-exact
    {"t": "ul", "items": [[block]]}                           unordered list
    {"t": "ol", "items": [[block]], "start": 1}               ordered list
    {"t": "dl", "items": [{"term": [inline], "defs": [[block]]}]}
    {"t": "quote", "c": [block]}                              block quote
    {"t": "table", "head": [row], "body": [row]}              row = [cell], cell = [inline]
    {"t": "figure", "src": "https://...", "alt": "...", "caption": [inline],
     "image": "<sha256 of the archived bytes>" | None}
    {"t": "hr"}

Inline nodes: a string (text), or::

    {"t": "code", "text": "..."}
    {"t": "em" | "strong" | "del" | "sub" | "sup", "c": [inline]}
    {"t": "a", "href": "https://...", "c": [inline]}
    {"t": "br"}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FORMAT_VERSION", "Block", "Document", "DocumentError", "Inline"]

FORMAT_VERSION = 1

Inline = str | dict[str, Any]
Block = dict[str, Any]

_STYLES = frozenset({"em", "strong", "del", "sub", "sup"})
_LISTS = frozenset({"ul", "ol"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
_MAX_DEPTH = 64  # nesting deeper than this is not an article; refuse rather than recurse


class DocumentError(ValueError):
    """The data is not a structured copy this version of linkvault can show."""


def is_web_url(url: object) -> bool:
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class Document:
    blocks: list[Block] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        return {"v": FORMAT_VERSION, "blocks": self.blocks}

    def to_json(self) -> str:
        return json.dumps(self.to_data(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_data(cls, data: Any) -> Document:
        """Checks untrusted data against the vocabulary above; DocumentError when it is not."""
        if not isinstance(data, dict) or data.get("v") != FORMAT_VERSION:
            raise DocumentError(f"not a version {FORMAT_VERSION} structured copy")
        blocks: Any = data.get("blocks")
        _blocks(blocks, 0)
        return cls(blocks)

    @classmethod
    def from_json(cls, text: str) -> Document:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise DocumentError(f"not JSON: {exc}") from None
        return cls.from_data(data)

    def figures(self) -> Iterator[Block]:
        """Every figure block, in reading order, however deeply nested."""
        yield from _figures(self.blocks)

    def __bool__(self) -> bool:
        return bool(self.blocks)


def _figures(blocks: list[Block]) -> Iterator[Block]:
    for block in blocks:
        kind = block["t"]
        if kind == "figure":
            yield block
        elif kind in _LISTS:
            for item in block["items"]:
                yield from _figures(item)
        elif kind == "quote":
            yield from _figures(block["c"])
        elif kind == "dl":
            for entry in block["items"]:
                for definition in entry["defs"]:
                    yield from _figures(definition)


def _fail(what: str) -> DocumentError:
    return DocumentError(f"structured copy: {what}")


def _blocks(value: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _fail("nested too deeply")
    if not isinstance(value, list):
        raise _fail("blocks must be a list")
    for block in value:
        _block(block, depth + 1)


def _block(block: Any, depth: int) -> None:
    if not isinstance(block, dict):
        raise _fail("a block must be an object")
    kind = block.get("t")
    if kind == "h":
        level = block.get("level")
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 6:
            raise _fail("a heading's level is 1 to 6")
        _inlines(block.get("c"), depth)
    elif kind == "p":
        _inlines(block.get("c"), depth)
    elif kind == "pre":
        if not isinstance(block.get("text"), str):
            raise _fail("a code block has text")
        lang = block.get("lang")
        if lang is not None and not (isinstance(lang, str) and _LANGUAGE.fullmatch(lang)):
            raise _fail("a code block's language is a short name")
    elif kind in _LISTS:
        items = block.get("items")
        if not isinstance(items, list):
            raise _fail("a list has items")
        for item in items:
            _blocks(item, depth)
        start = block.get("start", 1)
        if not isinstance(start, int) or isinstance(start, bool):
            raise _fail("an ordered list starts at a number")
    elif kind == "dl":
        entries = block.get("items")
        if not isinstance(entries, list):
            raise _fail("a definition list has items")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("defs"), list):
                raise _fail("a definition list item has a term and definitions")
            _inlines(entry.get("term"), depth)
            for definition in entry["defs"]:
                _blocks(definition, depth)
    elif kind == "quote":
        _blocks(block.get("c"), depth)
    elif kind == "table":
        for part in ("head", "body"):
            rows = block.get(part)
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _fail("a table has head and body rows")
            for row in rows:
                for cell in row:
                    _inlines(cell, depth)
    elif kind == "figure":
        if not is_web_url(block.get("src")):
            raise _fail("a figure's source is an http(s) URL")
        if not isinstance(block.get("alt", ""), str):
            raise _fail("a figure's alt text is text")
        _inlines(block.get("caption", []), depth)
        image = block.get("image")
        if image is not None and not (isinstance(image, str) and _SHA256.fullmatch(image)):
            raise _fail("a figure's archived image is named by its SHA-256")
    elif kind != "hr":
        raise _fail(f"unknown block {kind!r}")


def _inlines(value: Any, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise _fail("nested too deeply")
    if not isinstance(value, list):
        raise _fail("inline content must be a list")
    for node in value:
        if isinstance(node, str):
            continue
        if not isinstance(node, dict):
            raise _fail("inline content is text or an object")
        kind = node.get("t")
        if kind == "code":
            if not isinstance(node.get("text"), str):
                raise _fail("inline code has text")
        elif kind in _STYLES:
            _inlines(node.get("c"), depth + 1)
        elif kind == "a":
            if not is_web_url(node.get("href")):
                raise _fail("a link's target is an http(s) URL")
            _inlines(node.get("c"), depth + 1)
        elif kind != "br":
            raise _fail(f"unknown inline {kind!r}")
