"""A snapshot's structured copy in the forms the API and the pages hand out: sanitized HTML
for reading, Markdown for taking away (images at this server's absolute URLs)."""

from __future__ import annotations

from fastapi import Request

from app.services.article import document_of, to_html, to_markdown
from archiver.models import Snapshot


def image_base(request: Request) -> str:
    """This server's root as the client reached it: Markdown images must work elsewhere."""
    return str(request.base_url).rstrip("/")


def article_formats(request: Request, snap: Snapshot | None) -> tuple[str | None, str | None]:
    """(html, markdown) of the snapshot's structured copy; (None, None) when it has none."""
    document = document_of(snap.document) if snap is not None else None
    if document is None:
        return None, None
    return to_html(document), to_markdown(document, image_base=image_base(request))
