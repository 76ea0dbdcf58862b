"""Curating the archive, once for the command line, the JSON API and the web forms: editing
what the owner sets on a link (title, section, tags, note, shelved) and removing links.

The database changes in one transaction (archiver/curation.py); the search index follows at
once, after the commit. If the index cannot (another writer held it past its lock timeout, or
it is damaged), the change stands and the index catches up at the next run or with
`linkvault check --repair`: an edited link stays marked for it, and a removed link's document
is one the database no longer has, which `sync_index` deletes. The caller hears of it in
`index_error`, to tell the user.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from app.services.indexing import index_links
from app.services.linkrefs import UnknownLinks
from app.services.vault import Vault
from archiver import InvalidField, InvalidTag, clean_tags, split_tags
from archiver.curation import (
    KEEP,
    CuratedLink,
    Keep,
    LinkChanges,
    clean_section,
    clean_title,
    clean_user_note,
)
from index import IndexUnavailable

__all__ = [
    "FIELD_RULES",
    "Edit",
    "Removal",
    "edit_link",
    "field_problems",
    "links_to_remove",
    "remove_links",
    "sentence",
]

# What the owner may set on a link, field by field, as text typed in a form (tags
# comma-separated): the rules edit_link applies, so a form can put each message next to its
# own field, all of them at once, before anything is written.
FIELD_RULES: dict[str, Callable[[str], object]] = {
    "title": clean_title,
    "section": clean_section,
    "tags": lambda text: clean_tags(split_tags(text)),
    "note": clean_user_note,
}
# Not a rule of FIELD_RULES: shelved is no text typed in a field but a boolean (the API's
# `shelved`, the command line's --shelve/--unshelve), checked by archiver's clean_shelved.


def field_problems(values: Mapping[str, str]) -> dict[str, str]:
    """For each field of FIELD_RULES given whose value a rule refuses, the message, as a
    sentence."""
    problems: dict[str, str] = {}
    for name, value in values.items():
        try:
            FIELD_RULES[name](value)
        except (InvalidTag, InvalidField) as exc:
            problems[name] = sentence(exc)
    return problems


def sentence(exc: Exception) -> str:
    """A rule's message ("a tag cannot be empty") as a sentence for a page."""
    message = str(exc)
    return f"{message[:1].upper()}{message[1:]}."


@dataclass(frozen=True, slots=True)
class Removal:
    links: list[CuratedLink]  # removed (or, for a dry run, that would be), in the order given
    dry_run: bool = False
    index_error: str | None = None  # removed from the database; the index has yet to follow


@dataclass(frozen=True, slots=True)
class Edit:
    link: CuratedLink  # the link after the edit
    changed: tuple[str, ...]  # what changed: title, section, tags, note, shelved
    index_error: str | None = None  # stored; the index has yet to follow


def links_to_remove(vault: Vault, link_ids: Sequence[int]) -> list[CuratedLink]:
    """These links as they are (what a removal would take); UnknownLinks names the ids of
    no link."""
    found = vault.store.curation.describe(link_ids)
    missing = sorted(set(link_ids) - {link.id for link in found})
    if missing:
        raise UnknownLinks([str(link_id) for link_id in missing])
    return found


def remove_links(vault: Vault, link_ids: Sequence[int], *, dry_run: bool = False) -> Removal:
    """Removes these links with their snapshots, checks, queue entry, index documents and
    the images nothing else shows. UnknownLinks, with nothing removed, when an id names no
    link; with `dry_run`, only says what would be removed."""
    chosen = links_to_remove(vault, link_ids)
    if dry_run:
        return Removal(chosen, dry_run=True)
    # A link removed by someone else meanwhile is simply not in the answer.
    removed = vault.store.curation.remove([link.id for link in chosen])
    error = _follow(vault, [link.id for link in removed])
    return Removal(removed, index_error=error)


def edit_link(
    vault: Vault,
    link_id: int,
    *,
    title: str | None | Literal[Keep.KEEP] = KEEP,
    section: str | None | Literal[Keep.KEEP] = KEEP,
    tags: Sequence[str] | Literal[Keep.KEEP] = KEEP,
    note: str | None | Literal[Keep.KEEP] = KEEP,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    shelved: bool | Literal[Keep.KEEP] = KEEP,
) -> Edit:
    """Sets what is given (KEEP, the default, leaves a field as it is; None or "" clears a
    title, section or note; `tags` replaces the list, `add_tags` and `remove_tags` change
    it; `shelved` files the link away or takes it back). InvalidTag or InvalidField (both
    ValueError, with a message for the user) before anything is written; UnknownLinks when
    there is no such link."""
    changes = LinkChanges(
        title=title,
        section=section,
        note=note,
        tags=tags,
        add_tags=add_tags,
        remove_tags=remove_tags,
        shelved=shelved,
    )
    edited = vault.store.curation.edit(link_id, changes)
    if edited is None:
        raise UnknownLinks([str(link_id)])
    # Shelving is not searched: the index follows the other fields only.
    searched = set(edited.changed) - {"shelved"}
    error = _follow(vault, [link_id]) if searched else None
    return Edit(edited.link, edited.changed, index_error=error)


def _follow(vault: Vault, link_ids: list[int]) -> str | None:
    """The index follows the database now; what stopped it, if something did."""
    if not link_ids:
        return None
    try:
        index_links(vault.store, vault.index, link_ids)
    except IndexUnavailable as exc:
        return str(exc)
    return None
