"""GET /api/search: the index's search, as JSON.

Searches are CPU-bound Python under one GIL: sixteen at once in one process each take sixteen
times as long, and every one beyond the index's searcher pool opens a searcher of its own
(several times slower than a pooled one). So each process runs at most
LINKVAULT_SEARCH_CONCURRENCY searches at once; the others wait their turn here, on the event
loop rather than in a worker thread, for at most LINKVAULT_SEARCH_QUEUE_TIMEOUT seconds, then
get a 503 with Retry-After. The index's pool is sized to match.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BeforeValidator
from starlette.concurrency import run_in_threadpool

from app.http.api.schemas import ErrorResponse, SearchFacets, SearchResponse, SearchResult
from app.http.deps import get_settings, get_vault
from app.http.lookups import RETRY_AFTER_S, busy, run_search
from index import SearchPage, SearchQuery

router = APIRouter(tags=["search"])

# The index has its own, tighter cap with a clear message; this only stops absurd requests
# before they are parsed at all.
MAX_QUERY_CHARS = 20_000
# Searchers beyond the API's share, for the web page, /healthz and /api/stats.
SPARE_SEARCHERS = 2


class SearchGate:
    """At most ``size`` searches of this process at once; the rest wait up to ``timeout``."""

    def __init__(self, size: int, timeout: float) -> None:
        self.size = size
        self.timeout = timeout
        self._slots = asyncio.Semaphore(size)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.timeout):
                await self._slots.acquire()
        except TimeoutError:
            raise busy(
                f"too many searches at once: none could start within {self.timeout:g} s; "
                f"try again in {RETRY_AFTER_S} s"
            ) from None
        try:
            yield
        finally:
            self._slots.release()


def search_gate(request: Request) -> SearchGate:
    """The app's gate, made on first use: an asyncio.Semaphore belongs to one event loop, and
    an app can outlive its loop (tests start several)."""
    state = request.app.state
    loop = asyncio.get_running_loop()
    gate: SearchGate | None = getattr(state, "search_gate", None)
    if gate is None or getattr(state, "search_gate_loop", None) is not loop:
        settings = get_settings(request)
        gate = SearchGate(settings.search_concurrency, settings.search_queue_timeout)
        # A searcher for every admitted search, so none is opened and dropped per request
        # (an index without a searcher pool has nothing to size).
        limit = getattr(get_vault(request).index, "limit_searches", None)
        if limit is not None:
            limit(gate.size + SPARE_SEARCHERS, wait=settings.search_queue_timeout)
        state.search_gate, state.search_gate_loop = gate, loop
    return gate


def day_start(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time.min, tzinfo=UTC)


def day_end(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time.max, tzinfo=UTC)


def _iso_day(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


# A day exactly as documented: pydantic alone also takes "86400" (a Unix time) for a date.
IsoDay = Annotated[date, BeforeValidator(_iso_day)]


def to_response(page: SearchPage) -> SearchResponse:
    return SearchResponse(
        query=page.query,
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        results=[
            SearchResult(
                id=hit.id,
                url=hit.url,
                title=hit.title,
                snippet=hit.snippet,
                section=hit.section,
                domain=hit.domain,
                status=hit.status,
                score=hit.score,
                archived_at=hit.archived_at,
                tags=hit.tags,
                note=hit.note,
            )
            for hit in page.hits
        ],
        facets=SearchFacets(
            section=page.facets.get("section", {}),
            domain=page.facets.get("domain", {}),
            tag=page.facets.get("tag", {}),
        ),
        suggestion=page.suggestion,
        fallback_or=page.fallback_or,
        elapsed_ms=round(page.elapsed_ms, 2),
        timed_out=page.timed_out,
    )


@router.get(
    "/api/search",
    response_model=SearchResponse,
    responses={
        400: {"model": ErrorResponse, "description": "The query cannot be run."},
        503: {
            "model": ErrorResponse,
            "description": "Too many searches at once (with Retry-After), or the index is "
            "unavailable.",
        },
    },
    summary="Full-text search",
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='Words (all must match), "phrases", -excluded, title:, section:, '
            'domain:, tag: (tag:"two words"). When no page has every word, any-word matching '
            "is used.",
        ),
    ] = "",
    page: Annotated[int, Query(ge=1, le=1000, description="Page number.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=100, description="Results per page.")] = 10,
    section: Annotated[
        str | None, Query(max_length=300, description="Only this section (exact name).")
    ] = None,
    domain: Annotated[
        str | None, Query(max_length=300, description="Only this domain (exact host).")
    ] = None,
    tag: Annotated[
        str | None,
        Query(max_length=300, description="Only pages with this tag (any case and spacing)."),
    ] = None,
    date_from: Annotated[
        IsoDay | None, Query(description="Archived on or after this day (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        IsoDay | None, Query(description="Archived on or before this day (YYYY-MM-DD).")
    ] = None,
    sort: Annotated[
        Literal["relevance", "date"], Query(description="Best match first, or newest first.")
    ] = "relevance",
) -> SearchResponse:
    query = SearchQuery(
        text=q,
        page=page,
        per_page=per_page,
        section=section or None,
        domain=domain or None,
        tag=(tag or "").strip() or None,
        date_from=day_start(date_from),
        date_to=day_end(date_to),
        sort=sort,
    )
    # No Depends() for the index: a sync dependency would take a worker thread before the
    # request has a slot.
    gate = search_gate(request)
    index = get_vault(request).index
    async with gate.slot():
        found = await run_in_threadpool(run_search, index, query)
    return to_response(found)
