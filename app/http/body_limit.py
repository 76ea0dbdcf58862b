"""A ceiling on request bodies, before anything reads them.

Forms and JSON bodies are read whole into memory: by asgi-csrf (a form's token), by Starlette
(form fields) and by FastAPI (JSON). uvicorn sets no limit, so without this a single request
could exhaust the server's memory. A declared Content-Length over the limit is refused at
once; a chunked body is counted as it arrives and refused when it passes the limit.

Some paths have a limit of their own (`path_limits`): the upload routes, which take whole
exports (LINKVAULT_MAX_IMPORT_BYTES) and stream them to disk instead of reading them whole.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import errors


class BodyTooLarge(Exception):
    """Raised inside `receive` when a streamed body passes the limit."""


class RequestBodyLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        message = f"The request body is larger than {limit:,} bytes."
        response = errors.error_response(Request(scope), 413, message)
        # The rest of the body is not read: the connection closes after the answer.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
