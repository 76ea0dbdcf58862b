"""Signing in and out: GET and POST /signin (the owner's password), POST /signout.

The session keeps only the password's stamp (app/services/accounts.py): a new password
changes it and so ends every session. Failures are limited per client address (429 with
Retry-After), counted in the database so the limit holds across web processes.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.http.auth import SESSION_STAMP, SIGNIN_PATH, signed_in
from app.http.deps import AccountsDep, SettingsDep
from app.http.sessions import CSRF_COOKIE
from app.http.web.routes import templates
from app.http.web.state import SearchState
from app.services.accounts import Refused, client_key

router = APIRouter(include_in_schema=False)

SIGNOUT_PATH = "/signout"
_MAX_NEXT = 2000


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": `next=` must never send the
    browser elsewhere (no scheme, no host, no `//host` or `/\\host`, which browsers read
    as another host; no control characters)."""
    if not target or len(target) > _MAX_NEXT or not target.startswith("/"):
        return "/"
    if target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc or parts.path in (SIGNIN_PATH, SIGNOUT_PATH):
        return "/"
    return target


def _form(
    request: Request,
    accounts: AccountsDep,
    settings: SettingsDep,
    back: str,
    *,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "signin.html",
        {
            "state": SearchState(),
            "next": back,
            "error": error,
            "has_password": accounts.has_password(),
            "private": settings.private,
        },
        status_code=code,
        headers=headers,
    )


@router.api_route(SIGNIN_PATH, methods=["GET", "HEAD"], response_class=HTMLResponse)
def signin_page(
    request: Request,
    accounts: AccountsDep,
    settings: SettingsDep,
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    back = local_path(next_)
    if signed_in(request):
        return RedirectResponse(back, status_code=status.HTTP_303_SEE_OTHER)
    return _form(request, accounts, settings, back)


@router.post(SIGNIN_PATH, response_class=HTMLResponse)
def signin(
    request: Request,
    accounts: AccountsDep,
    settings: SettingsDep,
    password: Annotated[str, Form()] = "",
    next_: Annotated[str | None, Form(alias="next")] = None,
) -> Response:
    back = local_path(next_)
    client = client_key(request.client.host if request.client else None)
    outcome = accounts.sign_in(client, password)
    if isinstance(outcome, Refused):
        wait = outcome.retry_after
        message = f"Too many wrong passwords. Try again in {wait} second{'s' * (wait != 1)}."
        headers = {"Retry-After": str(wait)}
        return _form(request, accounts, settings, back, error=message, code=429, headers=headers)
    if outcome.session_stamp is None:
        return _form(request, accounts, settings, back, error="Wrong password.", code=401)
    # A new session, nothing carried over from before signing in.
    request.session.clear()
    request.session[SESSION_STAMP] = outcome.session_stamp
    response = RedirectResponse(back, status_code=status.HTTP_303_SEE_OTHER)
    # A new CSRF token too: one planted before sign-in (by a sibling subdomain, say) ends.
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post(SIGNOUT_PATH)
def signout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
