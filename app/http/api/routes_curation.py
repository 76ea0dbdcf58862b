"""Curating links over the JSON API: edit what the owner sets on a link (PATCH) and remove a
link with everything archived for it (DELETE). Both translate only; the use cases are in
app/services/curation.py."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError

from app.http.api.routes_links import WRITE_ERRORS, LinkId, detail_of
from app.http.api.schemas import ErrorResponse, LinkDetail, LinkEdit
from app.http.deps import VaultDep, WriterDep
from app.services.curation import edit_link, remove_links
from app.services.linkrefs import UnknownLinks
from archiver import InvalidField, InvalidTag

log = logging.getLogger("linkvault.curation")

router = APIRouter(tags=["links"])

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No link with this id."}
}


@router.delete(
    "/api/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={**WRITE_ERRORS, **_NOT_FOUND},
    summary="Remove a link and everything archived for it",
    description="Its snapshots, checks, queue entry, search document and the images no "
    "other link shows go with it, at once: search, lists, stats and exports no longer have "
    "it. A fetch of it still running stores nothing.",
)
def remove_link(_writer: WriterDep, link_id: LinkId, vault: VaultDep) -> Response:
    try:
        removal = remove_links(vault, [link_id])
    except UnknownLinks:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no link with id {link_id}") from None
    if removal.index_error:
        # Removed all the same; the next run (or `linkvault check --repair`) drops the document.
        log.warning(
            "link %d removed; the search index did not follow: %s", link_id, removal.index_error
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch(
    "/api/links/{link_id}",
    response_model=LinkDetail,
    responses={
        **WRITE_ERRORS,
        **_NOT_FOUND,
        400: {"model": ErrorResponse, "description": "The body is not JSON."},
    },
    summary="Edit a link's title, section, tags, note or shelved state",
    description="Only the fields sent change. What the owner sets wins over what the page "
    "says and survives refresh; the search index follows at once. A value the rule refuses "
    "(an empty tag, a comma in one, a control character, too long) is a 422 whose `detail` "
    "says which and why, and changes nothing.",
)
def edit(
    _writer: WriterDep, link_id: LinkId, body: LinkEdit, request: Request, vault: VaultDep
) -> LinkDetail:
    given: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    if "tags" in given and given["tags"] is None:
        given["tags"] = []
    try:
        edited = edit_link(vault, link_id, **given)
    except UnknownLinks:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no link with id {link_id}") from None
    except (InvalidTag, InvalidField) as exc:
        # The body's validators apply the same rule, so this is rare (too many tags, say);
        # it is answered as they are, a 422 listing the problem.
        problem = {"type": "value_error", "loc": ("body",), "msg": str(exc), "input": None}
        raise RequestValidationError([problem]) from None
    if edited.index_error:
        log.warning(
            "link %d edited; the search index did not follow: %s", link_id, edited.index_error
        )
    with vault.store.session() as session:
        return detail_of(request, session, link_id)
