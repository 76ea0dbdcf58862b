"""Behind a reverse proxy, under real uvicorn with the options `linkvault serve` gives it:
X-Forwarded-Proto and X-Forwarded-For count only from LINKVAULT_TRUSTED_PROXIES. From a
trusted proxy, https makes the cookies Secure and the sign-in limit counts the forwarded
client; from anyone else, both headers are ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.http.server import proxy_options
from app.main import create_app
from app.settings import Settings
from tests.app._archive import LiveServer, make_settings
from tests.app._auth import PASSWORD, SECRET_KEY, csrf_from, set_up_owner


def _serve(settings: Settings) -> LiveServer:
    return LiveServer(create_app(settings), **proxy_options(settings))


@pytest.fixture
def trusted(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path / "data", secret_key=SECRET_KEY, trusted_proxies="127.0.0.1")
    set_up_owner(settings)
    with _serve(settings) as server:
        yield server


@pytest.fixture
def untrusted(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path / "data", secret_key=SECRET_KEY)
    set_up_owner(settings)
    with _serve(settings) as server:
        yield server


def _sign_in(server: LiveServer, password: str, **forwarded: str) -> httpx.Response:
    """The sign-in form, by hand: httpx (rightly) keeps a Secure cookie from plain http."""
    headers = {name.replace("_", "-"): value for name, value in forwarded.items()}
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/signin", headers=headers)
        token = csrf_from(page.text)
        cookie = page.headers["set-cookie"].split(";")[0]
        form = {"csrftoken": token, "password": password}
        return client.post(
            "/signin", data=form, headers={**headers, "Cookie": cookie}, follow_redirects=False
        )


def _session_cookie(response: httpx.Response) -> str:
    return next(
        value.lower()
        for value in response.headers.get_list("set-cookie")
        if value.startswith("linkvault_session=")
    )


def test_https_from_a_trusted_proxy_makes_the_cookies_secure(trusted: LiveServer) -> None:
    with httpx.Client(base_url=trusted.url) as client:
        over_https = client.get("/signin", headers={"X-Forwarded-Proto": "https"})
        over_http = client.get("/signin")
    assert "secure" in over_https.headers["set-cookie"].lower()
    assert "secure" not in over_http.headers["set-cookie"].lower()
    signed_in = _sign_in(trusted, PASSWORD, X_Forwarded_Proto="https")
    assert signed_in.status_code == 303
    assert "; secure" in _session_cookie(signed_in)
    plain = _sign_in(trusted, PASSWORD)
    assert plain.status_code == 303
    assert "secure" not in _session_cookie(plain)


def test_x_forwarded_proto_from_anyone_else_is_ignored(untrusted: LiveServer) -> None:
    response = _sign_in(untrusted, PASSWORD, X_Forwarded_Proto="https")
    assert response.status_code == 303
    assert "secure" not in _session_cookie(response)


def test_the_limit_counts_the_client_a_trusted_proxy_names(trusted: LiveServer) -> None:
    for _ in range(5):
        assert _sign_in(trusted, "guess", X_Forwarded_For="203.0.113.9").status_code == 401
    assert _sign_in(trusted, PASSWORD, X_Forwarded_For="203.0.113.9").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert _sign_in(trusted, PASSWORD, X_Forwarded_For="198.51.100.4").status_code == 303


def test_a_client_cannot_escape_the_limit_by_naming_another(untrusted: LiveServer) -> None:
    for number in range(5):
        forwarded = f"203.0.113.{number}"
        assert _sign_in(untrusted, "guess", X_Forwarded_For=forwarded).status_code == 401
    refused = _sign_in(untrusted, PASSWORD, X_Forwarded_For="198.51.100.4")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
