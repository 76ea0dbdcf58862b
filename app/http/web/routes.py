"""The server-rendered pages: search (and the start page) at /, the reader view at /links/{id}."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import replace

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.http.deps import IndexDep, SessionDep
from app.http.formats import image_base
from app.http.lookups import pick_pair, run_search
from app.http.web.notices import removed_notice
from app.http.web.state import SearchState
from app.http.web.templating import make_templates
from app.services.article import (
    document_of,
    markdown_file,
    text_document,
    to_html,
    without_title,
)
from app.services.diffs import diff_snapshots
from app.services.queries import (
    MAX_ID,
    LinkView,
    link_checks,
    link_snapshot,
    link_snapshots,
    link_view,
    links_in_section,
    lists_that_dropped,
    recent_links,
    section_counts,
    status_counts,
    unreachable_count,
)
from archiver.models import Snapshot
from index import tag_key, tag_query

router = APIRouter(include_in_schema=False)
templates = make_templates()

# Facet lists longer than this are cut; the rest are still reachable through the query.
FACET_LIMIT = 12
BROWSE_PER_PAGE = 20


# HEAD too: uptime monitors and link checkers ask with it.
@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def search_page(request: Request, session: SessionDep, index: IndexDep) -> HTMLResponse:
    state, problems = SearchState.from_params(request.query_params)
    if not state.is_search:
        return templates.TemplateResponse(
            request,
            "home.html",
            {
                "state": state,
                "problems": problems,
                "counts": status_counts(session),
                "unreachable": unreachable_count(session),
                "documents": index.doc_count(),
                "sections": section_counts(session),
                "recent": recent_links(session),
                # Set by a removal's redirect (app/http/web/routes_curation.py), signed.
                "removed": removed_notice(request),
            },
        )
    if not state.q and state.tag:
        # A tag without words is the query that finds it: shown in the box, to refine.
        state = replace(state, q=tag_query(state.tag), tag="")
    if not state.q:
        return _browse(request, session, state, problems)
    error: str | None = None
    code = status.HTTP_200_OK
    try:
        result = run_search(index, state.to_query())
    except HTTPException as exc:
        if exc.status_code >= 500:
            raise
        # A malformed query is shown on the page, with the box still holding it to fix.
        error, code, result = str(exc.detail), exc.status_code, None
    last_page = max(1, math.ceil(result.total / result.per_page)) if result else 1
    facets = result.facets if result else {}
    return templates.TemplateResponse(
        request,
        "search.html",
        {
            "state": state,
            "problems": problems,
            "error": error,
            "result": result,
            "last_page": min(last_page, 1000),
            "sections": sorted(facets.get("section", {}).items(), key=lambda kv: -kv[1]),
            "domains": sorted(facets.get("domain", {}).items(), key=lambda kv: -kv[1]),
            "tags": sorted(facets.get("tag", {}).items(), key=lambda kv: -kv[1]),
            # The facet lists tags by key: the filter in the address may be written otherwise.
            "current_tag": tag_key(state.tag),
            "facet_limit": FACET_LIMIT,
        },
        status_code=code,
    )


def _browse(
    request: Request, session: SessionDep, state: SearchState, problems: list[str]
) -> HTMLResponse:
    """Filters without words: a section lists its links from the database (the index needs
    words to rank by), whatever their status."""
    total, items = 0, list[LinkView]()
    if state.section:
        total, items = links_in_section(session, state.section, state.page, BROWSE_PER_PAGE)
    return templates.TemplateResponse(
        request,
        "browse.html",
        {
            "state": state,
            "problems": problems,
            "total": total,
            "items": items,
            "first": (state.page - 1) * BROWSE_PER_PAGE + 1,
            "last_page": max(1, math.ceil(total / BROWSE_PER_PAGE)),
        },
    )


def id_number(value: str | None) -> int:
    """A positive id from a path or query value; 0 for anything else."""
    if value is None or not value.isascii() or not value.isdigit():
        return 0
    number = int(value)
    return number if 0 < number <= MAX_ID else 0


def view_or_404(session: SessionDep, link_id: str) -> LinkView:
    # A str path parameter: "/links/abc" is a missing page (404), not a validation error.
    number = id_number(link_id)
    view = link_view(session, number) if number else None
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no archived link with this id.")
    return view


def _chosen_snapshot(request: Request, session: SessionDep, view: LinkView) -> Snapshot | None:
    """The current copy, or the earlier one ``?snapshot=`` asks for (404 when it is not one
    of this link's)."""
    asked = request.query_params.get("snapshot")
    if asked is None:
        return view.snapshot
    snap = link_snapshot(session, view.link.id, id_number(asked))
    if snap is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "This link has no such snapshot.")
    return snap


def _filename(title: str, link_id: int) -> str:
    # Letters, digits, dot, dash and underscore only: nothing a header or a file system
    # could take for something else.
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-._")[:80].rstrip("-._")
    return f"{stem or f'link-{link_id}'}.md"


# Declared before /links/{link_id}, whose parameter would take "5.md" as an id.
@router.api_route("/links/{link_id}.md", methods=["GET", "HEAD"])
def markdown_download(request: Request, link_id: str, session: SessionDep) -> Response:
    """The article as a Markdown file: structured when the copy has structure, else its
    text as paragraphs."""
    view = view_or_404(session, link_id)
    snap = _chosen_snapshot(request, session, view)
    if snap is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "This link has no archived copy yet.")
    document = document_of(snap.document) or text_document(snap.text or "")
    body = markdown_file(
        document,
        title=view.title,
        source_url=view.link.url,
        archived=snap.fetched_at.strftime("%Y-%m-%d %H:%M UTC"),
        image_base=image_base(request),
    )
    disposition = f'attachment; filename="{_filename(view.title, view.link.id)}"'
    return Response(
        body,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


@router.api_route("/links/{link_id}", methods=["GET", "HEAD"], response_class=HTMLResponse)
def reader(request: Request, link_id: str, session: SessionDep) -> HTMLResponse:
    view = view_or_404(session, link_id)
    q = request.query_params.get("q", "")[:2000]
    snap = _chosen_snapshot(request, session, view)
    document = document_of(snap.document) if snap is not None else None
    if document is not None:
        document = without_title(document, view.title)  # the page's own h1 says it
    history = link_snapshots(session, view.link.id)
    return templates.TemplateResponse(
        request,
        "reader.html",
        {
            "view": view,
            "link": view.link,
            "snap": snap,
            # Built from the structured copy and sanitized (app/services/article.py); the
            # template shows the escaped text paragraphs when there is none.
            "article": Markup(to_html(document)) if document else None,  # noqa: S704
            "earlier": snap is not None and snap.id != view.link.snapshot_id,
            "snapshots": history,
            "previous": dict(itertools.pairwise(item.id for item in history)),
            "checks": link_checks(session, view.link.id),
            "dropped_by": lists_that_dropped(session, view.link.id),
            "state": SearchState(q=q),
            "back": SearchState(q=q).url() if q else "/",
            # Set by the add and edit forms' redirects (routes_add.py, routes_curation.py).
            "added": request.query_params.get("added", ""),
            "edited": request.query_params.get("edited", ""),
        },
    )


@router.api_route("/links/{link_id}/diff", methods=["GET", "HEAD"], response_class=HTMLResponse)
def diff_page(request: Request, link_id: str, session: SessionDep) -> HTMLResponse:
    """What changed between two snapshots: escaped text lines, added and removed marked."""
    view = view_or_404(session, link_id)
    params = request.query_params
    from_id = id_number(params.get("from")) if params.get("from") else None
    to_id = id_number(params.get("to")) if params.get("to") else None
    try:
        older, newer = pick_pair(session, view.link.id, from_id, to_id)
    except HTTPException as exc:
        raise HTTPException(exc.status_code, str(exc.detail)[:300]) from None
    return templates.TemplateResponse(
        request,
        "diff.html",
        {
            "view": view,
            "link": view.link,
            "older": older,
            "newer": newer,
            "diff": diff_snapshots(older, newer),
            "state": SearchState(),
        },
    )
