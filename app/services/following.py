"""Following reading lists on the web (`linkvault follow`, `unfollow`, and `refresh`, which
reads every followed list first).

A list is fetched with the pages' own Fetcher, so the address guard, the size limit, the
timeouts and the charset rules apply to it too, with conditional requests from the
validators of its last read (a 304 changes nothing). Its links are imported with their
sections (the list's section prefix first) and the list records which links it lists: a link
dropped from it is kept, marked as no longer listed. Archiving what a read brought is the
caller's next step (`tasks_to_archive`, `archive_or_queue` in app/services/archiving.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.services.vault import Vault
from archiver.fetch import Fetcher, FetchResult, Outcome
from archiver.followed import ListAddress, list_address
from archiver.lists import LIST_FAILED, LIST_OK, LIST_UNCHANGED, ListingChange, ListState
from archiver.records import ImportResult, LinkSpec, SourceProblem
from archiver.sources import SourceError, clean_text, read_web_list

__all__ = [
    "BadListAddress",
    "Followed",
    "ListRead",
    "ListUnreadable",
    "UnknownList",
    "follow_list",
    "followed_lists",
    "read_followed_lists",
    "unfollow_list",
]

# Content types that are surely no list, refused before decoding.
_NOT_LISTS = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip")


class BadListAddress(ValueError):
    """The URL given to follow cannot be a list's (not http(s), no host)."""


class ListUnreadable(Exception):
    """A list to follow could not be read; nothing was stored."""


class UnknownList(LookupError):
    """No followed list has this id or URL."""


@dataclass(frozen=True, slots=True)
class ListRead:
    """What reading one followed list did."""

    followed: ListState  # as it was before this read
    status: str  # LIST_OK, LIST_UNCHANGED or LIST_FAILED
    error: str | None = None
    problems: list[SourceProblem] = field(default_factory=list)
    listed: int = 0  # links it lists now (LIST_OK only)
    new: int = 0  # of those, links new to the archive
    change: ListingChange | None = None

    @property
    def to_archive(self) -> list[int]:
        """Links this read listed for the first time or again."""
        return [] if self.change is None else self.change.added + self.change.returned


@dataclass(frozen=True, slots=True)
class Followed:
    """`follow`: the list, whether it was followed before, and its first (or new) read."""

    followed: ListState
    created: bool
    read: ListRead


def followed_lists(vault: Vault) -> list[ListState]:
    return vault.store.lists.all()


def follow_list(vault: Vault, url: str, section_prefix: str | None = None) -> Followed:
    """Follows the list at `url` and reads it; a list followed already (the same address,
    however spelt) is read again, not added twice. A list that cannot be read the first
    time is not followed: ListUnreadable says why."""
    try:
        address = list_address(url)
    except ValueError as exc:
        raise BadListAddress(str(exc)) from None
    prefix = _clean_prefix(section_prefix)
    lists = vault.store.lists
    known = lists.find_address(address)
    if known is not None:
        if prefix is not None:
            known, _ = lists.add(address, prefix)
        read = _read_all(vault, [(known, address)])[0]
        return Followed(known, False, read)
    fetched = _fetch_all(vault, [(None, address)])[0]
    result = _links_of(address, fetched)  # before anything is stored
    state, created = lists.add(address, prefix)
    return Followed(state, created, _record(vault, state, address, fetched, result))


def unfollow_list(vault: Vault, ref: str) -> ListState:
    """Stops following a list, named by id or URL; its links stay in the archive."""
    lists = vault.store.lists
    found = lists.find(ref)
    if found is None:
        try:
            found = lists.find_address(list_address(ref))
        except ValueError:
            found = None
    if found is None:
        raise UnknownList(ref)
    lists.remove(found.id)
    return found


def read_followed_lists(vault: Vault) -> list[ListRead]:
    """Reads every followed list again (conditional requests); one that fails is reported
    in its ListRead and the others are read all the same."""
    pairs = [(state, list_address(state.url)) for state in vault.store.lists.all()]
    return _read_all(vault, pairs)


def _read_all(vault: Vault, pairs: Sequence[tuple[ListState, ListAddress]]) -> list[ListRead]:
    if not pairs:
        return []
    fetched = _fetch_all(vault, pairs)
    reads = []
    for (state, address), result in zip(pairs, fetched, strict=True):
        reads.append(_read_one(vault, state, address, result))
    return reads


def _read_one(
    vault: Vault, state: ListState, address: ListAddress, fetched: FetchResult
) -> ListRead:
    lists = vault.store.lists
    if fetched.outcome is Outcome.OK and fetched.not_modified:
        lists.record_unchanged(state.id)
        return ListRead(state, LIST_UNCHANGED)
    try:
        if fetched.outcome is Outcome.OK and _hash(fetched) == state.content_hash:
            # The same bytes from a server without validators (or ignoring them).
            lists.record_unchanged(
                state.id, fetched.headers.get("etag"), fetched.headers.get("last-modified")
            )
            return ListRead(state, LIST_UNCHANGED)
        result = _links_of(address, fetched)
    except ListUnreadable as exc:
        lists.record_failure(state.id, str(exc))
        return ListRead(state, LIST_FAILED, error=str(exc))
    return _record(vault, state, address, fetched, result)


def _record(
    vault: Vault,
    state: ListState,
    address: ListAddress,
    fetched: FetchResult,
    result: ImportResult,
) -> ListRead:
    prefix = state.section_prefix
    specs = [_prefixed(spec, prefix) for spec in result.links]
    imported = vault.import_links(specs)
    change = vault.store.lists.record_read(
        state.id,
        imported.link_ids,
        etag=fetched.headers.get("etag"),
        last_modified=fetched.headers.get("last-modified"),
        content_hash=_hash(fetched),
    )
    problems = [p for p in result.problems if p.message != "no links found"]
    return ListRead(
        state,
        LIST_OK,
        problems=problems,
        listed=len(imported.link_ids),
        new=imported.new,
        change=change,
    )


def _links_of(address: ListAddress, fetched: FetchResult) -> ImportResult:
    """The list's links, or ListUnreadable with what went wrong."""
    where = address.fetch_url
    if fetched.outcome is not Outcome.OK:
        refused = " (refused by the address guard)" if fetched.outcome is Outcome.BLOCKED else ""
        raise ListUnreadable(f"cannot read {where}{refused}: {fetched.error or 'failed'}")
    content_type = fetched.content_type or ""
    if content_type.startswith(_NOT_LISTS):
        raise ListUnreadable(f"{where} is no link list: it is {content_type}")
    try:
        result = read_web_list(
            fetched.body,
            fetched.final_url,
            address.base(fetched.final_url),
            content_type=fetched.content_type,
            charset=fetched.charset,
            kind="markdown" if address.markdown else None,
        )
    except SourceError as exc:
        raise ListUnreadable(str(exc)) from None
    if not result.links:
        # An error page served with 200, or a list emptied by mistake: dropping every link
        # on its word would be wrong, so the read counts as failed.
        raise ListUnreadable(f"no links found in {where}")
    return result


def _fetch_all(
    vault: Vault, pairs: Sequence[tuple[ListState | None, ListAddress]]
) -> list[FetchResult]:
    async def fetch_all() -> list[FetchResult]:
        async with Fetcher(vault.settings.fetch_config()) as fetcher:
            return list(
                await asyncio.gather(
                    *(
                        fetcher.fetch(
                            address.fetch_url,
                            etag=state.etag if state else None,
                            last_modified=state.last_modified if state else None,
                        )
                        for state, address in pairs
                    )
                )
            )

    return asyncio.run(fetch_all())


def _hash(fetched: FetchResult) -> str:
    return hashlib.sha256(fetched.body).hexdigest()


def _prefixed(spec: LinkSpec, prefix: str | None) -> LinkSpec:
    if not prefix:
        return spec
    section = f"{prefix} / {spec.section}" if spec.section else prefix
    return dataclasses.replace(spec, section=section)


def _clean_prefix(prefix: str | None) -> str | None:
    return None if prefix is None else clean_text(prefix)
