"""Request dependencies: settings, a database session, the index, the accounts, and who may
write (`WriterDep`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.http.auth import BEARER_CHALLENGE, Caller, account_service, caller_of
from app.http.jobs import ArchiveJobs
from app.services.accounts import AccountService
from app.services.vault import Vault
from app.settings import Settings
from index import SearchBackend


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


def get_jobs(request: Request) -> ArchiveJobs:
    jobs: ArchiveJobs = request.app.state.jobs
    return jobs


def get_session(vault: Annotated[Vault, Depends(get_vault)]) -> Iterator[Session]:
    """One session (and one transaction) per request, closed when the request ends."""
    with vault.store.session() as session:
        yield session


def get_index(vault: Annotated[Vault, Depends(get_vault)]) -> SearchBackend:
    return vault.index


def get_accounts(request: Request) -> AccountService:
    return account_service(request.app)


# Declared for the OpenAPI schema (the docs' "Authorize" button); the token itself is checked
# once per request by app/http/auth.py, whatever the route.
_bearer = HTTPBearer(
    auto_error=False,
    description="An API token (`linkvault token create NAME`) or LINKVAULT_API_TOKEN.",
)

NOTHING_SET_UP = (
    "write API is disabled: no password or API token is set up; run `linkvault passwd` "
    "(then sign in at /signin) or `linkvault token create NAME`, or set LINKVAULT_API_TOKEN"
)


def require_writer(
    request: Request,
    accounts: Annotated[AccountService, Depends(get_accounts)],
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Write routes and forms: the signed-in owner, or a valid API token. 403 saying how to
    set one up when there is none at all; 401 otherwise."""
    caller = caller_of(request)
    if caller is not None:
        return caller
    if not accounts.anything_set_up():
        raise HTTPException(status.HTTP_403_FORBIDDEN, NOTHING_SET_UP)
    message = (
        "missing or wrong bearer token"
        if request.url.path.startswith("/api/")
        else "Sign in to change the archive."
    )
    raise HTTPException(status.HTTP_401_UNAUTHORIZED, message, headers=BEARER_CHALLENGE)


SettingsDep = Annotated[Settings, Depends(get_settings)]
VaultDep = Annotated[Vault, Depends(get_vault)]
JobsDep = Annotated[ArchiveJobs, Depends(get_jobs)]
SessionDep = Annotated[Session, Depends(get_session)]
IndexDep = Annotated[SearchBackend, Depends(get_index)]
AccountsDep = Annotated[AccountService, Depends(get_accounts)]
WriterDep = Annotated[Caller, Depends(require_writer)]
