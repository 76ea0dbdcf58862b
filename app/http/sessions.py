"""Browser sessions and CSRF: Starlette's SessionMiddleware (a signed cookie), Starlette's
AuthenticationMiddleware (who is calling: app/http/auth.py), private mode
(app/http/private.py) and asgi-csrf (double-submit tokens), in that order, as one
middleware.

Two copies of that stack are built, one with `Secure` cookies, and each request takes the
one its scheme asks for: `https` (directly, or through a trusted proxy's X-Forwarded-Proto,
see app/http/server.py) gets cookies a browser never sends over plain http; plain http, as
on localhost, gets cookies that work there.

The signing key is read on the first request, not when the app is made: it may come from
the database (app/services/accounts.py `session_secret`), which is opened lazily.

What asgi-csrf does (asgi_csrf.py, 0.11), which the rest of the app relies on:
- GET, HEAD, OPTIONS and TRACE are never checked.
- Another method passes when the `x-csrftoken` header equals the csrftoken cookie; or when
  the request has no cookies at all (nothing ambient to abuse; except the paths in
  `always_protect`); or when it has `Authorization: Bearer`. Otherwise the body must carry
  the `csrftoken` field: form-urlencoded, or multipart with the field before any file.
  Anything else (JSON with a cookie but no header, an unknown type) is refused.
- A refusal goes to `send_csrf_failed`; here a 403 page for browsers, JSON for the API.
- `scope["csrftoken"]` is a function returning the token; calling it sets the cookie.
"""

from __future__ import annotations

from datetime import timedelta

from asgi_csrf import Errors, asgi_csrf, error_messages
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.authentication import AuthenticationError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import errors
from app.http.auth import CallerBackend, DatabaseUnavailable, account_service
from app.http.body_limit import BodyTooLarge
from app.http.csrf_multipart import MultipartToken
from app.http.private import PrivateModeGate
from app.settings import Settings

SESSION_COOKIE = "linkvault_session"
CSRF_COOKIE = "csrftoken"
# Signing in and out are checked even without cookies: every form POST carries a token.
FORM_ONLY_PATHS = ["/signin", "/signout"]
HEALTH_PATH = "/healthz"
# Marks in the scope that the request got past asgi-csrf (see _CsrfGuard).
_PASSED = "linkvault.csrf_passed"


class BrowserSessions:
    """Sessions, callers and CSRF, with `Secure` cookies exactly on https requests."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._stacks: tuple[ASGIApp, ASGIApp] | None = None  # (http, https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._stacks is None:
            try:
                secret = await run_in_threadpool(self._secret, scope["app"])
            except (OperationalError, InterfaceError) as exc:
                if scope["path"] == HEALTH_PATH:
                    # The health check needs no session, and says itself what is wrong.
                    await self.app(scope, receive, send)
                    return
                response = await errors.database_unavailable(Request(scope), exc)
                await response(scope, receive, send)
                return
            # Built once; two first requests at once build it twice, with the same secret.
            self._stacks = (self._stack(secret, secure=False), self._stack(secret, secure=True))
        await self._stacks[scope.get("scheme") == "https"](scope, receive, send)

    def _secret(self, app: Starlette) -> str:
        # Opens the store on first use: a thread, not the event loop.
        return account_service(app).session_secret(self.settings.secret_key)

    def _stack(self, secret: str, *, secure: bool) -> ASGIApp:
        # Both signers use itsdangerous with different salts, so one secret serves both.
        checked = _CsrfGuard(
            MultipartToken(
                asgi_csrf(
                    _Passed(self.app),
                    cookie_name=CSRF_COOKIE,
                    signing_secret=secret,
                    always_protect=FORM_ONLY_PATHS,
                    cookie_secure=secure,
                    cookie_samesite="Lax",
                    send_csrf_failed=_csrf_refused,
                ),
                refuse=_csrf_refused,
                cookie_name=CSRF_COOKIE,
            )
        )
        gated = PrivateModeGate(checked, private=self.settings.private)
        with_caller = AuthenticationMiddleware(
            gated, backend=CallerBackend(), on_error=_caller_unknown
        )
        lifetime = self.settings.session_lifetime
        return SessionMiddleware(
            with_caller,
            secret_key=secret,
            session_cookie=SESSION_COOKIE,
            # The cookie is written once, at sign-in: its signed time ends it after this,
            # whatever the browser does with Max-Age.
            max_age=max(1, int(lifetime / timedelta(seconds=1))),
            same_site="lax",
            https_only=secure,
        )


class _Passed:
    """The app behind asgi-csrf: notes that the request got this far."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_PASSED][0] = True
        await self.app(scope, receive, send)


class _CsrfGuard:
    """asgi-csrf raises on some malformed requests before the app sees them (a multipart
    type without a boundary, a body or cookie that is not UTF-8, a broken multipart body):
    those become a 400, not an internal error. Errors raised by the app itself go on up."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A list, so the copy of the scope asgi-csrf makes still shares it.
        passed = [False]
        scope[_PASSED] = passed
        try:
            await self.app(scope, receive, send)
        except BodyTooLarge:
            raise  # answered 413 by app/http/body_limit.py, outside
        except Exception:
            if passed[0]:
                raise
            response = errors.error_response(
                Request(scope), 400, "The request could not be read (its body or cookies)."
            )
            await response(scope, receive, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


async def _csrf_refused(scope: Scope, send: Send, reason: Errors) -> None:
    request = Request(scope, _nothing)
    if errors.wants_html(request):
        message = (
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again."
        )
    else:
        message = (
            f"CSRF check failed ({error_messages.get(reason, 'no token')}): with a session "
            "cookie, send the csrftoken cookie's value in the x-csrftoken header (or a "
            "csrftoken form field), or authenticate with Authorization: Bearer instead"
        )
    response = errors.error_response(request, 403, message)
    await response(scope, _nothing, send)


def _caller_unknown(conn: HTTPConnection, exc: AuthenticationError) -> Response:
    request = Request(conn.scope, _nothing)
    if isinstance(exc, DatabaseUnavailable):
        message = "The database does not answer; please try again in a moment."
        return errors.error_response(request, 503, message, {"Retry-After": "5"})
    return errors.error_response(request, 400, "The credentials could not be read.")
