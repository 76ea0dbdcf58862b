"""The archive as a Netscape bookmark file: what browsers (Firefox, Chrome, Safari, Edge) and
other bookmark tools (linkding, Shiori, Karakeep, Linkwarden, Pinboard) import.

Sections become folders, a section "A / B" the folder B inside A (as archiver/_bookmarks.py
reads folders back); each link is an `<A HREF>` with the date it was added (`ADD_DATE`, Unix
seconds) and its tags (`TAGS="a,b"`: a tag never holds a comma, archiver/tagging.py), and
its note follows as the `<DD>`. Titles are the owner's, else the page's, else the URL.
Everything is HTML-escaped. A generator `<META>` names linkvault, so that importing the file
back keeps a section that happens to be named like a browser's own folder ("Favorites").
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select

from archiver._bookmarks import GENERATOR
from archiver._version import __version__
from archiver.export import NO_POSITION, _after
from archiver.models import Link, Snapshot
from archiver.store import Store

__all__ = ["SECTION_SEPARATOR", "write_netscape"]

# How a section names its folder path, as the bookmarks importer writes it.
SECTION_SEPARATOR = " / "
_BATCH = 500
_HEAD = """<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<META NAME="generator" CONTENT="{generator} {version}">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks</H1>
"""


@dataclass(frozen=True, slots=True)
class _Bookmark:
    url: str
    title: str
    added: datetime | None
    tags: tuple[str, ...]
    note: str | None


@dataclass(slots=True)
class _Folder:
    bookmarks: list[_Bookmark] = field(default_factory=list)
    folders: dict[str, _Folder] = field(default_factory=dict)  # in the order first met

    def at(self, section: str | None) -> _Folder:
        folder = self
        for name in _path(section):
            folder = folder.folders.setdefault(name, _Folder())
        return folder


def _path(section: str | None) -> list[str]:
    parts = (section or "").split(SECTION_SEPARATOR)
    return [part.strip() for part in parts if part.strip()]


def write_netscape(store: Store, out: IO[str]) -> int:
    """Writes every link as a Netscape bookmark file; returns how many."""
    root = _Folder()
    count = 0
    for section, bookmark in _bookmarks(store):
        root.at(section).bookmarks.append(bookmark)
        count += 1
    out.write(_HEAD.format(generator=GENERATOR, version=html.escape(__version__)))
    _write_folder(out, root, depth=0)
    return count


def _write_folder(out: IO[str], folder: _Folder, depth: int) -> None:
    indent = "    " * depth
    out.write(f"{indent}<DL><p>\n")
    inner = indent + "    "
    for bookmark in folder.bookmarks:
        attrs = [f'HREF="{_attr(bookmark.url)}"']
        if bookmark.added is not None:
            attrs.append(f'ADD_DATE="{int(bookmark.added.timestamp())}"')
        if bookmark.tags:
            attrs.append(f'TAGS="{_attr(",".join(bookmark.tags))}"')
        out.write(f"{inner}<DT><A {' '.join(attrs)}>{html.escape(bookmark.title)}</A>\n")
        if bookmark.note:
            out.write(f"{inner}<DD>{html.escape(bookmark.note, quote=False)}\n")
    for name, child in folder.folders.items():
        out.write(f"{inner}<DT><H3>{html.escape(name, quote=False)}</H3>\n")
        _write_folder(out, child, depth + 1)
    out.write(f"{indent}</DL><p>\n")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _bookmarks(store: Store) -> Iterator[tuple[str | None, _Bookmark]]:
    """(section, bookmark) for every link in list order (as the other exports), a batch at
    a time, reading only what a bookmark shows (not the stored bodies)."""
    query: Any = (
        select(
            Link.id,
            Link.url,
            Link.title,
            Link.section,
            Link.tags,
            Link.note,
            Link.created_at,
            Link.position,
            Snapshot.title.label("page_title"),
        )
        .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
        .order_by(Link.position.is_(None), Link.position, Link.id)
    )
    last: tuple[int, int] | None = None
    while True:
        page = query if last is None else query.where(_after(*last))
        with store.session() as session:
            rows = session.execute(page.limit(_BATCH)).all()
        if not rows:
            return
        for row in rows:
            yield (
                row.section,
                _Bookmark(
                    url=row.url,
                    title=row.title or row.page_title or row.url,
                    added=row.created_at,
                    tags=tuple(row.tags or ()),
                    note=row.note,
                ),
            )
        tail = rows[-1]
        # Keyset paging on (position, id), as the JSON and markdown exports page.
        last = (tail.position if tail.position is not None else NO_POSITION, tail.id)
