"""Links: listing, detail with full text, and the write routes that add and refresh links
(a session or a token; editing and removing them: routes_curation.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, HTTPException, Path, Query, Request, status
from sqlalchemy.orm import Session

from app.http.api.schemas import (
    Accepted,
    AddLinks,
    ErrorResponse,
    LinkDetail,
    LinkList,
    LinkSummary,
)
from app.http.deps import JobsDep, SessionDep, VaultDep, WriterDep
from app.http.formats import article_formats
from app.services.queries import MAX_ID, link_view, list_links
from archiver import clean_text
from archiver.models import LinkStatus
from archiver.sources import LinkSpec
from archiver.urls import is_http_url, normalize_url

router = APIRouter(tags=["links"])

LinkId = Annotated[int, Path(ge=1, le=MAX_ID, description="Link id.")]

WRITE_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse, "description": "Neither signed in nor a valid bearer token."},
    403: {
        "model": ErrorResponse,
        "description": "No password or token is set up; or a session without its CSRF token.",
    },
}


@router.get("/api/links", response_model=LinkList, summary="List links")
def links(
    session: SessionDep,
    status_: Annotated[
        LinkStatus | None, Query(alias="status", description="Only links with this status.")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number.")] = 1,
    per_page: Annotated[int, Query(ge=1, le=500, description="Links per page.")] = 50,
    tag: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Only links with this tag (the whole tag, whatever its case).",
        ),
    ] = None,
) -> LinkList:
    total, rows = list_links(session, status_, page, per_page, tag=tag)
    items = [
        LinkSummary(
            id=link.id,
            url=link.url,
            title=link.title,
            section=link.section,
            status=link.status,
            archived_at=link.archived_at,
            tags=list(link.tags or []),
            note=link.note,
            shelved=link.shelved,
        )
        for link in rows
    ]
    return LinkList(total=total, page=page, per_page=per_page, items=items)


@router.get(
    "/api/links/{link_id}",
    response_model=LinkDetail,
    responses={404: {"model": ErrorResponse, "description": "No link with this id."}},
    summary="One link, with its archived text",
)
def link_detail(request: Request, session: SessionDep, link_id: LinkId) -> LinkDetail:
    return detail_of(request, session, link_id)


def detail_of(request: Request, session: Session, link_id: int) -> LinkDetail:
    """The link's detail as GET /api/links/{id} answers it; 404 when there is none."""
    view = link_view(session, link_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no link with id {link_id}")
    link, snap = view.link, view.snapshot
    html, markdown = article_formats(request, snap)
    return LinkDetail(
        id=link.id,
        url=link.url,
        final_url=snap.final_url if snap else None,
        title=view.title,
        section=link.section,
        status=link.status,
        http_status=link.http_status,
        error=link.error,
        content_type=snap.content_type if snap else None,
        author=snap.author if snap else None,
        published=snap.published if snap else None,
        language=snap.language if snap else None,
        sitename=snap.sitename if snap else None,
        archived_at=link.archived_at,
        checked_at=link.checked_at,
        dead_since=link.dead_since,
        unreachable_since=link.unreachable_since,
        unreachable_reason=link.unreachable_reason,
        tags=list(link.tags or []),
        note=link.note,
        shelved=link.shelved,
        text=snap.text if snap else None,
        html=html,
        markdown=markdown,
        imported=snap is not None and snap.imported_from is not None,
        imported_from=snap.imported_from if snap else None,
    )


def _specs(body: AddLinks) -> list[LinkSpec]:
    """LinkSpecs for the body's URLs; a 400 naming every URL that is not http(s)."""
    specs: list[LinkSpec] = []
    invalid: list[str] = []
    section = clean_text(body.section)  # as a list's heading: no control characters
    for raw in body.urls:
        url = raw.strip()
        try:
            normalized = normalize_url(url) if is_http_url(url) else None
        except ValueError:
            normalized = None
        if normalized is None:
            invalid.append(raw)
            continue
        specs.append(
            LinkSpec(
                url=url,
                normalized_url=normalized,
                title=None,
                section=section,
                source="<api>",
                line=None,
            )
        )
    if invalid:
        names = ", ".join(repr(url[:200]) for url in invalid[:20])
        more = f" and {len(invalid) - 20} more" if len(invalid) > 20 else ""
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not valid http(s) URLs: {names}{more}")
    return specs


@router.post(
    "/api/links",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**WRITE_ERRORS, 400: {"model": ErrorResponse, "description": "Invalid URLs."}},
    summary="Add links; they are archived in the background",
)
def add_links(
    _writer: WriterDep,
    body: AddLinks,
    vault: VaultDep,
    jobs: JobsDep,
    background: BackgroundTasks,
) -> Accepted:
    specs = _specs(body)
    counts = vault.import_links(specs)
    # Runs after the response, in a worker thread (a sync function): Vault.archive has its
    # own event loop.
    background.add_task(jobs.archive_new, counts.link_ids)
    return Accepted(ids=_in_given_order(specs, counts.link_ids))


def _in_given_order(specs: list[LinkSpec], ids: list[int]) -> list[int]:
    # add_links returns one id per distinct URL; repeat them where the request repeated a URL.
    by_url: dict[str, int] = {}
    distinct = iter(ids)
    for spec in specs:
        if spec.normalized_url not in by_url:
            by_url[spec.normalized_url] = next(distinct)
    return [by_url[spec.normalized_url] for spec in specs]


@router.post(
    "/api/links/{link_id}/refresh",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses={**WRITE_ERRORS, 404: {"model": ErrorResponse, "description": "No such link."}},
    summary="Fetch a link again, in the background",
)
def refresh_link(
    _writer: WriterDep,
    link_id: LinkId,
    vault: VaultDep,
    jobs: JobsDep,
    background: BackgroundTasks,
) -> Accepted:
    if vault.store.links.get_link(link_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no link with id {link_id}")
    background.add_task(jobs.refresh, link_id)
    return Accepted(ids=[link_id])
