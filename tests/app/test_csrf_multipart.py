"""app/http/csrf_multipart.py on its own: the `csrftoken` field of a multipart body handed on as
the header, however the body is cut into chunks, and the body replayed whole to the app; a
file before the token, or no token, refused without reading the rest."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgi_csrf import Errors

from app.http.csrf_multipart import MultipartToken

TOKEN = b"the-token-value"
BOUNDARY = b"xyz"


def _body(token_first: bool = True, token: bytes = TOKEN) -> bytes:
    field = b'--xyz\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n' + token + b"\r\n"
    upload = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nurl\r\nhttps://a.example/\r\n"
    )
    parts = field + upload if token_first else upload + field
    return parts + b"--xyz--\r\n"


def _run(body: bytes, chunk: int, cookie: bytes = b"csrftoken=" + TOKEN) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    pending = [
        {"type": "http.request", "body": piece, "more_body": n < len(chunks) - 1}
        for n, piece in enumerate(chunks)
    ]
    taken = {"count": 0}

    async def receive() -> dict[str, Any]:
        taken["count"] += 1
        return pending.pop(0)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen["headers"] = dict(scope["headers"])
        replayed = b""
        while True:
            message = await receive()
            replayed += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["body"] = replayed

    async def refuse(scope: Any, send: Any, reason: Errors) -> None:
        seen["refused"] = reason

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/add/import",
        "headers": [
            (b"content-type", b"multipart/form-data; boundary=" + BOUNDARY),
            (b"cookie", cookie),
        ],
    }
    asyncio.run(MultipartToken(app, refuse, "csrftoken")(scope, receive, lambda m: None))
    seen["received"] = taken["count"]
    return seen


@pytest.mark.parametrize("chunk", [1, 7, 64, 10_000])
def test_the_token_becomes_the_header_and_the_body_is_replayed(chunk: int) -> None:
    body = _body()
    seen = _run(body, chunk)
    assert seen["headers"][b"x-csrftoken"] == TOKEN
    assert seen["body"] == body


def test_a_file_before_the_token_is_refused_unread() -> None:
    body = _body(token_first=False) + b"x" * 100_000
    seen = _run(body, 64)
    assert seen["refused"] is Errors.FILE_BEFORE_TOKEN
    assert seen["received"] < 10  # stopped at the file's headers


def test_a_token_that_is_not_the_cookie_is_refused() -> None:
    seen = _run(_body(token=b"forged"), 16)
    assert seen["refused"] is Errors.MULTIPART_MISMATCH
    assert "headers" not in seen
