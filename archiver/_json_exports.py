"""Bookmark services' JSON exports: Pinboard, Karakeep (formerly Hoarder) and Linkwarden.

Pinboard (Settings > Backup > JSON) writes one array of posts, `{"href", "description"
(the title), "extended" (the user's description), "meta", "hash", "time"
("2010-08-31T03:51:53Z"), "shared", "toread" ("yes"/"no"), "tags" ("a b", space
separated)}`, slashes escaped as `\\/`. `toread` "no" only means read: it shelves nothing.

Karakeep (packages/shared/import-export/exporters.ts, `zExportSchema`) writes
`{"bookmarks": [{"createdAt" (seconds since 1970), "title", "tags": [names], "lists": [list
ids], "content": {"type": "link", "url"} | {"type": "text", "text"} | null, "note",
"archived"}], "lists": [{"id", "name", "parentId", "type": "manual"|"smart", ...}]}`. A
bookmark's first manual list, with its parents, is its section; `archived` shelves it. Text
notes and assets have no URL: skipped, each with its reason.

Linkwarden (apps/web/lib/api/controllers/migration/exportData.ts) writes the user's
record with `"collections": [{"id", "name", "parentId", "links": [{"name", "url",
"description", "tags": [{"name"}], "type", "importDate", "createdAt"}]}]`; nested
collections are `Parent / Child` by their `parentId`, the saved date is `importDate` (when
it came from another tool) else `createdAt`. Uploads (PDFs, images) have no URL: skipped.

A file cut off mid-way keeps the entries before the break (archiver/_json_partial.py), with
one problem saying where; an entry of the wrong shape is a problem of its own; only a file
that is not JSON, or not the export it should be, raises SourceError.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from archiver._json_partial import Break, CutDict, load_partial
from archiver._linklist import LinkCollector, SourceError, shorten
from archiver.records import ImportResult

__all__ = ["parse_karakeep", "parse_linkwarden", "parse_pinboard"]

# Parent chains longer than this are a loop or a hostile file.
_MAX_NESTING = 100


def _load(text: str, source: str, what: str) -> tuple[Any, Break | None]:
    try:
        return load_partial(text)
    except ValueError as exc:
        raise SourceError(f"{source}: not a readable {what} file: {exc}") from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _seconds(value: object) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _entries(
    collector: LinkCollector,
    items: Iterable[Any],
    read: Callable[[int, Mapping[str, Any]], None],
    *,
    where: str = "",
) -> None:
    """Each whole object in `items` to `read` with its number; not an object is a problem,
    the entry the file broke inside is left to the break's own problem."""
    for number, item in enumerate(items, start=1):
        if isinstance(item, CutDict):
            continue
        if not isinstance(item, dict):
            collector.problem(None, f"entry {number}{where} skipped: not an object")
            continue
        read(number, item)


def _broken(collector: LinkCollector, cut: Break | None) -> None:
    if cut is not None:
        collector.problem(
            cut.line,
            f"the file is cut off or broken here (json: {cut.message}): the entries before "
            "it were read, the rest skipped",
        )


# --- Pinboard -------------------------------------------------------------------------------


def parse_pinboard(text: str, source: str) -> ImportResult:
    data, cut = _load(text, source, "Pinboard JSON export")
    if not isinstance(data, list):
        raise SourceError(f"{source}: not a Pinboard JSON export (not a list of bookmarks)")
    if data and not any(isinstance(post, dict) and "href" in post for post in data):
        raise SourceError(f'{source}: not a Pinboard JSON export (no entry has an "href")')
    collector = LinkCollector(source)

    def read(number: int, post: Mapping[str, Any]) -> None:
        url = _text(post.get("href"))
        if not url or not url.strip():
            collector.problem(None, f"entry {number} skipped: no URL (href)")
            return
        collector.add(
            url,
            title=_text(post.get("description")),
            tags=(_text(post.get("tags")) or "").split(),
            note=_text(post.get("extended")),
            added_at=_iso_time(post.get("time")),
        )

    _entries(collector, data, read)
    _broken(collector, cut)
    return collector.result()


# --- Karakeep -------------------------------------------------------------------------------


def parse_karakeep(text: str, source: str) -> ImportResult:
    data, cut = _load(text, source, "Karakeep export")
    bookmarks = data.get("bookmarks") if isinstance(data, dict) else None
    if not isinstance(bookmarks, list):
        raise SourceError(f'{source}: not a Karakeep export (no "bookmarks" list)')
    lists = _karakeep_lists(data.get("lists"))
    collector = LinkCollector(source)

    def read(number: int, bookmark: Mapping[str, Any]) -> None:
        content = bookmark.get("content")
        kind = content.get("type") if isinstance(content, dict) else None
        url = _text(content.get("url")) if isinstance(content, dict) else None
        if kind == "text":
            collector.problem(None, f"entry {number} skipped: a text note, no URL")
            return
        if kind != "link" or not url or not url.strip():
            shown = "an asset, or no content" if kind is None else shorten(str(kind), 20)
            collector.problem(None, f"entry {number} skipped: no URL ({shown})")
            return
        tags = bookmark.get("tags")
        collector.add(
            url,
            title=_text(bookmark.get("title")),
            section=_first_path(bookmark.get("lists"), lists),
            tags=tags if isinstance(tags, list) else (),
            note=_text(bookmark.get("note")),
            added_at=_seconds(bookmark.get("createdAt")),
            shelved=bookmark.get("archived") is True,
        )

    _entries(collector, bookmarks, read)
    _broken(collector, cut)
    return collector.result()


def _karakeep_lists(items: object) -> dict[str, tuple[str, str | None]]:
    """Manual lists by id: (name, parent id). Smart lists are saved searches, no place."""
    found: dict[str, tuple[str, str | None]] = {}
    for item in items if isinstance(items, list) else ():
        if not isinstance(item, dict) or isinstance(item, CutDict):
            continue
        list_id, name = _text(item.get("id")), _text(item.get("name"))
        if list_id and name and name.strip() and item.get("type", "manual") == "manual":
            found[list_id] = (name.strip(), _text(item.get("parentId")))
    return found


def _first_path(ids: object, lists: Mapping[Any, tuple[str, Any]]) -> str | None:
    for list_id in ids if isinstance(ids, list) else ():
        if isinstance(list_id, (str, int)) and list_id in lists:
            return _path(list_id, lists)
    return None


def _path(start: Any, folders: Mapping[Any, tuple[str, Any]]) -> str:
    """ "Parent / Child" up the parent chain (a loop ends it)."""
    names: list[str] = []
    seen: set[Any] = set()
    current = start
    while current in folders and current not in seen and len(names) < _MAX_NESTING:
        seen.add(current)
        name, current = folders[current]
        names.append(name)
    return " / ".join(reversed(names))


# --- Linkwarden -----------------------------------------------------------------------------


def parse_linkwarden(text: str, source: str) -> ImportResult:
    data, cut = _load(text, source, "Linkwarden backup")
    collections = data.get("collections") if isinstance(data, dict) else None
    if not isinstance(collections, list):
        raise SourceError(f'{source}: not a Linkwarden backup (no "collections" list)')
    folders: dict[Any, tuple[str, Any]] = {}
    for item in collections:
        if isinstance(item, dict) and isinstance(item.get("id"), (int, str)):
            name = _text(item.get("name")) or ""
            folders[item["id"]] = (name.strip(), item.get("parentId"))
    collector = LinkCollector(source)

    for number, collection in enumerate(collections, start=1):
        if not isinstance(collection, dict):
            collector.problem(None, f"collection {number} skipped: not an object")
            continue
        # A collection the file broke inside still holds the links read before the break.
        links = collection.get("links", [])
        if not isinstance(links, list):
            if not isinstance(collection, CutDict):
                collector.problem(None, f'collection {number} skipped: its "links" is not a list')
            continue
        key = collection.get("id")
        section = _path(key, folders) if key in folders else _text(collection.get("name"))
        shown = shorten(section or f"collection {number}")

        def read(
            index: int, link: Mapping[str, Any], section: str | None = section, shown: str = shown
        ) -> None:
            url = _text(link.get("url"))
            if not url or not url.strip():
                kind = _text(link.get("type")) or "entry"
                collector.problem(
                    None, f"entry {index} in {shown} skipped: no URL (a {shorten(kind, 20)})"
                )
                return
            tags = link.get("tags")
            collector.add(
                url,
                title=_text(link.get("name")),
                section=section,
                tags=[_text(tag.get("name")) or "" for tag in tags if isinstance(tag, dict)]
                if isinstance(tags, list)
                else (),
                note=_text(link.get("description")),
                added_at=_iso_time(link.get("importDate")) or _iso_time(link.get("createdAt")),
            )

        _entries(collector, links, read, where=f" in {shown}")
    _broken(collector, cut)
    return collector.result()
