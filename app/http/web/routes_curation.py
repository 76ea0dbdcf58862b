"""Curating a link from its reader page: the edit form (GET and POST /links/{id}/edit), and
removing the link after a confirmation (GET and POST /links/{id}/delete).

The pages open for anyone who may read the link, and say to sign in; saving needs the
signed-in owner or a token (WriterDep) and, with a session, the form's CSRF token
(app/http/sessions.py). The use cases are app/services/curation.py's; this module turns the
form's text into their arguments and their refusals into messages next to the fields.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.http.deps import SessionDep, VaultDep, WriterDep
from app.http.web.notices import removed_location
from app.http.web.routes import id_number, templates, view_or_404
from app.http.web.state import SearchState
from app.services.curation import (
    FIELD_RULES,
    edit_link,
    field_problems,
    remove_links,
    sentence,
)
from app.services.linkrefs import UnknownLinks
from app.services.queries import LinkView, link_snapshots, section_counts
from archiver import KEEP, InvalidTag, split_tags
from archiver.models import Link

log = logging.getLogger("linkvault.curation")

router = APIRouter(include_in_schema=False)

NO_LINK = "There is no archived link with this id."
# What the reader's `?edited=` says: saved, or saved while the index could not follow.
EDITED, EDITED_INDEX_BEHIND = "1", "index"


@dataclass(frozen=True, slots=True)
class EditForm:
    """The form's fields as text, as typed (a refused form is shown again as it was)."""

    title: str = ""
    section: str = ""
    tags: str = ""  # comma-separated
    note: str = ""

    @classmethod
    def of(cls, link: Link) -> EditForm:
        return cls(
            title=link.title or "",
            section=link.section or "",
            tags=", ".join(link.tags or []),
            note=link.note or "",
        )


def _edit_page(
    request: Request,
    session: SessionDep,
    view: LinkView,
    form: EditForm,
    problems: dict[str, str],
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "edit.html",
        {
            "view": view,
            "link": view.link,
            # Shown in the empty title field: what the link is called without a title.
            "page_title": (view.snapshot.title if view.snapshot else None) or view.link.url,
            "form": form,
            "errors": problems,
            "sections": [name for name, _links, _archived in section_counts(session) if name],
            "state": SearchState(),
        },
        status_code=code,
    )


async def _sent_fields(request: Request) -> dict[str, str]:
    """The form's fields that were sent, empty ones too (FastAPI's Form() would take an
    empty field for a missing one, and an emptied title would never clear)."""
    form = await request.form()
    return {name: value for name in FIELD_RULES if isinstance(value := form.get(name), str)}


@router.api_route("/links/{link_id}/edit", methods=["GET", "HEAD"], response_class=HTMLResponse)
def edit_page(request: Request, link_id: str, session: SessionDep) -> HTMLResponse:
    """The form, filled with what the link has now."""
    view = view_or_404(session, link_id)
    return _edit_page(request, session, view, EditForm.of(view.link), {})


@router.post("/links/{link_id}/edit", response_class=HTMLResponse)
def edit_submit(
    request: Request,
    link_id: str,
    _writer: WriterDep,
    session: SessionDep,
    vault: VaultDep,
    sent: Annotated[dict[str, str], Depends(_sent_fields)],
) -> Response:
    """Saves the form: an empty title, section or note clears it; a field not sent stays
    as it is. 303 to the reader, or the form again with the messages (422)."""
    view = view_or_404(session, link_id)
    problems = field_problems(sent)
    if not problems:
        changes: dict[str, Any] = {name: sent.get(name, KEEP) for name in FIELD_RULES}
        if "tags" in sent:
            changes["tags"] = split_tags(sent["tags"])
        try:
            edited = edit_link(vault, view.link.id, **changes)
        except UnknownLinks:  # removed meanwhile
            raise HTTPException(status.HTTP_404_NOT_FOUND, NO_LINK) from None
        except InvalidTag as exc:  # the rules on the whole list (too many tags)
            problems["tags"] = sentence(exc)
        else:
            outcome = EDITED
            if edited.index_error:
                # Saved all the same; the next run (or `check --repair`) indexes it.
                log.warning(
                    "link %d edited; the search index did not follow: %s",
                    view.link.id,
                    edited.index_error,
                )
                outcome = EDITED_INDEX_BEHIND
            return RedirectResponse(
                f"/links/{view.link.id}?edited={outcome}", status_code=status.HTTP_303_SEE_OTHER
            )
    # As typed; a field that was not sent shows what the link has.
    form = replace(EditForm.of(view.link), **sent)
    return _edit_page(request, session, view, form, problems, 422)


@router.api_route("/links/{link_id}/delete", methods=["GET", "HEAD"], response_class=HTMLResponse)
def delete_page(request: Request, link_id: str, session: SessionDep) -> HTMLResponse:
    """What a removal would take, and the button that does it."""
    view = view_or_404(session, link_id)
    return templates.TemplateResponse(
        request,
        "delete.html",
        {
            "view": view,
            "link": view.link,
            "snapshots": len(link_snapshots(session, view.link.id)),
            "state": SearchState(),
        },
    )


@router.post("/links/{link_id}/delete")
def delete_submit(
    request: Request, link_id: str, _writer: WriterDep, vault: VaultDep
) -> RedirectResponse:
    """Removes the link with everything archived for it; 303 to the start page, which
    says so."""
    number = id_number(link_id)
    try:
        removal = remove_links(vault, [number]) if number else None
    except UnknownLinks:
        removal = None
    if removal is None or not removal.links:  # no such link, or removed meanwhile
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_LINK)
    if removal.index_error:
        # Removed all the same; the next run (or `check --repair`) drops the document.
        log.warning(
            "link %d removed; the search index did not follow: %s", number, removal.index_error
        )
    location = removed_location(
        request, removal.links[0].shown_title, index_behind=bool(removal.index_error)
    )
    return RedirectResponse(location, status_code=status.HTTP_303_SEE_OTHER)
