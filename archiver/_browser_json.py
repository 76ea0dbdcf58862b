"""Browsers' own bookmark files: Chrome's (and Edge's, Brave's) `Bookmarks` JSON and
Firefox's bookmarks backup JSON (Bookmarks > Manage > Backup, `bookmarks-*.json`).

Chrome (components/bookmarks/browser/bookmark_codec.cc) writes `{"roots": {"bookmark_bar":
node, "other": node, "synced": node}, "version": 1, "checksum": ...}`; a node has `type`
"url" or "folder", `name`, `url`, `children` and `date_added`, a string of microseconds
since 1601-01-01 UTC. Firefox (PlacesBackups) writes one tree from the places root; a node
has `type` "text/x-moz-place" (bookmark, `uri`), "text/x-moz-place-container" (folder,
`children`) or "text/x-moz-place-separator", the same as `typeCode` 1, 2, 3, a `title`,
`dateAdded` in microseconds since 1970 and `tags` as "a,b".

Folders become the section "Parent / Child"; the browsers' own top-level containers (the
bookmarks bar, the menu, ...) are left out as archiver/_bookmarks.py leaves them out of an
HTML export. Bookmarklets (`javascript:`), separators and Firefox's `place:` queries are no
pages: they are skipped and counted. A node of the wrong shape is a problem of its own; only
a file that is not JSON, or has no tree at all, raises SourceError.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from archiver._linklist import LinkCollector, SourceError, shorten
from archiver.records import ImportResult
from archiver.tagging import split_tags

__all__ = ["parse_chrome", "parse_firefox"]

_CHROME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Nesting deeper than this is a broken or hostile file, not someone's folders.
_MAX_DEPTH = 100
_FIREFOX_BOOKMARK = "text/x-moz-place"
_FIREFOX_FOLDER = "text/x-moz-place-container"
_FIREFOX_SEPARATOR = "text/x-moz-place-separator"
_TYPE_CODES = {1: _FIREFOX_BOOKMARK, 2: _FIREFOX_FOLDER, 3: _FIREFOX_SEPARATOR}


@dataclass(frozen=True, slots=True)
class _Bookmark:
    url: str
    title: str | None
    folders: tuple[str, ...]
    added_at: datetime | None
    tags: tuple[str, ...] = ()


def _load(text: str, source: str, what: str) -> Any:
    try:
        return json.loads(text.lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"{source}: not a readable {what} file: {exc}") from None


def _microseconds(value: object, epoch: datetime) -> datetime | None:
    """A count of microseconds after `epoch` (a number or a string of digits), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    try:
        micros = int(value)
        when = epoch + timedelta(microseconds=micros)
    except (ValueError, OverflowError):
        return None
    return when if micros > 0 and when > _UNIX_EPOCH else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


class _Walk:
    """What the two tree walks share: the collector and the counts of skipped kinds."""

    def __init__(self, source: str) -> None:
        self.collector = LinkCollector(source)
        self.skipped: Counter[str] = Counter()

    def bad_node(self, folders: tuple[str, ...], why: str) -> None:
        where = " / ".join(folders) or "the top level"
        self.collector.problem(None, f"entry in {shorten(where)} skipped: {why}")

    def add(self, mark: _Bookmark) -> None:
        url = mark.url.strip()
        scheme = url.partition(":")[0].strip().lower()
        if scheme == "javascript":
            self.skipped["bookmarklets (javascript:)"] += 1
            return
        if scheme == "place":
            self.skipped["Firefox queries (place:)"] += 1
            return
        self.collector.add(
            url,
            title=mark.title,
            section=" / ".join(mark.folders) or None,
            tags=mark.tags,
            added_at=mark.added_at,
        )

    def result(self) -> ImportResult:
        for kind, count in sorted(self.skipped.items()):
            self.collector.problem(None, f"{kind} skipped: {count}")
        return self.collector.result()


# --- Chrome ---------------------------------------------------------------------------------


def parse_chrome(text: str, source: str) -> ImportResult:
    data = _load(text, source, "Chrome bookmarks")
    roots = data.get("roots") if isinstance(data, dict) else None
    if not isinstance(roots, dict):
        raise SourceError(f'{source}: not a Chrome bookmarks file (no "roots" object)')
    walk = _Walk(source)
    for name, root in roots.items():
        if not isinstance(root, dict):
            walk.bad_node((), f"the root {shorten(str(name))!r} is not an object")
            continue
        # The roots (bookmarks bar, other, mobile) hold everything, so they say nothing.
        for mark in _chrome_children(walk, root, (), 0):
            walk.add(mark)
    return walk.result()


def _chrome_children(
    walk: _Walk, folder: dict[str, Any], path: tuple[str, ...], depth: int
) -> Iterator[_Bookmark]:
    children = folder.get("children", [])
    if not isinstance(children, list):
        walk.bad_node(path, 'its "children" is not a list')
        return
    for node in children:
        if not isinstance(node, dict):
            walk.bad_node(path, "not an object")
            continue
        kind = node.get("type")
        name = _text(node.get("name"))
        if kind == "folder":
            if depth >= _MAX_DEPTH:
                walk.bad_node(path, f"folders nested deeper than {_MAX_DEPTH}")
                continue
            inner = (*path, name.strip()) if name and name.strip() else path
            yield from _chrome_children(walk, node, inner, depth + 1)
        elif kind == "url":
            url = _text(node.get("url"))
            if url is None:
                walk.bad_node(path, f"bookmark {shorten(name or '')!r} has no URL")
                continue
            added = _microseconds(node.get("date_added"), _CHROME_EPOCH)
            yield _Bookmark(url, name, path, added)
        else:
            walk.bad_node(path, f"unknown type {shorten(repr(kind))}")


# --- Firefox --------------------------------------------------------------------------------


def parse_firefox(text: str, source: str) -> ImportResult:
    data = _load(text, source, "Firefox bookmarks backup")
    if not isinstance(data, dict) or _firefox_type(data) != _FIREFOX_FOLDER:
        raise SourceError(f"{source}: not a Firefox bookmarks backup (no folder at the top)")
    walk = _Walk(source)
    for mark in _firefox_children(walk, data, (), 0):
        walk.add(mark)
    return walk.result()


def _firefox_type(node: dict[str, Any]) -> object:
    kind = node.get("type")
    if kind is None and isinstance(node.get("typeCode"), int):
        return _TYPE_CODES.get(node["typeCode"])
    return kind


def _firefox_children(
    walk: _Walk, folder: dict[str, Any], path: tuple[str, ...], depth: int
) -> Iterator[_Bookmark]:
    children = folder.get("children", [])
    if not isinstance(children, list):
        walk.bad_node(path, 'its "children" is not a list')
        return
    for node in children:
        if not isinstance(node, dict):
            walk.bad_node(path, "not an object")
            continue
        kind = _firefox_type(node)
        title = _text(node.get("title"))
        if kind == _FIREFOX_FOLDER:
            if node.get("root") == "tagsFolder":
                continue  # older backups list every tag as a folder of copies: tags come below
            if depth >= _MAX_DEPTH:
                walk.bad_node(path, f"folders nested deeper than {_MAX_DEPTH}")
                continue
            # Menu, toolbar, other, mobile: roots say nothing (see the module docstring).
            named = title and title.strip() and not node.get("root")
            inner = (*path, title.strip()) if named and title else path
            yield from _firefox_children(walk, node, inner, depth + 1)
        elif kind == _FIREFOX_BOOKMARK:
            url = _text(node.get("uri"))
            if url is None:
                walk.bad_node(path, f"bookmark {shorten(title or '')!r} has no URL")
                continue
            added = _microseconds(node.get("dateAdded"), _UNIX_EPOCH)
            tags = tuple(split_tags(_text(node.get("tags")) or ""))
            yield _Bookmark(url, title, path, added, tags)
        elif kind == _FIREFOX_SEPARATOR:
            walk.skipped["separators"] += 1
        else:
            walk.bad_node(path, f"unknown type {shorten(repr(kind))}")
