"""`POST /api/import`: a list or another tool's export, uploaded; its links added (the import
use case, app/services/importing.py), then archived in the background like `POST /api/links`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request

from app.http.api.routes_links import WRITE_ERRORS
from app.http.api.schemas import ErrorResponse, ImportResponse, SkippedEntry
from app.http.deps import JobsDep, VaultDep, WriterDep
from app.http.uploads import API_IMPORT_PATH, run_upload
from app.services.importing import FORMATS, ImportSummary

router = APIRouter(tags=["links"])

# The body is read by app/http/uploads.py (see why there); described here for /docs.
_MULTIPART: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The list or export: markdown, plain text, "
                            "Netscape bookmarks, browser bookmark JSON, another tool's export.",
                        },
                        "format": {
                            "type": "string",
                            "enum": list(FORMATS),
                            "default": "auto",
                            "description": "How to read it; auto decides by name and content.",
                        },
                        "archive": {
                            "type": "boolean",
                            "default": True,
                            "description": "Archive the links not archived yet, in the "
                            "background (or queue them for workers).",
                        },
                    },
                }
            }
        },
    }
}


def to_response(summary: ImportSummary, archiving: bool) -> ImportResponse:
    return ImportResponse(
        source=summary.source,
        format=summary.format,
        added=summary.added,
        already_present=summary.already_present,
        skipped=[
            SkippedEntry(source=item.source, line=item.line, reason=item.reason)
            for item in summary.skipped
        ],
        link_ids=list(summary.link_ids),
        archiving=archiving,
    )


@router.post(
    API_IMPORT_PATH,
    response_model=ImportResponse,
    responses={
        **WRITE_ERRORS,
        400: {"model": ErrorResponse, "description": "The multipart body could not be read."},
        413: {"model": ErrorResponse, "description": "Larger than LINKVAULT_MAX_IMPORT_BYTES."},
        422: {
            "model": ErrorResponse,
            "description": "No file; an unknown format; or a file that cannot be read as a "
            "whole (binary, JSON of no known shape, a linkvault export): nothing imported.",
        },
    },
    openapi_extra=_MULTIPART,
    summary="Import an uploaded list or export; its new links are archived in the background",
)
async def import_file(
    request: Request,
    _writer: WriterDep,
    vault: VaultDep,
    jobs: JobsDep,
    background: BackgroundTasks,
) -> ImportResponse:
    wanted, summary = await run_upload(vault, request)
    archiving = wanted.archive and bool(summary.link_ids)
    if archiving:
        background.add_task(jobs.archive_new, list(summary.link_ids))
    return to_response(summary, archiving)
