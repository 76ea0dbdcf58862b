"""wallabag's JSON export (Unread / Starred / Archive / All entries > Export > JSON).

wallabag serialises its entries with JMS Serializer, group "entries_for_user"
(src/Helper/EntriesExport.php, src/Entity/Entry.php): a JSON array, slashes escaped the PHP
way (`https:\\/\\/`), of entries with `id`, `title`, `url` (where the article was found),
`origin_url`, `given_url` (what was saved), `content` (the article as HTML, as wallabag
extracted it), `created_at` and `updated_at` (ISO 8601 with an offset), `mimetype`,
`language`, `reading_time`, `domain_name`, `preview_picture`, `http_status`, `headers`,
`published_at`, `published_by`, `annotations`, and the virtual properties `is_archived` and
`is_starred` (0 or 1) and `tags` (the tags' labels, strings). Older exports wrote `tags` as
objects with a `label`; both are read.

Kept: the URL (`url`, else `given_url`), the title (not wallabag's "No title found"), the
tags, the date it was saved (`created_at`) and the article as the link's imported copy,
unless it is wallabag's "can't retrieve contents" placeholder. wallabag has no folders or
descriptions; annotations are not kept.
"""

from __future__ import annotations

from typing import Any

from archiver._export_json import entries_of, imported_copy, iso_datetime, text_of
from archiver._linklist import LinkCollector, shorten
from archiver.records import ImportResult

__all__ = ["parse_wallabag"]

_NO_TITLE = "No title found"  # wallabag.fetching_error_message_title
_NOT_FETCHED = "can't retrieve contents for this article"  # wallabag.fetching_error_message


def _tags(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    tags: list[str] = []
    for tag in value:
        label = tag.get("label") if isinstance(tag, dict) else tag
        if isinstance(label, str):
            tags.append(label)
    return tags


def _entry(collector: LinkCollector, number: int, entry: dict[str, Any]) -> None:
    where = f"entry {number}"
    url = (text_of(entry.get("url")) or "").strip() or (text_of(entry.get("given_url")) or "")
    if not url.strip():
        collector.problem(None, f"{where} without a URL skipped")
        return
    title = text_of(entry.get("title"))
    if title is not None and title.strip() == _NO_TITLE:
        title = None
    saved_at = iso_datetime(entry.get("created_at"))
    content = entry.get("content")
    if isinstance(content, str) and _NOT_FETCHED in content[:400]:
        content = None  # wallabag could not fetch it either: there is no article to keep
    collector.add(
        url,
        title=title,
        tags=_tags(entry.get("tags")),
        added_at=saved_at,
        # wallabag's "archive" is its read state (0/1, true/false in older versions).
        shelved=entry.get("is_archived") in (1, True, "1", "true"),
        imported_copy=imported_copy(
            collector, where, content, origin="wallabag", title=title, saved_at=saved_at
        ),
    )


def parse_wallabag(text: str, source: str) -> ImportResult:
    collector = LinkCollector(source)
    for number, entry in enumerate(entries_of(text, source, "wallabag export"), start=1):
        if not isinstance(entry, dict):
            collector.problem(None, f"entry {number} skipped: not an object")
            continue
        try:
            _entry(collector, number, entry)
        except (TypeError, ValueError) as exc:  # a field of a shape no wallabag writes
            collector.problem(None, f"entry {number} skipped: {shorten(str(exc))}")
    return collector.result()
