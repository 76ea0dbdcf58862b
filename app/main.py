"""The FastAPI application: `create_app(settings)`, and `app` for `uvicorn app.main:app`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.http import errors
from app.http.api import (
    routes_curation,
    routes_history,
    routes_images,
    routes_import,
    routes_links,
    routes_lists,
    routes_search,
    routes_system,
)
from app.http.body_limit import RequestBodyLimit
from app.http.jobs import ArchiveJobs
from app.http.security import SecurityHeadersMiddleware
from app.http.sessions import BrowserSessions
from app.http.swagger import add_docs
from app.http.uploads import IMPORT_PATHS
from app.http.web import routes as web_routes
from app.http.web import routes_add, routes_signin
from app.http.web import routes_curation as web_curation
from app.services.vault import Vault
from app.settings import Settings
from archiver import __version__
from archiver.models import utcnow

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    # Fields come from LINKVAULT_* variables; without the pydantic plugin mypy cannot know.
    settings = settings or Settings()  # type: ignore[call-arg]
    vault = Vault(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Opened before the first request: the lazy properties are not safe to race on.
        _ = vault.store, vault.index
        yield
        vault.close()

    app = FastAPI(
        title="linkvault",
        version=__version__,
        summary="Search an archive of reading lists: full text, highlighted snippets.",
        lifespan=lifespan,
        docs_url=None,  # app/http/swagger.py: Swagger UI from here, its own policy
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.vault = vault
    app.state.jobs = ArchiveJobs(vault)
    # The accounts' clock (sign-in limits, token use): tests set their own.
    app.state.clock = utcnow
    # Outermost last: security headers on everything; then the body limit (nothing reads a
    # body past it, not even asgi-csrf); then sessions, the caller, private mode and CSRF
    # (app/http/sessions.py).
    app.add_middleware(BrowserSessions, settings=settings)
    app.add_middleware(
        RequestBodyLimit,
        max_bytes=settings.max_request_bytes,
        # Uploads of whole exports: their own, larger limit, read as a stream to disk.
        path_limits=dict.fromkeys(IMPORT_PATHS, settings.max_import_bytes),
    )
    app.add_middleware(SecurityHeadersMiddleware)
    errors.install(app)
    for module in (
        routes_search,
        routes_links,
        routes_import,
        routes_curation,
        routes_history,
        routes_system,
        routes_lists,
        routes_images,
        web_routes,
        routes_signin,
        routes_add,
        web_curation,
    ):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    add_docs(app)

    return app


app = create_app()
