"""An uploaded list or export, as `POST /api/import` (app/http/api/routes_import.py) and the
/add page's upload form (app/http/web/routes_add.py) both read it, and its import.

The multipart body is parsed here rather than by FastAPI's `File()` parameters: FastAPI
turns any error while reading a body into a 400, and the body limit (app/http/body_limit.py,
LINKVAULT_MAX_IMPORT_BYTES on IMPORT_PATHS) must reach the client as the 413 it is. Starlette
spools the file to a temporary file past 1 MB, so an upload is never held whole in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.services.importing import (
    FORMATS,
    ImportSummary,
    SourceError,
    UnknownFormat,
    check_format,
    import_upload,
)
from app.services.vault import Vault

API_IMPORT_PATH = "/api/import"
WEB_IMPORT_PATH = "/add/import"
# The routes that take an upload, and so LINKVAULT_MAX_IMPORT_BYTES instead of the general
# LINKVAULT_MAX_REQUEST_BYTES.
IMPORT_PATHS = (API_IMPORT_PATH, WEB_IMPORT_PATH)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
# The file, format, archive, and the form's CSRF token; a few more are tolerated.
_MAX_FIELDS = 10


@dataclass(frozen=True, slots=True)
class ImportRequest:
    upload: UploadFile
    format: str
    archive: bool


def _refuse(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


async def run_upload(vault: Vault, request: Request) -> tuple[ImportRequest, ImportSummary]:
    """Reads the multipart form (`file`, `format`, `archive`) and imports the file.

    422 for a missing file, an unknown format, an `archive` that is no boolean, or a file
    that cannot be used as a whole (nothing is imported then); 400 for a broken body."""
    async with request.form(max_files=1, max_fields=_MAX_FIELDS) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise _refuse("send the list or export as the multipart/form-data field `file`")
        format = str(form.get("format") or "auto").strip().lower() or "auto"
        archive = str(form.get("archive") or "true").strip().lower()
        if archive not in _TRUE | _FALSE:
            raise _refuse(f"`archive` must be true or false, not {archive[:50]!r}")
        try:
            check_format(format)
        except UnknownFormat:
            raise _refuse(f"unknown format {format[:50]!r}; one of: {', '.join(FORMATS)}") from None
        wanted = ImportRequest(upload=upload, format=format, archive=archive in _TRUE)
        try:
            # Copying, parsing and the database are blocking: a worker thread.
            summary = await run_in_threadpool(
                import_upload, vault, upload.file, upload.filename, format=format
            )
        except SourceError as exc:
            raise _refuse(str(exc)) from None
    return wanted, summary
