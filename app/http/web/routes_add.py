"""Adding a link from the browser: the form at /add (prefilled by the bookmarklet and by a
phone's share sheet through the web app manifest), and the manifest itself; and importing a
whole list or export from the same page (`/add/import`, app/http/uploads.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.http.deps import JobsDep, SessionDep, VaultDep, WriterDep
from app.http.uploads import WEB_IMPORT_PATH, run_upload
from app.http.web.state import SearchState
from app.http.web.templating import make_templates
from app.services.adding import AddForm, AddRefused, add_link, form_from_values
from app.services.importing import FORMATS, ImportSummary, format_label
from app.services.queries import section_counts

router = APIRouter(include_in_schema=False)
templates = make_templates()

# Form fields are short; a pasted article in the note box is the longest honest value.
_FIELD_LIMIT = 20_000


def _values(params: Any) -> dict[str, str]:
    return {key: str(params.get(key, ""))[:_FIELD_LIMIT] for key in AddForm.FIELDS}


def _page(
    request: Request,
    session: SessionDep,
    form: AddForm,
    errors: dict[str, str],
    code: int,
    *,
    imported: ImportSummary | None = None,
    import_error: str | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "add.html",
        {
            "form": form,
            "errors": errors,
            "imported": imported,
            "import_error": import_error,
            "formats": FORMATS,
            "format_label": format_label,
            "state": SearchState(),
            # Offered as suggestions: one archive's sections should be spelled one way.
            "sections": [name for name, _links, _archived in section_counts(session) if name],
            "bookmarklet": bookmarklet(str(request.base_url)),
        },
        status_code=code,
    )


@router.api_route("/add", methods=["GET", "HEAD"], response_class=HTMLResponse)
def add_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The form, prefilled from `?url=&title=&text=` (the bookmarklet and the share target
    send these; a share sheet often puts the URL in `text`)."""
    form = form_from_values(_values(request.query_params), strict=False)
    return _page(request, session, form, {}, status.HTTP_200_OK)


@router.post("/add", response_class=HTMLResponse)
async def add_submit(
    request: Request,
    _writer: WriterDep,
    session: SessionDep,
    vault: VaultDep,
    jobs: JobsDep,
    background: BackgroundTasks,
) -> Response:
    values = _values(await request.form())
    try:
        form = form_from_values(values, strict=True)
    except AddRefused as refused:
        return _page(request, session, refused.form, refused.errors, 422)
    added = add_link(vault, form)
    # After the redirect, in a worker thread (or queued for workers): the reader page shows
    # "pending" meanwhile. A link already archived is left alone; one that failed is retried.
    background.add_task(jobs.archive_new, [added.link_id])
    return RedirectResponse(
        f"/links/{added.link_id}?added={'new' if added.new else 'existing'}",
        status_code=status.HTTP_303_SEE_OTHER,
    )


@router.post(WEB_IMPORT_PATH, response_class=HTMLResponse)
async def import_submit(
    request: Request,
    _writer: WriterDep,
    session: SessionDep,
    vault: VaultDep,
    jobs: JobsDep,
    background: BackgroundTasks,
) -> Response:
    """The upload form on /add: the file's links imported, the summary shown on the page, and
    the links not archived yet archived in the background (as `POST /api/import` does)."""
    empty = form_from_values({}, strict=False)
    try:
        wanted, summary = await run_upload(vault, request)
    except HTTPException as refused:
        return _page(request, session, empty, {}, refused.status_code, import_error=refused.detail)
    if wanted.archive and summary.link_ids:
        background.add_task(jobs.archive_new, list(summary.link_ids))
    return _page(request, session, empty, {}, status.HTTP_200_OK, imported=summary)


def bookmarklet(base_url: str) -> str:
    """A `javascript:` bookmark that opens this server's add form for the page being read.

    Navigating (not window.open) so no popup blocker stands in the way; the page's own
    Content-Security-Policy cannot stop a bookmarklet, which runs as the user's action.
    """
    target = base_url.rstrip("/") + "/add"
    return (
        "javascript:(function(){location.href='"
        + target.replace("'", "%27")
        + "?url='+encodeURIComponent(location.href)+'&title='+encodeURIComponent(document.title)"
        + "})();"
    )


@router.get("/manifest.webmanifest")
def manifest() -> JSONResponse:
    """Makes the site installable on a phone, and a target of its share sheet: sharing a
    page opens /add with the page's URL (GET, so no CSRF token is needed to reach the form;
    saving it is a POST from the form, with one)."""
    body = {
        "name": "linkvault",
        "short_name": "linkvault",
        "description": "Archive and search your reading lists.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0f5c57",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/favicon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
        "share_target": {
            "action": "/add",
            "method": "GET",
            "params": {"title": "title", "text": "text", "url": "url"},
        },
    }
    return JSONResponse(body, media_type="application/manifest+json")
