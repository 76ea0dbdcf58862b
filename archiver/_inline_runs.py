"""Inline content as a browser shows it: whitespace collapsed, ends trimmed, spaces around
line breaks dropped, and loose text split into paragraphs at blank lines made of <br>s."""

from __future__ import annotations

import re

from archiver.document import Inline

BR = {"t": "br"}
SPACES = re.compile(r"[ \t\n\r\f\v]+")  # not U+00A0: a non-breaking space stays


def merge(inlines: list[Inline]) -> list[Inline]:
    """Whitespace collapsed as a browser would, adjacent strings joined, ends trimmed."""
    merged: list[Inline] = []
    for node in inlines:
        if isinstance(node, str):
            node = " " if node.isspace() else SPACES.sub(" ", node)
            if not node:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] += node
                continue
            if node == " " and (not merged or _ends_with_space(merged[-1])):
                continue
            if node.startswith(" ") and merged and _ends_with_space(merged[-1]):
                node = node[1:]
        merged.append(node)
    trim(merged)
    return merged


def _ends_with_space(node: Inline) -> bool:
    if isinstance(node, str):
        return node.endswith(" ")
    return node.get("t") == "br"


def _blank(node: Inline) -> bool:
    return node == BR if isinstance(node, dict) else not node.strip()


def trim(inlines: list[Inline]) -> None:
    start, end = 0, len(inlines)
    while start < end and _blank(inlines[start]):
        start += 1
    while end > start and _blank(inlines[end - 1]):
        end -= 1
    if start or end != len(inlines):
        inlines[:] = inlines[start:end]
    if not inlines:
        return
    if isinstance(inlines[0], str):
        inlines[0] = inlines[0].lstrip()
    if isinstance(inlines[-1], str):
        inlines[-1] = inlines[-1].rstrip()
    if BR in inlines:
        for index, node in enumerate(inlines):
            # Spaces around a line break are not visible.
            if node == BR:
                if index > 0 and isinstance(inlines[index - 1], str):
                    inlines[index - 1] = str(inlines[index - 1]).rstrip()
                if index + 1 < len(inlines) and isinstance(inlines[index + 1], str):
                    inlines[index + 1] = str(inlines[index + 1]).lstrip()
        inlines[:] = [node for node in inlines if node != ""]


def split_paragraphs(inlines: list[Inline]) -> list[list[Inline]]:
    """Loose text with blank lines made of <br><br> (Blogger, old CMSes) is paragraphs."""
    if BR not in inlines:
        return [inlines]
    paragraphs: list[list[Inline]] = [[]]
    breaks = 0
    for node in inlines:
        if node == {"t": "br"}:
            breaks += 1
            continue
        if isinstance(node, str) and not node.strip():
            continue
        if breaks >= 2:
            paragraphs.append([])
        elif breaks == 1:
            paragraphs[-1].append({"t": "br"})
        breaks = 0
        paragraphs[-1].append(node)
    for paragraph in paragraphs:
        trim(paragraph)
    return paragraphs


def has_text(inlines: list[Inline]) -> bool:
    for node in inlines:
        if isinstance(node, str):
            if node.strip():
                return True
        elif node.get("t") == "code" or has_text(node.get("c", [])):
            return True
    return False
