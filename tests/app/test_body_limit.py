"""Request bodies over LINKVAULT_MAX_REQUEST_BYTES are refused before anything reads them:
declared (Content-Length) or streamed (chunked), forms and JSON alike, under real uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.app._archive import LiveServer, make_settings
from tests.app._auth import SECRET_KEY, set_up_owner

LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("limit") / "data"
    settings = make_settings(data, secret_key=SECRET_KEY, max_request_bytes=LIMIT)
    set_up_owner(settings)
    with LiveServer(create_app(settings)) as live:
        yield live


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"password=" if sent == 0 else b"x" * 8192
        sent += 8192


def test_a_declared_body_over_the_limit_is_413(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        response = client.post("/signin", data={"password": "x" * (LIMIT + 1)})
        assert response.status_code == 413
        assert "larger than 65,536 bytes" in response.text
        assert response.headers["x-content-type-options"] == "nosniff"
        api = client.post("/api/links", json={"urls": ["https://e.example/" + "a" * LIMIT]})
        assert api.status_code == 413
        assert api.json() == {"detail": "The request body is larger than 65,536 bytes."}


def test_a_streamed_body_over_the_limit_is_413(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        response = client.post(
            "/signin",
            content=_chunks(LIMIT * 4),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 413


def test_a_body_under_the_limit_is_read(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url) as client:
        # Passes the limit, then stops at CSRF: no token in the form.
        response = client.post("/signin", data={"password": "x" * 1000})
        assert response.status_code == 403


def test_the_setting_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_request_bytes"):
        make_settings(tmp_path, max_request_bytes=0)
