"""Runs the service under uvicorn (what `linkvault serve` calls)."""

from __future__ import annotations

import uvicorn

from app.settings import Settings


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None) -> None:
    """Serves the API and the web page until interrupted."""
    from app.main import create_app

    application = create_app(settings)
    uvicorn.run(
        application,
        host=host,
        port=port,
        # The default "Server: uvicorn" header says nothing a user needs.
        server_header=False,
        proxy_headers=False,
        log_level="info",
    )
