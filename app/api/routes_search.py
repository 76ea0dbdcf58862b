"""GET /api/search: the index's search, as JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, status

from app.api.schemas import ErrorResponse, SearchFacets, SearchResponse, SearchResult
from app.deps import IndexDep
from index import IndexUnavailable, QueryError, SearchIndex, SearchPage, SearchQuery

router = APIRouter(tags=["search"])

# The index has its own, tighter cap with a clear message; this only stops absurd requests
# before they are parsed at all.
MAX_QUERY_CHARS = 20_000


def day_start(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time.min, tzinfo=UTC)


def day_end(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time.max, tzinfo=UTC)


def run_search(index: SearchIndex, query: SearchQuery) -> SearchPage:
    """Searches, turning the index's refusals into HTTP errors (shared with the web page)."""
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "date_from is after date_to")
    try:
        return index.search(query)
    except QueryError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except IndexUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"the search index is unavailable: {exc}"
        ) from None


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
            )
            for hit in page.hits
        ],
        facets=SearchFacets(
            section=page.facets.get("section", {}), domain=page.facets.get("domain", {})
        ),
        suggestion=page.suggestion,
        fallback_or=page.fallback_or,
        elapsed_ms=round(page.elapsed_ms, 2),
        timed_out=page.timed_out,
    )


@router.get(
    "/api/search",
    response_model=SearchResponse,
    responses={400: {"model": ErrorResponse, "description": "The query cannot be run."}},
    summary="Full-text search",
)
def search(
    index: IndexDep,
    q: Annotated[
        str,
        Query(
            max_length=MAX_QUERY_CHARS,
            description='Words (all must match), "phrases", -excluded, title:, section:, '
            "domain:. When no page has every word, any-word matching is used.",
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
    date_from: Annotated[
        date | None, Query(description="Archived on or after this day (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        date | None, Query(description="Archived on or before this day (YYYY-MM-DD).")
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
        date_from=day_start(date_from),
        date_to=day_end(date_to),
        sort=sort,
    )
    return to_response(run_search(index, query))
