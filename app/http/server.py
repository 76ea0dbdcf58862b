"""Runs the service under uvicorn (what `linkvault serve` calls)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import uvicorn

from app.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

# How the parent hands its settings (options included) to worker processes; not LINKVAULT_*,
# so Settings() never reads it as a setting.
WORKER_SETTINGS_ENV = "_LINKVAULT_SERVE_SETTINGS"


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    """Serves the API and the web page until interrupted, in LINKVAULT_WEB_WORKERS processes.

    Searches are CPU-bound Python, so one process uses about one core however many requests
    it holds; more processes use more cores, each with its own searchers and caches.
    """
    settings = settings or Settings()  # type: ignore[call-arg]
    application: FastAPI | str
    if settings.web_workers == 1:
        from app.main import create_app

        application = create_app(settings)
    else:
        # Worker processes import the app by name: they get the settings from the environment.
        os.environ[WORKER_SETTINGS_ENV] = settings.model_dump_json()
        application = "app.http.server:worker_app"
    uvicorn.run(
        application,
        host=host,
        port=port,
        factory=settings.web_workers > 1,
        workers=settings.web_workers,
        # The default "Server: uvicorn" header says nothing a user needs.
        server_header=False,
        log_level="info",
        **proxy_options(settings),
    )


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's handling of X-Forwarded-Proto and X-Forwarded-For: believed only from
    LINKVAULT_TRUSTED_PROXIES, so the request's scheme (the session cookie is Secure over
    https) and client address (the sign-in limit counts per client) are the real ones.

    Off without trusted proxies: uvicorn's own default would trust 127.0.0.1, and anything
    on this machine (another user's process, a local forwarder) could then claim https or
    any client address."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def worker_app() -> FastAPI:
    """The app of one worker process, with the settings `serve` was given."""
    from app.main import create_app

    # model_validate_json, not Settings(): the parent's values exactly, environment unread.
    return create_app(Settings.model_validate_json(os.environ[WORKER_SETTINGS_ENV]))
