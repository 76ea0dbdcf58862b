"""Curating links: what their owner sets on them (title, section, tags, note, shelved) and removing
them with everything they own.

What the owner sets lives on the link and nothing fetched ever changes it (a page's own
title is its snapshot's), so an edit survives every refresh. A removal is one transaction:
the link's checks, snapshots, the snapshots' image uses, the images no other snapshot shows,
and the link itself (its place in the work queue is columns on it). The rows are deleted
explicitly, children first, rather than left to ON DELETE CASCADE: SQLite enforces foreign
keys only because archiver/_engine.py turns them on, and a database made another way would
keep orphans silently. The link rows are locked first, so a fetch storing its result at the
same moment either finishes before the removal or finds the link gone (archiver/links.py,
LinkGone) and stores nothing.

The search index is not the archiver's: the caller updates it after the commit
(app/services/curation.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Final, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    delete,
    exists,
    func,
    select,
    update,
)

from archiver._engine import Database
from archiver._linklist import MAX_NOTE_LENGTH, MAX_TITLE_LENGTH
from archiver.models import Check, Image, Link, ListedLink, Snapshot, SnapshotImage
from archiver.tagging import InvalidTag, clean_tag, clean_tags, same_tag

__all__ = [
    "KEEP",
    "MAX_NOTE_LENGTH",
    "MAX_SECTION_LENGTH",
    "MAX_TAGS",
    "MAX_TITLE_LENGTH",
    "Curation",
    "CuratedLink",
    "Edited",
    "InvalidField",
    "Keep",
    "LinkChanges",
    "clean_section",
    "clean_shelved",
    "clean_title",
    "clean_user_note",
    "tagged",
]

MAX_SECTION_LENGTH = 300
MAX_TAGS = 100  # per link
_CHUNK = 500  # ids per statement: SQLite limits bound parameters


class Keep(Enum):
    """A field an edit leaves as it is."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


class InvalidField(ValueError):
    """A title, section or note the edit refuses; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class LinkChanges:
    """What one edit sets. A field left at KEEP stays as it is; None or "" clears a title,
    a section or a note (a link without a title of its own shows its page's). `tags`
    replaces the whole list; `add_tags` and `remove_tags` then change it."""

    title: str | None | Literal[Keep.KEEP] = KEEP
    section: str | None | Literal[Keep.KEEP] = KEEP
    note: str | None | Literal[Keep.KEEP] = KEEP
    tags: Sequence[str] | Literal[Keep.KEEP] = KEEP
    add_tags: Sequence[str] = ()
    remove_tags: Sequence[str] = ()
    shelved: bool | Literal[Keep.KEEP] = KEEP

    def checked(self) -> LinkChanges:
        """The changes with every value cleaned; InvalidTag or InvalidField for the first
        value the rules refuse, before anything is written."""
        return LinkChanges(
            title=_keep_or(self.title, clean_title),
            section=_keep_or(self.section, clean_section),
            note=_keep_or(self.note, clean_user_note),
            tags=KEEP if self.tags is KEEP else clean_tags(_text_items(self.tags, "tags")),
            add_tags=clean_tags(_text_items(self.add_tags, "tags")),
            remove_tags=[clean_tag(tag) for tag in _text_items(self.remove_tags, "tags")],
            shelved=_keep_or(self.shelved, clean_shelved),
        )

    def applied(self, link: Any) -> dict[str, Any]:
        """The columns these (checked) changes give a link with `link`'s title, section,
        note, tags and shelved, only those that differ."""
        values: dict[str, Any] = {}
        for name in ("title", "section", "note", "shelved"):
            value = getattr(self, name)
            if value is not KEEP and value != getattr(link, name):
                values[name] = value
        tags = list(link.tags or []) if self.tags is KEEP else list(self.tags)
        have = {same_tag(tag) for tag in tags}
        for tag in self.add_tags:
            if same_tag(tag) not in have:
                tags.append(tag)
                have.add(same_tag(tag))
        dropped = {same_tag(tag) for tag in self.remove_tags}
        tags = [tag for tag in tags if same_tag(tag) not in dropped]
        if len(tags) > MAX_TAGS:
            raise InvalidTag(f"a link holds at most {MAX_TAGS} tags, not {len(tags)}")
        if tags != list(link.tags or []):
            values["tags"] = tags
        return values


def _keep_or(value: Any, clean: Any) -> Any:
    return KEEP if value is KEEP else clean(value)


def _text_items(values: Iterable[Any], what: str) -> list[str]:
    if isinstance(values, str):
        raise InvalidTag(f"{what} are a list of tags, not one text")
    return list(values)


def _has_control(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(char) == "Cc" and char not in allowed for char in text)


def clean_title(value: str | None) -> str | None:
    """A title as the owner typed it (see clean_line); None clears it."""
    return clean_line(value, "title", MAX_TITLE_LENGTH)


def clean_section(value: str | None) -> str | None:
    """A section as the owner typed it (see clean_line); None clears it."""
    return clean_line(value, "section", MAX_SECTION_LENGTH)


def clean_line(value: str | None, what: str, limit: int) -> str | None:
    """A title or a section as the owner typed it: whitespace runs made one space, None
    for nothing; InvalidField for a control character or more than `limit` characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(f"the {what} is text, not {type(value).__name__}")
    if _has_control(value, allowed="\t\n\r"):
        raise InvalidField(f"the {what} contains a control character")
    line = " ".join(value.split())
    if len(line) > limit:
        raise InvalidField(f"the {what} is {len(line)} characters long; at most {limit}")
    return line or None


def clean_user_note(value: str | None) -> str | None:
    """A note as the owner typed it: its lines kept (newlines made "\\n"), trailing spaces
    and blank lines around it dropped; None for nothing. InvalidField for a control
    character other than a tab or a newline, or more than MAX_NOTE_LENGTH characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(f"the note is text, not {type(value).__name__}")
    if _has_control(value, allowed="\t\n\r"):
        raise InvalidField("the note contains a control character")
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    note = "\n".join(line.rstrip() for line in lines).strip("\n")
    if len(note) > MAX_NOTE_LENGTH:
        raise InvalidField(f"the note is {len(note)} characters long; at most {MAX_NOTE_LENGTH}")
    return note or None


def clean_shelved(value: object) -> bool:
    """Shelved or not: a boolean, nothing else (not "false", which is true in Python)."""
    if not isinstance(value, bool):
        raise InvalidField(f"shelved is true or false, not {type(value).__name__}")
    return value


@dataclass(frozen=True, slots=True)
class CuratedLink:
    """A link as its owner sees it when curating it."""

    id: int
    url: str
    title: str | None  # the owner's; None: the page's title is shown
    shown_title: str  # what lists show: the owner's title, else the page's, else the URL
    section: str | None
    tags: tuple[str, ...]
    note: str | None
    shelved: bool = False  # filed away by its owner (see archiver/models.py Link.shelved)


@dataclass(frozen=True, slots=True)
class Edited:
    link: CuratedLink
    changed: tuple[str, ...]  # the fields that changed: title, section, tags, note, shelved


def tagged(tag: str, dialect: str) -> ColumnElement[bool]:
    """A condition on links: the link has this tag, compared case-insensitively, for this
    SQL dialect ("sqlite" or "postgresql"). Tags are a JSON list: each element is compared
    whole (a LIKE on the JSON text would find "py" in "python", and quotes and escapes in
    it), with SQLite's json_each or PostgreSQL's json_array_elements_text."""
    if dialect == "postgresql":
        items = func.json_array_elements_text(Link.tags).table_valued("value")
        fold: Any = func.lower
    else:
        items = func.json_each(Link.tags).table_valued("value")
        fold = func.casefold  # registered on every SQLite connection (archiver/_engine.py)
    return exists(select(1).select_from(items).where(fold(items.c.value) == fold(tag)))


class Curation(Database):
    """Edits and removals of links, each one transaction."""

    def describe(self, link_ids: Sequence[int]) -> list[CuratedLink]:
        """These links as they are, in the order given; ids of no link are left out."""
        with self.engine.connect() as conn:
            return self._describe(conn, link_ids)

    def edit(self, link_id: int, changes: LinkChanges) -> Edited | None:
        """Applies the changes (checked first: InvalidTag, InvalidField) to the link; None
        when there is no such link. A change marks the link for the index."""
        checked = changes.checked()
        with self.engine.begin() as conn:
            if not _lock(conn, [link_id]):
                return None
            row = conn.execute(
                select(Link.title, Link.section, Link.note, Link.tags, Link.shelved).where(
                    Link.id == link_id
                )
            ).one()
            values = checked.applied(row)
            changed = tuple(values)
            # Shelving is not searched: only the other fields send the link to the index.
            if set(changed) - {"shelved"}:
                values["needs_index"] = True
            if values:
                conn.execute(update(Link).where(Link.id == link_id).values(**values))
            return Edited(self._describe(conn, [link_id])[0], changed)

    def remove(self, link_ids: Sequence[int]) -> list[CuratedLink]:
        """Removes these links and everything they own, in one transaction; returns the
        links removed as they were (ids of no link are left out)."""
        wanted = list(dict.fromkeys(link_ids))
        with self.engine.begin() as conn:
            present = set(_lock(conn, wanted))
            removed = self._describe(conn, [i for i in wanted if i in present])
            images: set[str] = set()
            for chunk in _chunks(sorted(present)):
                snapshots = select(Snapshot.id).where(Snapshot.link_id.in_(chunk))
                shown = SnapshotImage.snapshot_id.in_(snapshots)
                images.update(conn.execute(select(SnapshotImage.sha256).where(shown)).scalars())
                conn.execute(delete(SnapshotImage).where(shown))
                conn.execute(delete(Check).where(Check.link_id.in_(chunk)))
                conn.execute(delete(ListedLink).where(ListedLink.link_id.in_(chunk)))
                # The link points at its current snapshot: let go of it first.
                conn.execute(update(Link).where(Link.id.in_(chunk)).values(snapshot_id=None))
                conn.execute(delete(Snapshot).where(Snapshot.link_id.in_(chunk)))
                conn.execute(delete(Link).where(Link.id.in_(chunk)))
            # Stored once by content, an image may show in other links' snapshots too.
            unused = ~exists(select(1).where(SnapshotImage.sha256 == Image.sha256))
            for chunk in _chunks(sorted(images)):
                conn.execute(delete(Image).where(Image.sha256.in_(chunk), unused))
        return removed

    @staticmethod
    def _describe(conn: Connection, link_ids: Sequence[int]) -> list[CuratedLink]:
        found: dict[int, CuratedLink] = {}
        for chunk in _chunks(list(dict.fromkeys(link_ids))):
            for row in conn.execute(
                select(
                    Link.id,
                    Link.url,
                    Link.title,
                    Link.section,
                    Link.tags,
                    Link.note,
                    Link.shelved,
                    Snapshot.title.label("page_title"),
                )
                .outerjoin(Snapshot, Link.snapshot_id == Snapshot.id)
                .where(Link.id.in_(chunk))
            ):
                found[row.id] = CuratedLink(
                    id=row.id,
                    url=row.url,
                    title=row.title,
                    shown_title=row.title or row.page_title or row.url,
                    section=row.section,
                    tags=tuple(row.tags or ()),
                    note=row.note,
                    shelved=bool(row.shelved),
                )
        return [found[i] for i in link_ids if i in found]


def _lock(conn: Connection, link_ids: Sequence[int]) -> list[int]:
    """Locks these links' rows until the transaction ends; returns those that exist.

    PostgreSQL: FOR UPDATE, in id order, which a fetch storing a result (its foreign keys
    take KEY SHARE on the link) waits for, and which waits for it. SQLite: a write that
    changes nothing takes the database's write lock now, so nothing read below can change
    before this transaction commits (pysqlite begins transactions at the first write)."""
    ids = sorted(set(link_ids))
    if conn.dialect.name != "postgresql":
        conn.execute(update(Link).where(Link.id == -1).values(needs_index=Link.needs_index))
    found: list[int] = []
    for chunk in _chunks(ids):
        query = select(Link.id).where(Link.id.in_(chunk)).order_by(Link.id)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found.extend(conn.execute(query).scalars())
    return found


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])
