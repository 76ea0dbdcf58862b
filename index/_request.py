"""The limits of a SearchQuery's parameters, the same for every backend (see index/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from index._errors import QueryError
from index._types import SearchPage, SearchQuery

MAX_PER_PAGE = 100
# Deep pages cost a heap of page*per_page entries; nobody reads result 10,001.
MAX_WINDOW = 10_000
MAX_FRAGMENTS = 5
SNIPPET_CHARS = (40, 2000)
FACETS = ("section", "domain", "tag")
SUGGEST_BELOW = 3


def as_utc(value: datetime | None) -> datetime | None:
    """Timezone-aware UTC; naive datetimes are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check(sq: SearchQuery) -> None:
    """Raises QueryError, with a message for the user, for parameters out of bounds."""
    if not isinstance(sq.text, str):
        raise QueryError("The query must be text.")
    if sq.page < 1 or sq.per_page < 1 or sq.per_page > MAX_PER_PAGE:
        raise QueryError(f"page must be 1 or more and per_page between 1 and {MAX_PER_PAGE}.")
    if sq.page * sq.per_page > MAX_WINDOW:
        raise QueryError(f"Only the first {MAX_WINDOW} results can be paged through.")
    if sq.sort not in ("relevance", "date"):
        raise QueryError("sort must be 'relevance' or 'date'.")
    if sq.date_field not in ("archived_at", "published"):
        raise QueryError("date_field must be 'archived_at' or 'published'.")
    if not 0 <= sq.snippet_fragments <= MAX_FRAGMENTS:
        raise QueryError(f"snippet_fragments must be between 0 and {MAX_FRAGMENTS}.")
    if not SNIPPET_CHARS[0] <= sq.snippet_chars <= SNIPPET_CHARS[1]:
        raise QueryError(
            f"snippet_chars must be between {SNIPPET_CHARS[0]} and {SNIPPET_CHARS[1]}."
        )
    start, end = as_utc(sq.date_from), as_utc(sq.date_to)
    if start is not None and end is not None and start > end:
        raise QueryError("date_from is after date_to.")
    for name, value in (("section", sq.section), ("domain", sq.domain), ("tag", sq.tag)):
        # Lone surrogates (undecodable bytes of a command-line argument) cannot be encoded,
        # so they cannot be looked up, and the filter could not match anything anyway.
        if value and not _encodable(value):
            raise QueryError(f"The {name} filter contains bytes that are not valid UTF-8.")


def empty_page(sq: SearchQuery) -> SearchPage:
    """The answer before anything is found, which each backend's search then fills in."""
    return SearchPage(
        query=sq.text,
        total=0,
        page=sq.page,
        per_page=sq.per_page,
        hits=[],
        facets={name: {} for name in FACETS},
        suggestion=None,
        fallback_or=False,
        elapsed_ms=0.0,
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
