"""Markdown link lists ("awesome lists", READMEs, notes).

markdown-it-py does the parsing, so nested brackets in link text, parentheses in URLs,
escapes, code spans, fenced code and reference definitions behave as on GitHub. Links come
out in document order with the nearest heading above them as their section.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from archiver._bookmarks import scan_anchors
from archiver._linklist import LinkCollector, ListBase, clean_text, find_urls, shorten
from archiver._tagsoup import Tag, iter_html
from archiver.records import ImportResult

__all__ = ["parse_markdown"]

# markdown-it-py is linear but costs ~30 µs per bracket in pure Python; a line this long is
# generated junk, not prose, so it gets a cheap regex scan instead of the full parser.
_LONG_LINE = 20_000
_NEWLINE = re.compile(r"\r\n?|\n")
# "[text](https://exa mple.com)" is text to markdown; the author meant a link.
_BROKEN_LINK = re.compile(r"\]\(\s*<?[A-Za-z][A-Za-z0-9+.\-]*:")
_INLINE_LINK = re.compile(
    r"(!?)\[([^\[\]\n]{0,1000})\]\(\s*(<[^<>\n]*>|[^\s()<>]*+(?:\([^\s()<>]*\)[^\s()<>]*+)*+)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\s*\)"
)


class _LinkParser(MarkdownIt):
    """Keeps destinations exactly as written: the default refuses javascript:/file: links
    (the pipeline wants to report them) and percent-encodes the URL we want to show."""

    def validateLink(self, url: str) -> bool:  # markdown-it's hook names
        return True

    def normalizeLink(self, url: str) -> str:
        return url

    def normalizeLinkText(self, link: str) -> str:
        return link


@functools.cache
def _parser() -> MarkdownIt:
    return _LinkParser("commonmark").enable(["table", "strikethrough"])


@dataclass(slots=True)
class _Found:
    line: int
    url: str
    title: str | None
    section: str | None
    problem: str | None = None


@dataclass(slots=True)
class _OpenLink:
    url: str
    line: int
    title_attr: str | None
    autolink: bool
    text: list[str] = field(default_factory=list)


class _Walker:
    def __init__(self) -> None:
        self.found: list[_Found] = []
        self.headings: list[tuple[int, str | None]] = []  # (line, text), in order
        self.section: str | None = None

    def walk(self, tokens: Sequence[Token]) -> None:
        in_heading = False
        for token in tokens:
            line = token.map[0] + 1 if token.map else 1
            if token.type == "heading_open":
                in_heading = True
            elif token.type == "heading_close":
                in_heading = False
            elif token.type == "inline":
                children = token.children or []
                # A link inside a heading belongs to the section above it.
                self._inline(children, line)
                if in_heading:
                    self.section = clean_text(_plain_text(children))
                    self.headings.append((line, self.section))
            elif token.type == "html_block":
                for anchor in scan_anchors(token.content):
                    self._add(line + anchor.line - 1, anchor.href, anchor.title)

    def _add(self, line: int, url: str, title: str | None) -> None:
        self.found.append(_Found(line, url, title, self.section))

    def _inline(self, children: Sequence[Token], line: int) -> None:
        stack: list[_OpenLink] = []
        for child in children:
            kind = child.type
            if kind in ("softbreak", "hardbreak"):
                line += 1
                if stack:
                    stack[-1].text.append(" ")
            elif kind == "link_open":
                url = str(child.attrGet("href") or "")
                title_attr = child.attrGet("title")
                stack.append(
                    _OpenLink(
                        url,
                        line,
                        str(title_attr) if title_attr else None,
                        child.markup == "autolink",
                    )
                )
            elif kind == "link_close" and stack:
                self._close(stack.pop())
            elif kind == "html_inline":
                self._html_inline(child.content, line, stack)
                line += child.content.count("\n")
            elif kind in ("text", "code_inline", "image"):
                if stack:
                    stack[-1].text.append(child.content)
                elif kind == "text":
                    self._text(child.content, line)
        while stack:  # an unclosed <a> in inline HTML
            self._close(stack.pop())

    def _text(self, text: str, line: int) -> None:
        for start, end in find_urls(text):
            self._add(line, text[start:end], None)
        broken = _BROKEN_LINK.search(text)
        if broken:
            snippet = shorten(text[max(0, text.rfind("[", 0, broken.start())) :], 60)
            message = f"{snippet!r} looks like a link but is not valid markdown (space in URL?)"
            self.found.append(_Found(line, "", None, None, message))

    def _html_inline(self, content: str, line: int, stack: list[_OpenLink]) -> None:
        tag = next((item for item in iter_html(content) if isinstance(item, Tag)), None)
        if tag is None or tag.name != "a":
            return
        if tag.end:
            if stack and not stack[-1].autolink:
                self._close(stack.pop())
        elif "href" in tag.attrs:
            stack.append(_OpenLink(tag.attrs["href"], line, tag.attrs.get("title"), False))

    def _close(self, link: _OpenLink) -> None:
        title = None if link.autolink else clean_text("".join(link.text)) or link.title_attr
        self._add(link.line, link.url, title)

    def section_at(self, line: int) -> str | None:
        index = bisect.bisect_left(self.headings, line, key=lambda item: item[0])
        return self.headings[index - 1][1] if index else None


def _plain_text(children: Sequence[Token]) -> str:
    """Heading text without emphasis, code or HTML markers; images there are badges."""
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _scan_long_line(text: str, line: int, section: str | None) -> list[_Found]:
    found: list[_Found] = []
    pos = 0
    for match in _INLINE_LINK.finditer(text):
        found += _bare(text[pos : match.start()], line, section)
        pos = match.end()
        if not match.group(1):  # "![alt](src)" is an image, not a list entry
            title = clean_text(match.group(2).replace("*", "").replace("`", ""))
            found.append(_Found(line, match.group(3), title, section))
    found += _bare(text[pos:], line, section)
    return found


def _bare(text: str, line: int, section: str | None) -> list[_Found]:
    return [_Found(line, text[s:e], None, section) for s, e in find_urls(text)]


def parse_markdown(text: str, source: str, *, base: ListBase | None = None) -> ImportResult:
    lines = _NEWLINE.split(text)
    long_lines = [(number, line) for number, line in enumerate(lines, 1) if len(line) > _LONG_LINE]
    if long_lines:
        skipped = {number for number, _ in long_lines}
        # Blank lines keep the numbering of everything else intact.
        text = "\n".join("" if n in skipped else line for n, line in enumerate(lines, 1))
    walker = _Walker()
    walker.walk(_parser().parse(text))
    found = walker.found
    for number, line in long_lines:
        found += _scan_long_line(line, number, walker.section_at(number))
    found.sort(key=lambda item: item.line)  # stable: keeps the order within a line
    collector = LinkCollector(source, base)
    for item in found:
        if item.problem:
            collector.problem(item.line, item.problem)
            continue
        collector.add(item.url, title=item.title, section=item.section, line=item.line)
    return collector.result()
