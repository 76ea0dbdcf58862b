"""A forgiving, linear-time HTML tokenizer for link lists.

Bookmark exports are tag soup (`<DT>` and `<p>` are never closed) and hand-edited ones are
worse. A tree builder would re-nest them (lxml stops at its depth limit on unclosed tags),
and the stdlib html.parser goes quadratic on some unclosed constructs in older Pythons, so
this module only emits the flat stream of start tags, end tags and text, with line numbers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["Tag", "iter_html"]


@dataclass(slots=True)
class Tag:
    name: str  # lowercase; "!" for <!DOCTYPE ...> and other declarations
    end: bool
    line: int
    attrs: dict[str, str] = field(default_factory=dict)


# Attribute text stops at the next "<" or ">", so a broken tag costs at most the distance
# to the next tag and the scan stays linear.
_MARKUP = re.compile(r"<(?:(/?)([A-Za-z][A-Za-z0-9:\-]*+)([^<>]*+)>?|(!--)|([!?])([^<>]*+)>?)")
_ATTR = re.compile(r"""([^\s"'=<>/]++)(?:\s*+=\s*+(?:"([^"]*+)"?|'([^']*+)'?|([^\s"'<>]++)))?""")
# Their content is not markup; a "<" inside a script must not start a tag.
_RAW_TEXT = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE)
    for name in ("script", "style", "textarea", "title", "xmp")
}


def parse_attrs(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        name = match.group(1).lower()
        value = next((g for g in match.group(2, 3, 4) if g is not None), "")
        attrs.setdefault(name, html.unescape(value))
    return attrs


def iter_html(text: str) -> Iterator[Tag | str]:
    """Tags and entity-decoded text runs, in document order."""
    pos = 0
    line = 1
    counted = 0  # newlines before this offset are already in `line`
    n = len(text)
    while pos < n:
        match = _MARKUP.search(text, pos)
        if match is None:
            yield html.unescape(text[pos:])
            return
        start = match.start()
        if start > pos:
            yield html.unescape(text[pos:start])
        # "\r\n", "\n" and a lone "\r" each end a line, as in the other importers.
        line += (
            text.count("\n", counted, start)
            + text.count("\r", counted, start)
            - text.count("\r\n", counted, start)
        )
        counted = start
        pos = match.end()
        name = match.group(2)
        if name is not None:
            lowered = name.lower()
            closing = match.group(1) == "/"
            attrs = {} if closing else parse_attrs(match.group(3))
            yield Tag(lowered, closing, line, attrs)
            raw_end = _RAW_TEXT.get(lowered)
            if raw_end is not None and not closing:
                found = raw_end.search(text, pos)
                # Unclosed, it is more likely a typo than a script running to the end.
                if found is not None:
                    if lowered == "title":
                        yield html.unescape(text[pos : found.start()])
                    pos = found.start()
        elif match.group(4) is not None:
            close = text.find("-->", pos)
            pos = n if close < 0 else close + 3
        else:
            yield Tag("!", False, line, {"decl": match.group(6)})
