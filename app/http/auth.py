"""Who is calling: a signed-in browser session or an API token, found once per request.

Starlette's AuthenticationMiddleware runs `CallerBackend` on every request (installed by
app/http/sessions.py) and puts the result in `request.user`: a `Caller`, or an
unauthenticated user. Write routes ask for a Caller (`WriterDep`, app/http/deps.py); private
mode asks for one on every route (app/http/private.py); pages show "Sign in" or "Sign out"
by it (app/http/web/templating.py).

A request with `Authorization: Bearer` is judged by its token alone, never by a session
cookie it also carries: asgi-csrf does not check such requests (a browser cannot be made to
send that header across sites), so a cookie must not be able to stand in for the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import HTTPConnection

from app.services.accounts import AccountService

# The key of the signed-in owner's session stamp in the session cookie.
SESSION_STAMP = "stamp"
# Where a browser signs in (app/http/web/routes_signin.py); private mode sends it there.
SIGNIN_PATH = "/signin"
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="linkvault"'}


@dataclass(frozen=True, slots=True)
class Caller(BaseUser):
    """Someone allowed to write: the owner in a browser (`session`) or an API token."""

    via: Literal["session", "token"]
    name: str  # "owner", the token's name, or LINKVAULT_API_TOKEN

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.name


class DatabaseUnavailable(AuthenticationError):
    """The credentials could not be checked: the database did not answer (a 503)."""


def account_service(app: Starlette) -> AccountService:
    """The accounts of the app's data directory (the store opens on first use)."""
    state = app.state
    return AccountService(state.vault.store, api_token=state.settings.api_token, clock=state.clock)


def bearer_token(headers: Headers) -> str | None:
    """The token of an `Authorization: Bearer` header ("" when empty); None without one."""
    scheme, token = get_authorization_scheme_param(headers.get("authorization"))
    return token if scheme.lower() == "bearer" else None


def caller_of(connection: HTTPConnection) -> Caller | None:
    """The request's Caller, as CallerBackend found it; None when it found none."""
    user = connection.scope.get("user")
    return user if isinstance(user, Caller) else None


def signed_in(connection: HTTPConnection) -> bool:
    """Whether the request comes from the owner's signed-in browser session."""
    caller = caller_of(connection)
    return caller is not None and caller.via == "session"


def _identify(app: Starlette, token: str | None, stamp: object) -> Caller | None:
    accounts = account_service(app)  # in a thread: it may open the store
    if token is not None:
        name = accounts.token_name(token)
        return Caller("token", name) if name is not None else None
    if accounts.session_is_current(stamp):
        return Caller("session", "owner")
    return None


class CallerBackend(AuthenticationBackend):
    """Finds the Caller of a request; asks the database only when there is something to
    check (a bearer token, or a session that says it is signed in)."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        token = bearer_token(conn.headers)
        stamp = conn.session.get(SESSION_STAMP) if token is None else None
        if token is None and stamp is None:
            return None
        try:
            caller = await run_in_threadpool(_identify, conn.app, token, stamp)
        except (OperationalError, InterfaceError) as exc:
            raise DatabaseUnavailable(str(exc)) from exc
        if caller is None:
            return None
        return AuthCredentials(["write"]), caller
