"""Netscape bookmark files (Chrome, Firefox, Safari, Edge exports) and plain HTML pages.

Folders (`<DT><H3>` followed by a `<DL>`) become the section "Folder / Subfolder". The
browser's own top-level containers ("Bookmarks bar", "Bookmarks Toolbar", "Other
Bookmarks", ...) are left out of the path: they hold everything, so they say nothing, and
Chrome writes "Other bookmarks" without any folder at all, so keeping them would give the
same bookmark different sections in different browsers. linkvault's own export (it says so
in a generator `<META>`) has no such containers: a section named "Favorites" is a section.
A bookmark's `TAGS="a,b"` are its tags (archiver/tagging.py: empty pieces and bad tags are
dropped) and the `<DD>` after it its note; its `ADD_DATE` (seconds since 1970) the date it
was saved. An HTML file without bookmark structure yields its `<a href>` links with the
nearest heading as section.

linkding's export (bookmarks/services/exporter.py) is such a file with its own marks: an
archived bookmark has the tag `linkding:bookmarks.archived`, a state and not a tag (the link
is shelved); any other `linkding:` tag is linkding's too and is dropped (today it writes no
other: unread and shared are its `TOREAD` and `PRIVATE` attributes, which say nothing
linkvault keeps). Its notes follow the description in the `<DD>` inside
`[linkding-notes]...[/linkding-notes]`: both are kept, as one note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

from archiver._linklist import LinkCollector, ListBase, clean_text
from archiver._tagsoup import Tag, iter_html
from archiver.records import ImportResult
from archiver.tagging import split_tags
from archiver.urls import is_http_url

__all__ = ["Anchor", "parse_bookmarks", "scan_anchors"]

# Localised names vary, so the export's attributes are checked first; these English names
# catch Safari and older exports that mark nothing.
_ROOT_FOLDER_NAMES = frozenset(
    {
        "bookmarks bar",
        "bookmarks toolbar",
        "bookmarks menu",
        "favorites bar",
        "favourites bar",
        "favorites",
        "favourites",
        "other bookmarks",
        "other favorites",
        "other favourites",
        "mobile bookmarks",
    }
)
_ROOT_FOLDER_ATTRS = ("personal_toolbar_folder", "unfiled_bookmarks_folder")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_TAGS = frozenset({"dt", "dd", "dl", "li", "ul", "ol", "table", "tr", "td", "th"})
_ENDS_ANCHOR_START = _LIST_TAGS | {"a"}
_ENDS_ANCHOR_END = _LIST_TAGS | {"a", "body", "html"}
_ENDS_HEADING = _LIST_TAGS | _HEADINGS | {"p", "div", "body"}
_ENDS_NOTE = _LIST_TAGS | _HEADINGS | {"a", "body", "html"}
# The generator linkvault's Netscape export names itself with (archiver/netscape.py).
GENERATOR = "linkvault"
# linkding's tags for its own states (see the module docstring).
_LINKDING_PREFIX = "linkding:"
_LINKDING_ARCHIVED = "linkding:bookmarks.archived"
_LINKDING_NOTES = re.compile(r"\[linkding-notes\](.*?)(?:\[/linkding-notes\]|\Z)", re.S)


@dataclass(slots=True)
class Anchor:
    href: str
    line: int
    title: str | None
    folders: tuple[str, ...]
    heading: str | None
    tags: tuple[str, ...] = ()
    note: str | None = None
    added_at: datetime | None = None
    shelved: bool = False


@dataclass(slots=True)
class _Open:
    attrs: dict[str, str]
    line: int
    text: list[str] = field(default_factory=list)
    alt: str | None = None


class _Scanner:
    """Walks the tag stream once, tracking folder nesting and the latest heading."""

    def __init__(self) -> None:
        self.anchors: list[Anchor] = []
        self.netscape = False
        self.own_export = False  # written by linkvault: no browser containers to leave out
        self.base: str | None = None
        self._folders: list[str | None] = []  # one entry per open <DL>
        self._pending_folder: str | None = None
        self._heading_text: str | None = None
        self._anchor: _Open | None = None
        self._heading: _Open | None = None
        self._heading_name = ""
        # The bookmark a <DD> right after it describes, and that description's text so far.
        self._described: Anchor | None = None
        self._note: list[str] | None = None

    def feed(self, text: str) -> None:
        for item in iter_html(text):
            if isinstance(item, str):
                if self._anchor is not None:
                    self._anchor.text.append(item)
                if self._heading is not None:
                    self._heading.text.append(item)
                if self._note is not None:
                    self._note.append(item)
            elif item.end:
                self._end_tag(item)
            else:
                self._start_tag(item)
        self._close_anchor()
        self._close_heading()
        self._close_note()

    def _start_tag(self, tag: Tag) -> None:
        name = tag.name
        if name == "!":
            decl = tag.attrs.get("decl", "").lower()
            self.netscape = self.netscape or "netscape-bookmark-file" in decl
            return
        if name in _ENDS_NOTE:
            self._close_note()
        if name in _ENDS_ANCHOR_START:
            self._close_anchor()
        if name in _ENDS_HEADING:
            self._close_heading()
        if name == "dd" and self._described is not None:
            self._note = []
        elif name != "dd":
            self._described = None
        if name == "meta":
            generator = tag.attrs.get("name", "").lower() == "generator"
            content = tag.attrs.get("content", "").split()
            self.own_export = self.own_export or (generator and content[:1] == [GENERATOR])
        if name == "dt":
            self.netscape = True
            self._pending_folder = None
        elif name == "dl":
            self._folders.append(self._pending_folder)
            self._pending_folder = None
        elif name == "a" and "href" in tag.attrs:
            self._anchor = _Open(tag.attrs, tag.line)
        elif name in _HEADINGS:
            self._heading = _Open(tag.attrs, tag.line)
            self._heading_name = name
        elif name == "img" and self._anchor is not None and self._anchor.alt is None:
            self._anchor.alt = tag.attrs.get("alt")
        elif name == "base" and self.base is None:
            href = tag.attrs.get("href", "").strip()
            self.base = href if is_http_url(href) else None

    def _end_tag(self, tag: Tag) -> None:
        if tag.name in _ENDS_NOTE:
            self._close_note()
        if tag.name in _ENDS_ANCHOR_END:
            self._close_anchor()
        if tag.name in _HEADINGS or tag.name in ("dl", "body"):
            self._close_heading()
        if tag.name == "dl":
            if self._folders:
                self._folders.pop()
            self._pending_folder = None

    def _close_anchor(self) -> None:
        anchor, self._anchor = self._anchor, None
        if anchor is None:
            return
        title = clean_text("".join(anchor.text)) or clean_text(anchor.alt)
        title = title or clean_text(anchor.attrs.get("title"))
        tags = [tag.strip() for tag in split_tags(anchor.attrs.get("tags", ""))]
        closed = Anchor(
            href=anchor.attrs["href"],
            line=anchor.line,
            title=title,
            folders=tuple(name for name in self._folders if name),
            heading=self._heading_text,
            tags=tuple(tag for tag in tags if not tag.lower().startswith(_LINKDING_PREFIX)),
            added_at=_seconds(anchor.attrs.get("add_date")),
            shelved=any(tag.lower() == _LINKDING_ARCHIVED for tag in tags),
        )
        self.anchors.append(closed)
        self._described = closed

    def _close_note(self) -> None:
        note, self._note = self._note, None
        if note is None:
            return
        if self._described is not None:
            self._described.note = _linkding_note("".join(note))
        self._described = None  # a second <DD> describes nothing

    def _close_heading(self) -> None:
        heading, self._heading = self._heading, None
        if heading is None:
            return
        text = clean_text("".join(heading.text))
        self._heading_text = text
        if self._heading_name != "h3" or not text:
            return
        is_root = any(heading.attrs.get(attr, "").lower() == "true" for attr in _ROOT_FOLDER_ATTRS)
        if len(self._folders) <= 1 and text.lower() in _ROOT_FOLDER_NAMES and not self.own_export:
            is_root = True
        # An empty entry still opens a <DL> level, but adds nothing to the path.
        self._pending_folder = None if is_root else text


def _seconds(value: str | None) -> datetime | None:
    try:
        seconds = int((value or "").strip())
        return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None
    except (ValueError, OverflowError, OSError):
        return None


def _linkding_note(text: str) -> str:
    """A `<DD>` with linkding's notes in it: the description, then the notes, as one note."""
    notes = _LINKDING_NOTES.search(text)
    if notes is None:
        return text
    description = text[: notes.start()].strip()
    return "\n\n".join(part for part in (description, notes.group(1).strip()) if part)


def scan_anchors(text: str) -> list[Anchor]:
    """Every `<a href>` in an HTML fragment, with lines relative to the fragment."""
    scanner = _Scanner()
    scanner.feed(text)
    return scanner.anchors


def parse_bookmarks(text: str, source: str, *, base: ListBase | None = None) -> ImportResult:
    scanner = _Scanner()
    scanner.feed(text)
    collector = LinkCollector(source, base)
    for anchor in scanner.anchors:
        href = anchor.href.strip()
        if href[:6].lower() == "place:":
            continue  # Firefox "smart bookmarks" (Most Visited, Recent Tags): queries, not pages
        if scanner.base and href and not href.startswith("#") and ":" not in href.split("/")[0]:
            href = urljoin(scanner.base, href)
        # A bookmark's place is its folder; a link on a web page sits under a heading.
        section = (" / ".join(anchor.folders) or None) if scanner.netscape else anchor.heading
        collector.add(
            href,
            title=anchor.title,
            section=section,
            line=anchor.line,
            tags=anchor.tags,
            note=anchor.note,
            added_at=anchor.added_at,
            shelved=anchor.shelved,
        )
    return collector.result()
