"""The collector every importer adds links to: it de-duplicates, cleans titles and reports
problems. What it produces (LinkSpec, ImportResult) is in archiver/records.py."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from archiver.records import ImportedCopy, ImportResult, LinkSpec, SourceProblem
from archiver.tagging import lenient_tags
from archiver.urls import normalize_url

__all__ = [
    "ListBase",
    "LinkCollector",
    "SourceError",
    "clean_note",
    "clean_text",
    "find_urls",
    "shorten",
]

# Titles come from arbitrary files; a whole paragraph is not a title.
MAX_TITLE_LENGTH = 1000
# A note is the user's own text about a link (a bookmark's description): a few paragraphs.
MAX_NOTE_LENGTH = 10_000


class SourceError(ValueError):
    """The input as a whole cannot be used (missing, unreadable, binary)."""


_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]+:")


def shorten(text: str, limit: int = 80) -> str:
    """Keep problem messages readable when a "URL" is a megabyte of junk."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Control characters are no part of a title, and PostgreSQL text cannot even hold NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def clean_text(text: str | None) -> str | None:
    """Collapse whitespace, control characters to spaces; None for nothing left."""
    if not text:
        return None
    collapsed = " ".join(_CONTROL.sub(" ", text).split())
    if len(collapsed) > MAX_TITLE_LENGTH:
        collapsed = collapsed[: MAX_TITLE_LENGTH - 1].rstrip() + "…"
    return collapsed or None


def clean_note(text: str | None) -> str | None:
    """A note as imported: its lines kept, whitespace within each collapsed, control
    characters to spaces, cut at MAX_NOTE_LENGTH; None for nothing left."""
    if not text:
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    note = "\n".join(" ".join(_CONTROL.sub(" ", line).split()) for line in lines).strip("\n")
    if len(note) > MAX_NOTE_LENGTH:
        note = note[: MAX_NOTE_LENGTH - 1].rstrip() + "…"
    return note or None


@dataclass(frozen=True, slots=True)
class ListBase:
    """Where a list read from the web lives (`linkvault follow`): its relative links resolve
    against `url`; in-page anchors and links to the list itself (`itself`, normalised URLs)
    are its own navigation, not entries, so they are left out without a problem."""

    url: str
    itself: frozenset[str] = frozenset()


class LinkCollector:
    """Accumulates links in document order; the first occurrence of a URL wins."""

    def __init__(self, source: str, base: ListBase | None = None) -> None:
        self.source = source
        self.base = base
        self._links: list[LinkSpec] = []
        self._problems: list[SourceProblem] = []
        self._seen: set[str] = set()

    def problem(self, line: int | None, message: str) -> None:
        self._problems.append(SourceProblem(self.source, line, message))

    def add(
        self,
        url: str,
        *,
        title: str | None = None,
        section: str | None = None,
        line: int | None = None,
        tags: Iterable[str] = (),
        note: str | None = None,
        added_at: datetime | None = None,
        imported_copy: ImportedCopy | None = None,
        shelved: bool = False,
    ) -> None:
        listed = url.strip()
        if len(listed) >= 2 and listed[0] == "<" and listed[-1] == ">":
            listed = listed[1:-1].strip()
        shown = repr(shorten(listed))
        if not listed:
            self.problem(line, "link with an empty target skipped")
            return
        if self.base is not None:
            if listed.startswith("#"):
                return  # a table of contents
            if not _HAS_SCHEME.match(listed):
                listed = urljoin(self.base.url, listed)
        if listed.startswith("#"):
            self.problem(line, f"anchor link {shown} skipped: it points inside the list itself")
            return
        if not _HAS_SCHEME.match(listed):
            self.problem(line, f"relative link {shown} skipped: no base URL to resolve it against")
            return
        try:
            normalized = normalize_url(listed)
        except ValueError as exc:
            self.problem(line, f"unusable URL {shown} skipped: {exc}")
            return
        if normalized in self._seen:
            return
        if self.base is not None and normalized in self.base.itself:
            return
        self._seen.add(normalized)
        clean_title = clean_text(title)
        if clean_title == listed:
            clean_title = None  # "[https://x](https://x)" says nothing the URL does not
        self._links.append(
            LinkSpec(
                url=listed,
                normalized_url=normalized,
                title=clean_title,
                section=clean_text(section),
                source=self.source,
                line=line,
                tags=lenient_tags(tags),
                note=clean_note(note),
                added_at=added_at,
                imported_copy=imported_copy,
                shelved=shelved,
            )
        )

    def result(self) -> ImportResult:
        problems = list(self._problems)
        if not self._links:
            problems.append(SourceProblem(self.source, None, "no links found"))
        return ImportResult(links=list(self._links), problems=problems)


# A URL starts after a character that cannot be part of a scheme, so every start position
# scans a disjoint run of characters and the search stays linear on megabyte lines.
_HTTP_URL = re.compile(r"(?<![A-Za-z0-9+.\-])https?://[^\s<>]++", re.IGNORECASE)
_ANY_URL = re.compile(
    r"(?<![A-Za-z0-9+.\-])"
    r"(?:[A-Za-z][A-Za-z0-9+.\-]*+://|(?:mailto|javascript|data|tel|about|magnet|news|urn):)"
    r"[^\s<>]++",
    re.IGNORECASE,
)
_TRAILING_PUNCTUATION = frozenset("?!.,:;*_~'\"")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def find_urls(
    text: str, *, any_scheme: bool = False, dotless_hosts: bool = False
) -> Iterator[tuple[int, int]]:
    """Spans of the URLs written out in running text (GitHub's autolink rules: trailing
    punctuation and unbalanced closing brackets belong to the sentence, not the URL, and
    the host needs a dot unless `dotless_hosts`, so "https://exa mple.com" is no link)."""
    pattern = _ANY_URL if any_scheme else _HTTP_URL
    for match in pattern.finditer(text):
        start, end = match.span()
        candidate = match.group()
        counts = {c: candidate.count(c) for c in "()[]{}"}
        while end > start:
            last = text[end - 1]
            if last in _TRAILING_PUNCTUATION:
                end -= 1
            elif last in _CLOSERS and counts[last] > counts[_CLOSERS[last]]:
                counts[last] -= 1
                end -= 1
            else:
                break
        url = text[start:end]
        if url.endswith(":") or url.endswith("://"):
            continue
        if not dotless_hosts and not _host_has_dot(url):
            continue
        yield start, end


def _host_has_dot(url: str) -> bool:
    scheme, sep, rest = url.partition("://")
    if scheme.lower() not in ("http", "https"):
        return True  # file:///x, mailto: ... have no host or no rules
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
    return authority.startswith("[") or "." in authority or authority.startswith("localhost")
