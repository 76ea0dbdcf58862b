"""GET /images/{sha256}: an archived figure, served from linkvault's own origin.

The bytes are served as stored, with the type sniffed from them when they were archived, under
`Content-Security-Policy: default-src 'none'; sandbox`: an SVG is served too, and that policy
is what keeps its scripts and event handlers from ever running (opened on its own or shown in
<img>, where browsers run no script anyway). Reading needs no token, like the reader pages.
"""

from __future__ import annotations

import re

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from app.http.deps import VaultDep

router = APIRouter(tags=["images"])

IMAGE_CSP = "default-src 'none'; sandbox"
_SHA256 = re.compile(r"[0-9a-f]{64}")


@router.get(
    "/images/{sha256}",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {}}, "description": "The image's bytes."},
        404: {"description": "No archived image has this SHA-256 (or it is not one)."},
    },
    summary="An archived image by the SHA-256 of its bytes",
)
def image(sha256: str, vault: VaultDep) -> Response:
    if not _SHA256.fullmatch(sha256):
        raise HTTPException(status_code=404, detail="no such image")
    stored = vault.store.images.get(sha256)
    if stored is None:
        raise HTTPException(status_code=404, detail="no such image")
    return Response(
        content=stored.data,
        media_type=stored.content_type,
        headers={
            "Content-Security-Policy": IMAGE_CSP,
            "X-Content-Type-Options": "nosniff",
            # The address is the content's hash: it can never change.
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


# Caches and link checkers ask with HEAD; one operation in the schema is enough.
router.add_api_route("/images/{sha256}", image, methods=["HEAD"], include_in_schema=False)
