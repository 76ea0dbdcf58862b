"""The CSRF token of a multipart form (the /add page's upload form), handed to asgi-csrf as
the `x-csrftoken` header it checks.

asgi-csrf 0.11 reads a multipart form's `csrftoken` field with a python-multipart API that
python-multipart 0.0.26 removed (simonw/asgi-csrf#38; 0.0.26 fixes CVE-2026-40347, so going
back is no option): every multipart form with a session cookie failed. This reads the body
up to that field, as asgi-csrf would (the field must come before any file, so a whole upload
is never read here), and passes its value on as the header; asgi-csrf still compares it with
the signed cookie. The parts read are replayed to the app. A form whose file comes first, or
without the field, is refused as asgi-csrf refuses it.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from asgi_csrf import Errors, cookies_from_scope
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Refuse = Callable[[Scope, Send, Errors], Awaitable[None]]

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
_TOKEN_FIELD = b"csrftoken"
_TOKEN_HEADER = b"x-csrftoken"
_MAX_TOKEN = 1024


class _Found(Exception):
    pass


class _FileFirst(Exception):
    pass


class MultipartToken:
    def __init__(self, app: ASGIApp, refuse: Refuse, cookie_name: str) -> None:
        self.app = app
        self.refuse = refuse
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        if (
            scope["type"] != "http"
            or scope["method"] in _SAFE_METHODS
            or content_type != b"multipart/form-data"
            or not headers.get(b"cookie")
            or _TOKEN_HEADER in headers
            or headers.get(b"authorization", b"").startswith(b"Bearer ")
            or not options.get(b"boundary")
        ):
            await self.app(scope, receive, send)
            return
        found = await _token_of(options[b"boundary"], receive)
        if isinstance(found, Errors):
            await self.refuse(scope, send, found)
            return
        token, replay = found
        # Passed on only when it is the cookie's value: asgi-csrf, on a header that does not
        # match, would go on to read the body itself, and fail.
        cookie = cookies_from_scope(scope).get(self.cookie_name, "")
        if not secrets.compare_digest(token, cookie.encode("latin-1", "replace")):
            await self.refuse(scope, send, Errors.MULTIPART_MISMATCH)
            return
        scope = dict(scope, headers=[*scope["headers"], (_TOKEN_HEADER, token)])
        await self.app(scope, replay, send)


async def _token_of(boundary: bytes, receive: Receive) -> tuple[bytes, Receive] | Errors:
    """The `csrftoken` field's value and a receive that replays the body from its start; or
    why there is none to check (a file came first; no such field)."""
    messages: list[Message] = []
    # Callbacks may get a header or a value in pieces (split across chunks): gathered here.
    part = {"field": b"", "value": b"", "data": b""}
    in_token = False

    def on_part_begin() -> None:
        nonlocal in_token
        in_token = False
        part["data"] = b""

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part["value"] += data[start:end]

    def on_header_end() -> None:
        nonlocal in_token
        field, value = part["field"].strip().lower(), part["value"]
        part["field"] = part["value"] = b""
        if field != b"content-disposition":
            return
        _kind, params = parse_options_header(value)
        if b"filename" in params:
            raise _FileFirst
        in_token = params.get(b"name") == _TOKEN_FIELD

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if in_token:
            part["data"] += data[start:end]
            if len(part["data"]) > _MAX_TOKEN:
                raise _FileFirst  # no token is that long: not a form from this site

    def on_part_end() -> None:
        if in_token:
            raise _Found

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    try:
        more = True
        while more:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            parser.write(message.get("body", b""))
            more = message.get("more_body", False)
    except _Found:
        return part["data"], replay
    except _FileFirst:
        return Errors.FILE_BEFORE_TOKEN
    return Errors.MULTIPART_MISMATCH
