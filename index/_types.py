"""The plain data the rest of linkvault sees: records in, pages of hits out (the errors are in
_errors.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Literal, Self


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """One archived link, as the index needs it."""

    id: int
    url: str
    title: str
    text: str
    section: str | None
    domain: str
    status: str
    archived_at: datetime | None
    published: datetime | None
    # Opaque to the index: a fingerprint of the source data, read back by indexed_versions().
    version: str = ""
    # The user's labels, as written (matched by tag_key(): case and spacing aside).
    tags: tuple[str, ...] = ()
    # The user's note on the link: searched like the text, shown with the hit.
    note: str | None = None


@dataclass(slots=True)
class SearchQuery:
    """A user's search. ``text`` is untrusted; see ``docs/user-guide.md`` for the syntax."""

    text: str
    page: int = 1
    per_page: int = 10
    section: str | None = None
    domain: str | None = None
    tag: str | None = None  # only pages with this tag (case and spacing aside)
    # Inclusive bounds on ``date_field``; naive datetimes are taken as UTC.
    date_from: datetime | None = None
    date_to: datetime | None = None
    sort: Literal["relevance", "date"] = "relevance"
    # Which date ``sort="date"`` and the date bounds use.
    date_field: Literal["archived_at", "published"] = "archived_at"
    snippet_fragments: int = 3
    snippet_chars: int = 200


@dataclass(slots=True)
class SearchHit:
    id: int
    url: str
    title: str  # plain text: the caller escapes it
    snippet: str  # safe HTML: escaped text, matches in <mark>
    section: str | None
    domain: str
    status: str
    score: float
    archived_at: datetime | None  # timezone-aware UTC
    published: datetime | None  # timezone-aware UTC
    tags: list[str] = field(default_factory=list)  # as written, from the index
    note: str | None = None  # plain text: the caller escapes it


@dataclass(slots=True)
class SearchPage:
    query: str
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]
    # {"section": {name: count}, "domain": {name: count}, "tag": {tag_key: count}} over the
    # whole result set.
    facets: dict[str, dict[str, int]]
    suggestion: str | None
    fallback_or: bool  # AND found nothing, so any-word matching was used
    elapsed_ms: float
    # The time limit cut the search short: hits, total and facets cover only part of the index.
    timed_out: bool = False


class CommitsOnExit:
    """The `with` behaviour both index writers share: on leaving the block, close (commit what
    is queued), or cancel (drop it) when the block raised; and their batching settings."""

    def _batching(self, batch_size: int, commit_interval: float, lock_timeout: float) -> None:
        """Commit after ``batch_size`` changes or ``commit_interval`` seconds, whichever
        comes first; wait up to ``lock_timeout`` seconds for the index's write lock."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if commit_interval <= 0:
            raise ValueError("commit_interval must be positive")
        self._batch_size = batch_size
        self._commit_interval = commit_interval
        self._lock_timeout = lock_timeout

    def close(self) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.cancel()
