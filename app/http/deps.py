"""Request dependencies: settings, a database session, the index and the write token."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.http.jobs import ArchiveJobs
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


_bearer = HTTPBearer(
    auto_error=False,
    description="The value of LINKVAULT_API_TOKEN; write routes are off when it is unset.",
)


def require_token(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Write routes: 403 when no token is configured, 401 unless the bearer token matches."""
    if not settings.api_token:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "write API is disabled: set LINKVAULT_API_TOKEN"
        )
    given = credentials.credentials if credentials is not None else ""
    # Constant time, so the token cannot be guessed a byte at a time from response timings.
    if not hmac.compare_digest(given.encode(), settings.api_token.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing or wrong bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="linkvault"'},
        )


SettingsDep = Annotated[Settings, Depends(get_settings)]
VaultDep = Annotated[Vault, Depends(get_vault)]
JobsDep = Annotated[ArchiveJobs, Depends(get_jobs)]
SessionDep = Annotated[Session, Depends(get_session)]
IndexDep = Annotated[SearchBackend, Depends(get_index)]
TokenDep = Annotated[None, Depends(require_token)]
