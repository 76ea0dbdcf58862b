"""Plain text lists: one URL a line, `#` comments and blank lines ignored.

Words around the URL ("https://x.org  Some title", "Some title - https://x.org") become
its title. Several URLs on one line are all taken, without a title, since it cannot be told
which words belong to which.
"""

from __future__ import annotations

import re

from archiver._linklist import LinkCollector, ListBase, find_urls, shorten
from archiver.records import ImportResult

__all__ = ["parse_text"]

_NEWLINE = re.compile(r"\r\n?|\n")
_BARE_HOST = re.compile(r"(?:www\.)?[\w\-]+(?:\.[\w\-]+)*\.[A-Za-z]{2,}(?:[/:?#]\S*)?(?:\s|$)")
# Separators people put between a URL and its title; not part of the title.
_TITLE_EDGES = " \t-–—|:;,*•·>#[]()<>\"'"


def parse_text(text: str, source: str, *, base: ListBase | None = None) -> ImportResult:
    collector = LinkCollector(source, base)
    for number, raw in enumerate(_NEWLINE.split(text), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        spans = list(find_urls(line, any_scheme=True))
        if not spans and " " not in line:
            # Alone on its line, "http://intranet/" is surely meant as a URL.
            spans = list(find_urls(line, any_scheme=True, dotless_hosts=True))
        if not spans:
            if "://" in line:
                hint = " (space inside the URL?)"
            else:
                hint = " (missing https://?)" if _BARE_HOST.match(line) else ""
            collector.problem(number, f"no URL found in {shorten(line)!r}{hint}")
            continue
        title = None
        if len(spans) == 1:
            start, end = spans[0]
            title = (line[:start] + " " + line[end:]).strip(_TITLE_EDGES)
            # Leftover punctuation ("https://x.org." or "<url>,") is no title.
            if not any(ch.isalnum() for ch in title):
                title = None
        for start, end in spans:
            collector.add(line[start:end], title=title, line=number)
    return collector.result()
