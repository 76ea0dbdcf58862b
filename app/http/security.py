"""Security headers on every response, and the API docs page's own policy.

Archived pages are untrusted text; escaping keeps them inert, and this strict policy is the
second wall: even a markup bug could not run a script, load a resource or submit a form
elsewhere.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; manifest-src 'self'; "
    "form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The original links carry rel=noreferrer too; nothing about what was searched leaks.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# Swagger UI's files are served from here (app/http/swagger.py); /docs needs no other host,
# and its one inline boot script is allowed by hash, not with 'unsafe-inline'.
DOCS_PATHS = frozenset({"/docs"})
# Archived images carry a stricter policy of their own (app/http/api/routes_images.py).
OWN_POLICY_PREFIXES = ("/images/",)

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def docs_csp(page_html: str) -> str:
    """The policy for the Swagger UI page: its own files, its inline boot script, the schema.

    img-src data: is for the icons inlined in swagger-ui.css.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page_html)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def apply_security_headers(headers: MutableHeaders, path: str) -> None:
    """Adds the headers to a response; the docs page and images keep the policy they were
    given."""
    for name, value in STATIC_HEADERS.items():
        headers[name] = value
    own_policy = path in DOCS_PATHS or path.startswith(OWN_POLICY_PREFIXES)
    if own_policy and "content-security-policy" in headers:
        return
    headers["Content-Security-Policy"] = CSP


class SecurityHeadersMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware): headers go on as the response starts, streaming or not.

    Errors handled by Starlette's outermost ServerErrorMiddleware never pass through here;
    the app's 500 handler calls apply_security_headers itself.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                apply_security_headers(MutableHeaders(scope=message), path)
            await send(message)

        await self.app(scope, receive, send_with_headers)
