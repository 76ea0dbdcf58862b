"""Helpers for the sign-in tests: an archive with a password and a token, and a client that
signs in through the form as a browser does."""

from __future__ import annotations

import re

import httpx
from argon2 import PasswordHasher

from app.services.accounts import AccountService
from app.services.vault import Vault
from app.settings import Settings

PASSWORD = "correct horse battery"
SECRET_KEY = "test-secret-key-0123456789abcdef-0123456789"
# Cheap parameters where many hashes are made; the service's own are checked in its tests.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

_CSRF_INPUT = re.compile(r'name="csrftoken" value="([^"]+)"')


def set_up_owner(
    settings: Settings, password: str = PASSWORD, token_name: str | None = None
) -> str:
    """Sets the owner's password (and makes a token when named); returns the token or "".

    The hash is argon2id with FAST_HASHER's parameters: every later check reads them from the
    hash, so each sign-in costs a millisecond instead of tens."""
    vault = Vault(settings)
    try:
        accounts = AccountService(vault.store, hasher=FAST_HASHER)
        accounts.set_password(password)
        return accounts.create_token(token_name) if token_name else ""
    finally:
        vault.close()


def csrf_from(page_html: str) -> str:
    found = _CSRF_INPUT.search(page_html)
    assert found, "no csrf_field() in the page"
    return found.group(1)


def sign_in(client: httpx.Client, password: str = PASSWORD, next_: str = "/") -> httpx.Response:
    """GET /signin for the form's token, then POST it with the password (no redirects)."""
    page = client.get("/signin")
    assert page.status_code == 200, page.text
    form = {"csrftoken": csrf_from(page.text), "password": password, "next": next_}
    return client.post("/signin", data=form, follow_redirects=False)


def sign_in_ok(client: httpx.Client, password: str = PASSWORD) -> None:
    """Signs in, then opens the start page as the redirect would: signing in ends the CSRF
    token of before, and the page sets the new one."""
    response = sign_in(client, password)
    assert response.status_code == 303, response.text
    assert "linkvault_session" in client.cookies
    assert "csrftoken" not in client.cookies
    client.get("/")
    assert "csrftoken" in client.cookies
