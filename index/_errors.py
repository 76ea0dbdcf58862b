"""Every error the index raises, the same for both backends: what the caller shows the user
(QueryError, HTTP 400) and what says the index cannot answer now (IndexUnavailable, HTTP 503)."""

from __future__ import annotations


class QueryError(ValueError):
    """The query cannot be run; the message is written for the person who typed it."""


class IndexUnavailable(Exception):
    """The index is missing, damaged or from an incompatible version."""


class IndexNeedsRebuild(IndexUnavailable):
    """The index on disk cannot be used as it is (damaged, or written by another version of
    linkvault): it is derived data, so a writer may rebuild it from the database. The
    message tells a reader what to run; `reason` is only what is wrong."""

    def __init__(self, reason: str, advice: str) -> None:
        super().__init__(f"{reason} {advice}")
        self.reason = reason


class IndexLocked(IndexUnavailable):
    """Another writer held the index lock for longer than the timeout."""


class SearchBusy(IndexUnavailable):
    """Every searcher stayed in use for the whole wait: too many searches at once (the service
    answers 503 with Retry-After). Both backends limit concurrent searches this way."""
