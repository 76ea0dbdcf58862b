"""Exports of the whole archive: the list back as markdown, and everything as JSON.

The JSON export is what `linkvault archive export.json` restores (archiver/restore.py): every
link with its metadata, every snapshot with its text and raw body, every check. It is written
one link per line, streamed, so an export never holds the whole archive in memory.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select

from archiver._version import __version__
from archiver.lists import Listing
from archiver.models import Check, Link, LinkStatus, Snapshot, utcnow
from archiver.records import decompress
from archiver.store import Store

EXPORT_FORMAT = "linkvault-export"
EXPORT_VERSION = 1
_BATCH = 200

LINK_FIELDS = (
    "id",
    "url",
    "normalized_url",
    "title",
    "section",
    "tags",
    "note",
    "source",
    "source_line",
    "position",
    "status",
    "error",
    "http_status",
    "failure_count",
    "created_at",
    "checked_at",
    "archived_at",
    "dead_since",
    "unreachable_since",
    "unreachable_reason",
    "shelved",
)
SNAPSHOT_FIELDS = (
    "id",
    "fetched_at",
    "http_status",
    "final_url",
    "content_type",
    "content_hash",
    "etag",
    "last_modified",
    "size",
    "kind",
    "title",
    "author",
    "published",
    "sitename",
    "description",
    "language",
    "headers",
    "text",
    "extracted_with",
    "imported_from",  # null: fetched by linkvault; else the tool whose export carried it
)
CHECK_FIELDS = ("checked_at", "status", "http_status", "error", "changed")


@dataclass(slots=True)
class LinkRecord:
    """A link with its whole history, detached from the session."""

    link: Link
    snapshots: list[Snapshot]
    checks: list[Check]
    # The followed lists that list it, or listed it and dropped it (archiver/lists.py).
    listings: list[Listing] = field(default_factory=list)


def iter_links(store: Store) -> Iterator[LinkRecord]:
    """Every link in list order, with its snapshots (oldest first) and checks, in batches."""
    last: tuple[int, int] | None = None
    order = (Link.position.is_(None), Link.position, Link.id)
    while True:
        with store.session() as session:
            query = select(Link).order_by(*order).limit(_BATCH)
            if last is not None:
                # Keyset paging on (position, id); links without a position come last.
                query = query.where(_after(*last))
            links = list(session.scalars(query))
            if not links:
                return
            ids = [link.id for link in links]
            snapshots: dict[int, list[Snapshot]] = {i: [] for i in ids}
            for snap in session.scalars(
                select(Snapshot)
                .where(Snapshot.link_id.in_(ids))
                .order_by(Snapshot.fetched_at, Snapshot.id)
            ):
                snapshots[snap.link_id].append(snap)
            checks: dict[int, list[Check]] = {i: [] for i in ids}
            for check in session.scalars(
                select(Check).where(Check.link_id.in_(ids)).order_by(Check.checked_at, Check.id)
            ):
                checks[check.link_id].append(check)
        listings = store.lists.listings(ids)
        for link in links:
            yield LinkRecord(link, snapshots[link.id], checks[link.id], listings.get(link.id, []))
        tail = links[-1]
        last = (_position_key(tail), tail.id)


# The position key of links without a position: they come last.
NO_POSITION = 2**62


def _position_key(link: Link) -> int:
    return link.position if link.position is not None else NO_POSITION


def _after(position: int, link_id: int) -> Any:
    key = Link.position
    if position == NO_POSITION:
        return key.is_(None) & (Link.id > link_id)
    return (key > position) | ((key == position) & (Link.id > link_id)) | key.is_(None)


# -- JSON ------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def link_json(record: LinkRecord) -> dict[str, Any]:
    link = record.link
    data: dict[str, Any] = {name: _plain(getattr(link, name)) for name in LINK_FIELDS}
    data["snapshot"] = link.snapshot_id
    data["snapshots"] = []
    for snap in record.snapshots:
        item = {name: _plain(getattr(snap, name)) for name in SNAPSHOT_FIELDS}
        # The structured copy as the JSON it is, not a string inside a string.
        item["document"] = None if snap.document is None else json.loads(snap.document)
        # Bodies of types with no text (images) are not kept: null, not an empty body.
        kept = bool(snap.raw) or snap.size == 0
        item["body_base64"] = base64.b64encode(decompress(snap.raw)).decode() if kept else None
        data["snapshots"].append(item)
    data["checks"] = [
        {
            **{name: _plain(getattr(check, name)) for name in CHECK_FIELDS},
            "snapshot": check.snapshot_id,
        }
        for check in record.checks
    ]
    # Followed lists only: absent, not empty, for a link no followed list ever named.
    if record.listings:
        data["lists"] = [
            {
                "url": listing.list_url,
                "listed": listing.still_listed,
                "first_listed": _plain(listing.first_listed),
                "last_listed": _plain(listing.last_listed),
            }
            for listing in record.listings
        ]
    return data


def write_json(store: Store, out: IO[str]) -> int:
    """Writes the JSON export; returns the number of links written."""
    head = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "generator": f"linkvault {__version__}",
        "exported_at": utcnow().isoformat(),
    }
    out.write(json.dumps(head)[:-1] + ', "links": [\n')
    count = 0
    for record in iter_links(store):
        out.write((",\n" if count else "") + json.dumps(link_json(record), ensure_ascii=False))
        count += 1
    # The figures' archived images, each once: a backup's reader pages show them too.
    out.write('\n], "images": [\n')
    for number, image in enumerate(store.images.iter_images()):
        item = {
            "sha256": image.sha256,
            "content_type": image.content_type,
            "url": image.url,
            "fetched_at": image.fetched_at.isoformat(),
            "body_base64": base64.b64encode(image.data).decode(),
        }
        out.write((",\n" if number else "") + json.dumps(item))
    out.write("\n]}\n")
    return count


# -- markdown --------------------------------------------------------------------------------


def write_markdown(store: Store, out: IO[str], base_url: str | None = None) -> dict[str, int]:
    """The list back, section by section in the order first listed, each link followed by its
    status and its archived copy; dead links are marked so a maintainer can find and repair
    them. Returns counts by status."""
    groups: dict[str | None, list[LinkRecord]] = {}
    counts: dict[str, int] = {}
    for record in iter_links(store):
        groups.setdefault(record.link.section, []).append(record)
        counts[record.link.status] = counts.get(record.link.status, 0) + 1
    total = sum(counts.values())
    dead = counts.get(LinkStatus.DEAD, 0)
    # No heading of its own: a parser would take it for the section of the links after it.
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    out.write(
        f"_Exported by linkvault {utcnow():%Y-%m-%d}: {total} links ({summary or 'none'})._\n"
    )
    if dead:
        out.write(
            f"\n{dead} dead: look for **dead** below, with the archived copy where there is one.\n"
        )
    prefix = (base_url or "").rstrip("/")
    # Links without a section go first, before any heading: after one they would read as
    # part of that section.
    if None in groups:
        groups = {None: groups.pop(None), **groups}
    for section, records in groups.items():
        out.write(f"\n## {section}\n\n" if section else "\n")
        for record in records:
            out.write(_markdown_line(record, prefix) + "\n")
    return counts


def _markdown_line(record: LinkRecord, prefix: str) -> str:
    link = record.link
    current = next((s for s in record.snapshots if s.id == link.snapshot_id), None)
    title = link.title or (current.title if current else None) or link.url
    parts = [f"* [{_escape(title)}]({_destination(link.url)})"]
    if link.status == LinkStatus.DEAD:
        since = f" since {link.dead_since:%Y-%m-%d}" if link.dead_since else ""
        parts.append(f"**dead**{since}" + (f" ({_escape(link.error)})" if link.error else ""))
    elif link.unreachable_since is not None:
        reason = f" ({_escape(link.unreachable_reason)})" if link.unreachable_reason else ""
        since = f"{link.unreachable_since:%Y-%m-%d}"
        parts.append(f"{link.status}, unreachable since {since}{reason}, not confirmed yet")
    elif link.status != LinkStatus.OK and link.error:
        parts.append(f"{link.status} ({_escape(link.error)})")
    else:
        parts.append(str(link.status))
    if link.snapshot_id is not None:
        when = f" of {link.archived_at:%Y-%m-%d}" if link.archived_at else ""
        origin = current.imported_from if current is not None else None
        source = f", imported from {origin}" if origin else ""
        parts.append(f"[archived copy{when}{source}]({prefix}/links/{link.id})")
    if link.shelved:
        parts.append("shelved")
    for listing in record.listings:
        if not listing.still_listed:
            parts.append(f"no longer listed in {_escape(listing.list_url)}")
    if link.tags:
        parts.append("tags: " + ", ".join(f"`{_code(tag)}`" for tag in link.tags))
    line = " · ".join(parts)
    if link.note:
        # The note under its link, as a quote inside the list item, each line of it.
        line += "".join(f"\n  > {_escape(part)}" for part in link.note.split("\n") if part)
    return line


def _escape(text: str) -> str:
    """Text safe inside a markdown link label: brackets and emphasis marks are escaped."""
    text = " ".join(text.split())
    for char in "\\[]*_`<>":
        text = text.replace(char, "\\" + char)
    return text


def _code(text: str) -> str:
    """Text safe inside a single-backtick code span (a tag holds no newline)."""
    return text.replace("`", "'")


def _destination(url: str) -> str:
    # Spaces or unbalanced parentheses would end a plain destination early.
    if any(c in url for c in " <>") or url.count("(") != url.count(")"):
        return "<" + url.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E") + ">"
    return url
