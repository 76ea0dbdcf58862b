"""A link's history: its snapshots (one per change of content), its checks, and diffs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from sqlalchemy.orm import Session

from app.http.api.schemas import (
    CheckItem,
    CheckList,
    ErrorResponse,
    SnapshotDetail,
    SnapshotDiff,
    SnapshotList,
    SnapshotSummary,
)
from app.http.deps import SessionDep
from app.http.formats import article_formats
from app.http.lookups import pick_pair
from app.services.diffs import diff_snapshots
from app.services.queries import MAX_ID, link_checks, link_snapshot, link_snapshots
from archiver.models import Link, Snapshot

router = APIRouter(tags=["history"])

LinkId = Annotated[int, Path(ge=1, le=MAX_ID, description="Link id.")]
SnapshotId = Annotated[int, Path(ge=1, le=MAX_ID, description="Snapshot id.")]
_NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorResponse, "description": "No such link, or no such snapshot of it."}
}


def _link(session: Session, link_id: int) -> Link:
    link = session.get(Link, link_id)
    if link is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no link with id {link_id}")
    return link


def summary(snapshot: Snapshot, link: Link) -> SnapshotSummary:
    return SnapshotSummary(
        id=snapshot.id,
        fetched_at=snapshot.fetched_at,
        status="unsupported" if snapshot.kind == "unsupported" else "ok",
        http_status=snapshot.http_status,
        size=snapshot.size,
        content_hash=snapshot.content_hash,
        content_type=snapshot.content_type,
        final_url=snapshot.final_url,
        title=snapshot.title,
        current=snapshot.id == link.snapshot_id,
        imported=snapshot.imported_from is not None,
        imported_from=snapshot.imported_from,
    )


@router.get(
    "/api/links/{link_id}/snapshots",
    response_model=SnapshotList,
    responses=_NOT_FOUND,
    summary="A link's snapshots, newest first",
)
def snapshots(session: SessionDep, link_id: LinkId) -> SnapshotList:
    link = _link(session, link_id)
    items = [summary(snap, link) for snap in link_snapshots(session, link_id)]
    return SnapshotList(link_id=link_id, total=len(items), items=items)


@router.get(
    "/api/links/{link_id}/snapshots/{snapshot_id}",
    response_model=SnapshotDetail,
    responses=_NOT_FOUND,
    summary="One snapshot, with its text",
)
def snapshot_detail(
    request: Request, session: SessionDep, link_id: LinkId, snapshot_id: SnapshotId
) -> SnapshotDetail:
    link = _link(session, link_id)
    snap = link_snapshot(session, link_id, snapshot_id)
    if snap is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"link {link_id} has no snapshot {snapshot_id}"
        )
    html, markdown = article_formats(request, snap)
    return SnapshotDetail(
        **summary(snap, link).model_dump(),
        author=snap.author,
        published=snap.published,
        language=snap.language,
        etag=snap.etag,
        last_modified=snap.last_modified,
        text=snap.text,
        html=html,
        markdown=markdown,
    )


@router.get(
    "/api/links/{link_id}/checks",
    response_model=CheckList,
    responses=_NOT_FOUND,
    summary="Every check of a link, newest first",
)
def checks(
    session: SessionDep,
    link_id: LinkId,
    limit: Annotated[int, Query(ge=1, le=1000, description="Checks to return.")] = 100,
) -> CheckList:
    _link(session, link_id)
    items = [
        CheckItem(
            checked_at=check.checked_at,
            status=check.status,
            http_status=check.http_status,
            error=check.error,
            changed=check.changed,
            snapshot_id=check.snapshot_id,
        )
        for check in link_checks(session, link_id, limit)
    ]
    return CheckList(link_id=link_id, items=items)


@router.get(
    "/api/links/{link_id}/diff",
    response_model=SnapshotDiff,
    responses=_NOT_FOUND,
    summary="What changed between two snapshots, as a unified text diff",
)
def diff(
    session: SessionDep,
    link_id: LinkId,
    from_id: Annotated[
        int | None,
        Query(alias="from", ge=1, le=MAX_ID, description="Older snapshot; default: before `to`."),
    ] = None,
    to_id: Annotated[
        int | None,
        Query(alias="to", ge=1, le=MAX_ID, description="Newer snapshot; default: newest."),
    ] = None,
) -> SnapshotDiff:
    link = _link(session, link_id)
    older, newer = pick_pair(session, link_id, from_id, to_id)
    result = diff_snapshots(older, newer)
    return SnapshotDiff(
        link_id=link_id,
        from_=summary(older, link),
        to=summary(newer, link),
        added=result.added,
        removed=result.removed,
        truncated=result.truncated,
        diff=result.unified,
    )
