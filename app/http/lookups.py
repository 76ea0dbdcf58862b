"""What the API routes and the web pages both ask of the archive, with the HTTP answer for
what is refused or not there: a search (400 for a bad query, 503 when busy or unavailable),
and the two snapshots of a link to compare (404)."""

from __future__ import annotations

from fastapi import HTTPException, status
from sqlalchemy.orm import Session

from app.services.queries import link_snapshots
from archiver.models import Snapshot
from index import IndexUnavailable, QueryError, SearchBackend, SearchBusy, SearchPage, SearchQuery

# Seconds a client told "busy" should wait: enough for a queue of searches to drain.
RETRY_AFTER_S = 2


def busy(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, detail, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


def run_search(index: SearchBackend, query: SearchQuery) -> SearchPage:
    """Searches, turning the index's refusals into HTTP errors (shared with the web page)."""
    if query.date_from and query.date_to and query.date_from > query.date_to:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "date_from is after date_to")
    try:
        return index.search(query)
    except QueryError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    except SearchBusy as exc:
        raise busy(f"too many searches at once: {exc} Try again in {RETRY_AFTER_S} s") from None
    except IndexUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"the search index is unavailable: {exc}",
            headers={"Retry-After": "5"},  # mostly passing: PostgreSQL restarting, say
        ) from None


def pick_pair(
    session: Session, link_id: int, from_id: int | None, to_id: int | None
) -> tuple[Snapshot, Snapshot]:
    """The two snapshots to compare: `to` defaults to the newest, `from` to the one before
    `to`. HTTPException 404 when one is missing or the link has a single snapshot."""
    history = link_snapshots(session, link_id)  # newest first
    by_id = {snap.id: snap for snap in history}
    for name, wanted in (("from", from_id), ("to", to_id)):
        if wanted is not None and wanted not in by_id:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"{name}: link {link_id} has no snapshot {wanted}"
            )
    if not history:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"link {link_id} has no snapshots")
    newer = by_id[to_id] if to_id is not None else history[0]
    if from_id is not None:
        return by_id[from_id], newer
    older = history[history.index(newer) + 1 :]
    if not older:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            f"snapshot {newer.id} is the first of link {link_id}: nothing to compare it with",
        )
    return older[0], newer
