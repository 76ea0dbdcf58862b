"""Links named on a command line: by URL (normalised as `archive` does) or by id, resolved
once, before anything is done, so an unknown one stops the command with nothing changed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from app.services.vault import Vault
from archiver.models import Link
from archiver.urls import normalize_url

# Ids are 32-bit integers on PostgreSQL: a larger number names no link (app/services/queries.py).
_MAX_ID = 2**31 - 1


class UnknownLinks(ValueError):
    """URLs (or ids) asked for that the archive does not hold."""

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__(", ".join(urls))
        self.urls = list(urls)


def link_ids_for(vault: Vault, urls: Sequence[str]) -> list[int]:
    """The ids of the links archived under these URLs (normalised as archive does);
    UnknownLinks names those the archive does not hold."""
    return _resolve(vault, urls, ids=False)


def resolve_links(vault: Vault, refs: Sequence[str]) -> list[int]:
    """The ids of the links these references name, in order, each once: a number is a
    link id (as `/links/ID` shows it), anything else a URL. UnknownLinks names every
    reference that names no link."""
    return list(dict.fromkeys(_resolve(vault, refs, ids=True)))


def _resolve(vault: Vault, refs: Sequence[str], *, ids: bool) -> list[int]:
    found_ids: list[int] = []
    unknown: list[str] = []
    with vault.store.session() as session:
        for ref in refs:
            text = ref.strip()
            if ids and text.isascii() and text.isdigit():
                number = int(text)
                found = None
                if number <= _MAX_ID:
                    found = session.scalar(select(Link.id).where(Link.id == number))
            else:
                try:
                    normalized = normalize_url(text)
                except ValueError:
                    normalized = text
                found = session.scalar(select(Link.id).where(Link.normalized_url == normalized))
            if found is None:
                unknown.append(ref)
            else:
                found_ids.append(found)
    if unknown:
        raise UnknownLinks(unknown)
    return found_ids
