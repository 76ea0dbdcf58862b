"""Code blocks byte-exact: the text a reader sees in a `<pre>`, from any highlighter's markup.

Highlighters (Pygments, Chroma, Rouge, highlight.js, Prism, Shiki) wrap every token in a
span; the text nodes alone, in order, are the code, so the spans are read through and
never joined with anything. What is not code goes: line-number gutters (inline spans or a
separate table column) and copy buttons. `<br>` is a line break, and line-per-element
markup (a div or table row per line, as line-number plugins write it) gets its newlines.
"""

from __future__ import annotations

import re
from typing import Any

from archiver.document import Block

_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,40}")
_LANGUAGE_CLASS = re.compile(
    r"(?:^|\s)(?:language|lang|highlight-source|highlight)-([A-Za-z0-9_+#.-]+)"
)
# Not languages: the generic names highlighters put where they know none.
_NO_LANGUAGE = frozenset({"text", "plaintext", "plain", "none", "default", "nohighlight", "txt"})
# Gutters and buttons: Pygments (linenos), Chroma (ln, lnt), Rouge (gutter), highlight.js and
# Prism line-number plugins, copy buttons of Docusaurus, MkDocs Material and others.
_NOT_CODE = re.compile(
    r"(?:^|\s)(?:linenos?|lineno|ln|lnt|gutter|rouge-gutter|line-numbers-rows|hljs-ln-numbers"
    r"|hljs-ln-n|line-number|line-numbers|linenumber|gl-line-number|copybtn|copy-button"
    r"|clipboard|md-clipboard|codeCopyButton|code-copy|blob-num)(?:\s|$)",
    re.IGNORECASE,
)
# One line per element: a newline after each unless its text already ends with one.
_LINE_ELEMENTS = frozenset({"div", "tr", "li", "p"})
_MAX_DEPTH = 100
_NOT_TEXT = frozenset({"script", "style", "button", "template", "noscript"})
_CODE_CELL = re.compile(r"(?:^|\s)(?:code|rouge-code|hljs-ln-code)(?:\s|$)")


def is_code_table(table: Any) -> bool:
    """A layout table a highlighter drew for a gutter beside the code (Pygments linenos,
    Chroma lntable, Rouge rouge-table)."""
    return table.find(".//pre") is not None and len(table.findall(".//td")) <= 4


def code_block(element: Any) -> Block:
    """A `<pre>` (or a highlighter's gutter table) as {"t": "pre", "text", "lang"}."""
    pre = element
    if _tag(element) == "table":
        pre = _code_pre(element)
    out = _Text()
    _read(pre, out)
    text = out.result()
    if _tag(pre) == "pre" and pre.text and pre.text.startswith("\n"):
        text = text[1:]  # HTML drops a newline right after <pre>; libxml2 keeps it
    return {"t": "pre", "text": text, "lang": _language(element, pre)}


def _code_pre(table: Any) -> Any:
    pres = table.findall(".//pre")
    for pre in pres:
        cell = pre.getparent()
        while cell is not None and _tag(cell) not in ("td", "table"):
            cell = cell.getparent()
        if cell is not None and _CODE_CELL.search(cell.get("class") or ""):
            return pre
    return pres[-1]  # the gutter comes first


def _tag(element: Any) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


class _Text:
    """The code's text so far; remembers whether the last newline was ours or the page's."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.added_last = False

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.added_last = False

    def line_end(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
            self.added_last = True

    def result(self) -> str:
        if self.added_last:
            self.parts.pop()  # the newline after the last line element is ours, not the page's
        return "".join(self.parts)


def _read(element: Any, out: _Text, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:  # no highlighter nests this deep; keep the text, not the stack
        out.add("".join(element.itertext()))
        return
    if element.text:
        out.add(element.text)
    for child in element:
        tag = _tag(child)
        if tag == "br":
            out.add("\n")
        elif tag and tag not in _NOT_TEXT and not _is_gutter(child):
            _read(child, out, depth + 1)
            if tag in _LINE_ELEMENTS:
                out.line_end()
        if child.tail:
            out.add(child.tail)


def _is_gutter(element: Any) -> bool:
    if _NOT_CODE.search(element.get("class") or ""):
        return True
    # hljs/GitHub line numbers: an empty cell whose number CSS draws from the attribute.
    return element.get("data-line-number") is not None and not "".join(element.itertext())


def _language(element: Any, pre: Any) -> str | None:
    candidates = [pre.find("code"), pre[0] if len(pre) else None, pre, element]
    ancestor = element.getparent()
    for _ in range(3):  # Sphinx: div.highlight-python > div.highlight > pre
        if ancestor is None:
            break
        candidates.append(ancestor)
        ancestor = ancestor.getparent()
    for node in candidates:
        if node is None:
            continue
        for value in (
            node.get("data-lang"),
            node.get("data-language"),
            node.get("data-code-block-lang"),
        ):
            if value and _LANGUAGE.fullmatch(value) and value.lower() not in _NO_LANGUAGE:
                return value.lower()
        classes = (node.get("class") or "").split()
        if len(classes) == 2 and classes[0] == "sourceCode":  # Pandoc: "sourceCode python"
            return classes[1].lower() if _LANGUAGE.fullmatch(classes[1]) else None
        for match in _LANGUAGE_CLASS.finditer(node.get("class") or ""):
            name = match.group(1).lower()
            if name not in _NO_LANGUAGE and _LANGUAGE.fullmatch(name):
                return name
    return None
