"""Private mode (LINKVAULT_PRIVATE): nothing but the health check, the sign-in page and the
static files answers a caller who is neither signed in nor holding an API token.

A middleware, not a dependency on the routers, so it closes everything the app answers:
every route and method, mounts, /docs and /openapi.json, and unknown paths too (a 404 would
tell which addresses exist). A route added later is closed without anyone thinking of it;
tests/app/test_auth_private.py walks the route table to keep that true.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.auth import BEARER_CHALLENGE, SIGNIN_PATH, caller_of

OPEN_PATHS = frozenset({"/healthz", SIGNIN_PATH, "/static"})
OPEN_PREFIXES = ("/static/",)
# Answered with 401 and JSON; every other path is a page, sent to sign in.
API_PREFIXES = ("/api/", "/images/", "/openapi.json")

REFUSAL = "sign in, or send an API token: Authorization: Bearer <token>"


def is_open(path: str) -> bool:
    """Whether `path` answers everyone in private mode."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def refusal(scope: Scope) -> Response:
    """401 with JSON for the API; for pages, a redirect to the sign-in page, which comes
    back to the page asked for (only GET and HEAD can be asked for again)."""
    path: str = scope["path"]
    if path.startswith(API_PREFIXES):
        return JSONResponse({"detail": REFUSAL}, status_code=401, headers=BEARER_CHALLENGE)
    if scope["method"] not in ("GET", "HEAD"):
        return RedirectResponse(SIGNIN_PATH, status_code=303)
    query = scope.get("query_string", b"").decode("latin-1")
    back = f"{path}?{query}" if query else path
    return RedirectResponse(f"{SIGNIN_PATH}?{urlencode({'next': back})}", status_code=303)


class PrivateModeGate:
    """Refuses every request without a Caller (app/http/auth.py) but to the open paths.
    Part of app/http/sessions.py's stack: after the Caller is found, before the CSRF check
    (a stranger gets this refusal whatever the method, not a CSRF error)."""

    def __init__(self, app: ASGIApp, private: bool) -> None:
        self.app = app
        self.private = private

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.private or is_open(scope["path"]):
            await self.app(scope, receive, send)
            return
        if caller_of(HTTPConnection(scope)) is None:
            await refusal(scope)(scope, receive, send)
            return

        async def kept_private(message: Message) -> None:
            # What only a caller may see must not be kept by a shared cache (a CDN, a
            # caching proxy) and handed to the next visitor: archived images say `public`.
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cache = headers.get("cache-control", "")
                kept = [part.strip() for part in cache.split(",") if part.strip() != "public"]
                headers["Cache-Control"] = ", ".join(["private", *filter(None, kept)])
            await send(message)

        await self.app(scope, receive, kept_private)
