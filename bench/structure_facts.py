"""Reading a structured copy back as plain facts (code blocks, headings, list items, table
rows, links, figures): bench/extract_eval.py's structure score, shared with the tests
(tests/archiver/test_structure*.py) as bench/postgres.py is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from archiver.document import Block, Document


def walk(blocks: list[Block]) -> Iterator[Block]:
    """Every block, nested ones included, in reading order."""
    for block in blocks:
        yield block
        kind = block["t"]
        if kind in ("ul", "ol"):
            for item in block["items"]:
                yield from walk(item)
        elif kind == "quote":
            yield from walk(block["c"])
        elif kind == "dl":
            for entry in block["items"]:
                for definition in entry["defs"]:
                    yield from walk(definition)


def text(inlines: list[Any]) -> str:
    out = []
    for node in inlines:
        if isinstance(node, str):
            out.append(node)
        elif node["t"] == "code":
            out.append(node["text"])
        elif node["t"] == "br":
            out.append("\n")
        else:
            out.append(text(node["c"]))
    return "".join(out)


def block_text(blocks: list[Block]) -> str:
    parts = []
    for block in walk(blocks):
        if block["t"] in ("h", "p"):
            parts.append(text(block["c"]))
        elif block["t"] == "pre":
            parts.append(block["text"])
        elif block["t"] == "table":
            parts.extend(text(cell) for row in block["head"] + block["body"] for cell in row)
        elif block["t"] == "figure":
            parts.append(text(block["caption"]))
        elif block["t"] == "dl":
            parts.extend(text(entry["term"]) for entry in block["items"])
    return "\n".join(parts)


def links(inlines_or_blocks: Any) -> Iterator[str]:
    if isinstance(inlines_or_blocks, dict):
        if inlines_or_blocks.get("t") == "a":
            yield inlines_or_blocks["href"]
        for value in inlines_or_blocks.values():
            if isinstance(value, list):
                yield from links(value)
    elif isinstance(inlines_or_blocks, list):
        for node in inlines_or_blocks:
            yield from links(node)


def facts(doc: Document | None) -> dict[str, Any]:
    blocks = doc.blocks if doc else []
    every = list(walk(blocks))
    tables = [b for b in every if b["t"] == "table"]
    return {
        "code": [{"text": b["text"], "lang": b["lang"]} for b in every if b["t"] == "pre"],
        "headings": [[b["level"], text(b["c"])] for b in every if b["t"] == "h"],
        "list_items": [
            block_text(item) for b in every if b["t"] in ("ul", "ol") for item in b["items"]
        ],
        "table": [[text(cell) for cell in row] for row in tables[0]["head"] + tables[0]["body"]]
        if tables
        else None,
        "links": list(links(blocks)),
        "figures": [
            {"src": b["src"], "alt": b["alt"], "caption": text(b["caption"])}
            for b in every
            if b["t"] == "figure"
        ],
        "text": block_text(blocks),
    }
