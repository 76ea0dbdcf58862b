"""Who may write, over HTTP: API tokens (stored ones and LINKVAULT_API_TOKEN), signed-in
sessions with their CSRF token, the sign-in form and its limit, session expiry and the end
of every session when the password changes."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from app.main import create_app
from app.services.accounts import AccountService
from app.services.vault import Vault
from app.settings import Settings
from tests.app._archive import make_settings
from tests.app._auth import PASSWORD, SECRET_KEY, csrf_from, set_up_owner, sign_in, sign_in_ok

ENV_TOKEN = "env-token-0123456789"
# Passes authentication, then stops at validation: no link is added, nothing is fetched.
WRITE = ("/api/links", {"urls": ["not a url"]})
WRITTEN = 400


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", secret_key=SECRET_KEY)


@pytest.fixture
def token(settings: Settings) -> str:
    return set_up_owner(settings, token_name="phone")


@pytest.fixture
def app(settings: Settings, token: str) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _write(client: TestClient, **headers: str) -> int:
    path, body = WRITE
    return client.post(path, json=body, headers=headers).status_code


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- tokens ----------------------------------------------------------------------------------


def test_a_stored_token_writes_and_a_revoked_one_does_not(
    client: TestClient, settings: Settings, token: str
) -> None:
    assert _write(client, **_bearer(token)) == WRITTEN
    assert client.post("/api/links/424242/refresh", headers=_bearer(token)).status_code == 404

    vault = Vault(settings)
    try:
        AccountService(vault.store).revoke_token("phone")
    finally:
        vault.close()
    response = client.post(WRITE[0], json=WRITE[1], headers=_bearer(token))
    assert response.status_code == 401
    assert response.json() == {"detail": "missing or wrong bearer token"}
    assert response.headers["www-authenticate"] == 'Bearer realm="linkvault"'


def test_the_environment_token_still_writes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", api_token=ENV_TOKEN, secret_key=SECRET_KEY)
    with TestClient(create_app(settings)) as client:
        assert _write(client, **_bearer(ENV_TOKEN)) == WRITTEN
        assert _write(client, **_bearer(ENV_TOKEN + "x")) == 401
        assert _write(client, **_bearer("")) == 401


def test_without_any_credential_set_up_the_refusal_says_how(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "data"))) as client:
        response = client.post(WRITE[0], json=WRITE[1])
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert "linkvault passwd" in detail and "linkvault token create" in detail


def test_a_bearer_request_is_judged_by_its_token_alone(client: TestClient) -> None:
    """asgi-csrf lets Authorization: Bearer requests through unchecked, so a session cookie
    riding along must not make up for a wrong token."""
    sign_in_ok(client)
    csrf = client.cookies["csrftoken"]
    assert _write(client, **{"x-csrftoken": csrf}) == WRITTEN
    assert _write(client, **_bearer("wrong"), **{"x-csrftoken": csrf}) == 401
    assert _write(client, **_bearer("wrong")) == 401


# -- sessions and CSRF -----------------------------------------------------------------------


def test_a_session_writes_with_the_csrf_header_and_not_without(client: TestClient) -> None:
    assert _write(client) == 401  # not signed in yet
    sign_in_ok(client)
    response = client.post(WRITE[0], json=WRITE[1])
    assert response.status_code == 403
    assert "x-csrftoken" in response.json()["detail"]
    assert _write(client, **{"x-csrftoken": "forged"}) == 403
    assert _write(client, **{"x-csrftoken": client.cookies["csrftoken"]}) == WRITTEN


def test_a_form_post_without_its_token_is_refused_with_a_page(client: TestClient) -> None:
    sign_in_ok(client)
    response = client.post(
        "/signout", data={"csrftoken": "forged"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "did not come from this site" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    # Still signed in: the forged form did nothing.
    assert "Sign out" in client.get("/").text


def test_signing_in_needs_the_form_token_even_without_cookies(
    app: FastAPI, client: TestClient
) -> None:
    with TestClient(app) as fresh:
        response = fresh.post("/signin", data={"password": PASSWORD})
    assert response.status_code == 403
    assert "linkvault_session" not in response.headers.get("set-cookie", "")


def test_the_session_cookie_is_signed_httponly_lax_and_expires(
    client: TestClient, settings: Settings
) -> None:
    response = sign_in(client)
    assert response.status_code == 303
    cookie = next(
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith("linkvault_session=")
    )
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert f"max-age={int(settings.session_lifetime.total_seconds())}" in attributes
    assert "secure" not in attributes  # plain http: a Secure cookie would never come back
    # Signed: changing what it says signs the browser out.
    value = client.cookies["linkvault_session"]
    client.cookies.set("linkvault_session", "x" + value)
    assert "Sign in" in client.get("/").text


def test_over_https_the_cookies_are_secure(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        response = sign_in(client)
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
        session = next(value for value in cookies if value.startswith("linkvault_session="))
        assert "secure" in session.lower()
        page = client.get("/")
        assert "Sign out" in page.text
        assert "secure" in page.headers["set-cookie"].lower()  # the new csrftoken


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in_ok(client)
    page = client.get("/")
    assert "Sign out" in page.text
    response = client.post(
        "/signout", data={"csrftoken": csrf_from(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "Sign in" in client.get("/").text
    assert _write(client, **{"x-csrftoken": client.cookies["csrftoken"]}) == 401


def _cookie_signed_at(when: datetime, stamp: str) -> str:
    """A session cookie as SessionMiddleware writes it, signed at `when`."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(when.timestamp())

    data = base64.b64encode(json.dumps({"stamp": stamp}).encode())
    return Then(SECRET_KEY).sign(data).decode()


def test_a_session_expires_after_its_lifetime(client: TestClient, settings: Settings) -> None:
    vault = Vault(settings)
    try:
        stamp = AccountService(vault.store).session_stamp()
    finally:
        vault.close()
    assert stamp is not None
    now = datetime.now(UTC)
    csrf = {"x-csrftoken": csrf_from(client.get("/signin").text)}
    recent = _cookie_signed_at(now - timedelta(days=13), stamp)
    client.cookies.set("linkvault_session", recent)
    assert _write(client, **csrf) == WRITTEN
    expired = _cookie_signed_at(now - timedelta(days=14, minutes=1), stamp)
    client.cookies.set("linkvault_session", expired)
    assert _write(client, **csrf) == 401
    assert "Sign in" in client.get("/").text


def test_a_shorter_lifetime_is_a_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", secret_key=SECRET_KEY, session_lifetime="2h")
    set_up_owner(settings)
    vault = Vault(settings)
    try:
        stamp = AccountService(vault.store).session_stamp()
    finally:
        vault.close()
    assert stamp is not None
    with TestClient(create_app(settings)) as client:
        set_cookie = sign_in(client).headers.get_list("set-cookie")
        assert any("Max-Age=7200" in value for value in set_cookie)
        csrf = {"x-csrftoken": csrf_from(client.get("/").text)}
        assert _write(client, **csrf) == WRITTEN
        now = datetime.now(UTC)
        client.cookies.set("linkvault_session", _cookie_signed_at(now - timedelta(hours=3), stamp))
        assert _write(client, **csrf) == 401


def test_a_new_password_signs_every_session_out(client: TestClient, settings: Settings) -> None:
    sign_in_ok(client)
    csrf = {"x-csrftoken": client.cookies["csrftoken"]}
    assert _write(client, **csrf) == WRITTEN
    vault = Vault(settings)
    try:
        AccountService(vault.store).set_password("a brand new password")
    finally:
        vault.close()
    assert _write(client, **csrf) == 401
    assert "Sign in" in client.get("/").text
    assert sign_in(client, PASSWORD).status_code == 401
    sign_in_ok(client, "a brand new password")
    assert _write(client, **{"x-csrftoken": client.cookies["csrftoken"]}) == WRITTEN


# -- the sign-in form ------------------------------------------------------------------------


def test_a_wrong_password_shows_the_form_again(client: TestClient) -> None:
    response = sign_in(client, "not the password")
    assert response.status_code == 401
    assert "Wrong password." in response.text
    assert "linkvault_session" not in client.cookies


def test_sign_in_goes_back_to_next(client: TestClient) -> None:
    response = sign_in(client, next_="/links/3?q=frames")
    assert response.status_code == 303
    assert response.headers["location"] == "/links/3?q=frames"
    # Signed in already: the sign-in page sends the browser on.
    again = client.get("/signin?next=/links/3", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/links/3"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "evil.example",
        "/signin",
        "/" + "a" * 3000,
        "",
    ],
)
def test_next_never_leaves_the_site(client: TestClient, target: str) -> None:
    response = sign_in(client, next_=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_header_offers_sign_in_then_sign_out(client: TestClient) -> None:
    page = client.get("/links/1?q=frames").text
    assert '<a href="/signin?next=%2Flinks%2F1%3Fq%3Dframes">Sign in</a>' in page
    assert "csrftoken" not in page  # nothing to protect for a reader who is not signed in
    sign_in_ok(client)
    page = client.get("/").text
    assert 'action="/signout"' in page and 'name="csrftoken"' in page


def test_the_sign_in_page_without_a_password_says_how_to_set_one(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path / "data"))) as client:
        page = client.get("/signin")
        assert page.status_code == 200
        assert "linkvault passwd" in page.text and 'type="password"' not in page.text
        assert client.head("/signin").status_code == 200


def test_too_many_failures_are_429_then_allowed_after_the_window(
    app: FastAPI, client: TestClient
) -> None:
    now = [datetime(2026, 5, 1, 9, 0, tzinfo=UTC)]
    app.state.clock = lambda: now[0]
    for _ in range(5):
        assert sign_in(client, "a guess").status_code == 401
        now[0] += timedelta(seconds=2)
    refused = sign_in(client, PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "50"
    assert "Try again in 50 seconds" in refused.text
    assert "linkvault_session" not in client.cookies
    now[0] += timedelta(seconds=50)
    assert sign_in(client, PASSWORD).status_code == 303
    assert "Sign out" in client.get("/").text


# -- malformed requests are 4xx, never 500 ---------------------------------------------------


def test_malformed_bodies_and_cookies_are_400(client: TestClient) -> None:
    sign_in_ok(client)
    no_boundary = client.post(
        "/signout", content=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert no_boundary.status_code == 400
    not_utf8 = client.post(
        "/signout",
        content=b"csrftoken=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_utf8.status_code == 400
    assert "Sign out" in client.get("/").text  # neither did anything


def test_a_cookie_header_that_is_not_utf8_is_400(app: FastAPI) -> None:
    # httpx's ASGI transport passes header bytes as they are (TestClient would re-encode).
    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
            return await raw.get("/api/links", headers={"Cookie": b"csrftoken=\xe9t\xe9"})

    response = asyncio.run(get())
    assert response.status_code == 400
    assert response.json() == {"detail": "The request could not be read (its body or cookies)."}


def test_many_wrong_guesses_at_once_are_all_counted(app: FastAPI) -> None:
    """Failures are recorded before the password is checked, so guesses sent together are
    limited as surely as guesses one after another."""

    with TestClient(app) as client:
        token = csrf_from(client.get("/signin").text)

        def guess(number: int) -> int:
            form = {"csrftoken": token, "password": f"guess {number}"}
            return client.post("/signin", data=form, follow_redirects=False).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(guess, range(12)))
    assert codes.count(401) <= 5
    assert codes.count(429) >= 7
