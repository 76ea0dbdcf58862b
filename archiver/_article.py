"""Which blocks of a page are its article: those whose words trafilatura kept in the text.

Trafilatura decides what is main content; its text is read back here, block by block, so
the structured copy shows what search indexes and nothing of the page's chrome. Words are
compared squashed (lowercase, letters and digits only) so markup, list markers and table
pipes do not matter. Code, figures and rules carry no trafilatura text of their own (its
code text is mangled, images are left out); they stay when they sit inside the article.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property
from typing import Any

from archiver.document import Block

_WORD = re.compile(r"\w+")
_NON_WORD = re.compile(r"\W+")
# Shorter than this, a block must equal one of trafilatura's lines (or be inside the
# article): "Share" or "Subscribe" occur inside many longer sentences.
_SHORT = 24
_SMALL = 300
_POSITIONAL = frozenset({"pre", "figure", "hr"})
_COMPOUND = frozenset({"ul", "ol", "dl", "table", "quote"})


class Article:
    """Trafilatura's text, squashed once for the questions below."""

    def __init__(self, text: str) -> None:
        self.text = text
        lowered = text.lower()
        self.whole = _NON_WORD.sub("", lowered)
        raw = lowered.split("\n")
        ordered = [_NON_WORD.sub("", line) for line in raw]
        self.lines = set(ordered)
        # "1. Item": the number is trafilatura's, not the item's ("-" and "*" squash away).
        self.lines.update(
            _squash(line.lstrip("0123456789. ")) for line in raw if line[:1].isdigit()
        )
        self.long_lines = [line for line in ordered if len(line) >= _SHORT]

    @cached_property
    def words(self) -> Counter[str]:
        return Counter(_WORD.findall(self.text.lower()))

    def may_hold(self, text: str) -> bool:
        """Whether a container with this text may hold part of the article: a mega-menu or a
        footer does not, and is not walked at all (most of a real page's markup)."""
        squashed = _squash(text)
        if len(squashed) < _SMALL:
            return True  # cheap to walk, and may be code or a heading trafilatura dropped
        return squashed in self.whole or any(line in squashed for line in self.long_lines)


def keep(blocks: list[Block], article: Article) -> list[Block]:
    if not article.whole:
        return []
    whole, lines, long_lines = article.whole, article.lines, article.long_lines
    verdicts: list[bool | None] = []  # None: judged by position
    for block in blocks:
        if block["t"] in _POSITIONAL:
            verdicts.append(None)
            continue
        verdicts.append(_found(block, whole, lines, long_lines))
    kept_at = [i for i, verdict in enumerate(verdicts) if verdict]
    if not kept_at:
        return []
    first, last = kept_at[0], kept_at[-1]
    # Trafilatura drops some headings (the post title, GitHub's wrapped headings): one right
    # before the article or between two kept blocks is the article's.
    # Headings next to headings look past each other to the content around them.
    content = [None if b["t"] == "h" else v for b, v in zip(blocks, verdicts, strict=True)]
    for index, block in enumerate(blocks):
        if block["t"] == "h" and not verdicts[index]:
            before = next((v for v in reversed(content[:index]) if v is not None), None)
            after = next((v for v in content[index + 1 :] if v is not None), False)
            if after and (before or index < first):
                verdicts[index] = True
    first = min(first, *(i for i, v in enumerate(verdicts) if v))
    out = []
    for index, (block, verdict) in enumerate(zip(blocks, verdicts, strict=True)):
        positional = verdict is None and first <= index <= last
        if verdict or (
            positional and (block["t"] != "pre" or _code_kept(block, article, verdicts, index))
        ):
            out.append(block)
    return out


def _code_kept(block: Block, article: Article, verdicts: list[bool | None], index: int) -> bool:
    # Trafilatura's copy of the code is mangled but its words are there.
    tokens = _WORD.findall(block["text"].lower())
    if tokens and sum(1 for token in tokens if token in article.words) >= 0.6 * len(tokens):
        return True
    # It also drops code it finds link-dense (MkDocs' line anchors): code between two kept
    # blocks is the article's all the same, while an embed box or a cookie banner's snippet
    # sits next to chrome.
    before = next((v for v in reversed(verdicts[:index]) if v is not None), False)
    after = next((v for v in verdicts[index + 1 :] if v is not None), False)
    return bool(before and after)


def _found(block: Block, whole: str, lines: set[str], long_lines: list[str]) -> bool:
    squashed = _squash(_text(block))
    if not squashed:
        return False
    if squashed in lines:
        return True
    if block["t"] in _COMPOUND:
        if len(squashed) >= _SHORT and squashed in whole:
            return True
        # Lists and tables trafilatura shortened (a dropped item, a cell), or short ones:
        # most of their items or rows are there.
        parts = [part for part in (_squash(text) for text in _parts(block)) if part]
        found = sum(part in lines or (len(part) >= _SHORT and part in whole) for part in parts)
        return bool(parts) and found * 2 > len(parts)
    if len(squashed) < _SHORT or squashed not in whole:
        return False
    # A sidebar blurb repeating the article's first sentence is found inside a longer
    # paragraph; the paragraph itself is (most of) one of trafilatura's lines.
    return not any(squashed in line and len(squashed) * 2 < len(line) for line in long_lines)


def _parts(block: Block) -> list[str]:
    kind = block["t"]
    if kind in ("ul", "ol"):
        return [" ".join(_text(b) for b in item) for item in block["items"]]
    if kind == "dl":
        return [
            " ".join([_inline_text(entry["term"]), *(_text(b) for d in entry["defs"] for b in d)])
            for entry in block["items"]
        ]
    if kind == "table":
        return [
            " ".join(_inline_text(cell) for cell in row) for row in block["head"] + block["body"]
        ]
    if kind == "quote":
        return [_text(b) for b in block["c"]]
    return [_text(block)]


def _squash(text: str) -> str:
    return _NON_WORD.sub("", text.lower())


def _text(block: Block) -> str:
    kind = block["t"]
    if kind in ("h", "p"):
        return _inline_text(block["c"])
    if kind == "pre":
        return str(block["text"])
    if kind == "figure":
        return _inline_text(block["caption"])
    return " ".join(_parts(block)) if kind in ("ul", "ol", "dl", "table", "quote") else ""


def _inline_text(inlines: list[Any]) -> str:
    out = []
    for node in inlines:
        if isinstance(node, str):
            out.append(node)
        elif node.get("t") == "code":
            out.append(node["text"])
        elif node.get("t") == "br":
            out.append(" ")
        else:
            out.append(_inline_text(node.get("c", [])))
    return "".join(out)
