"""`linkvault serve` and `linkvault migrate`: run the web service, upgrade its database."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import DataDir, err, settings_from
from app.services.vault import Vault


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
) -> None:
    """Serve the JSON API and the search page (http://HOST:PORT/, API docs at /docs)."""
    from app.http.server import serve as run_server

    settings = settings_from(data_dir=data_dir)
    # Refuse here, with a clear message, rather than as a failed application startup.
    vault = Vault(settings)
    try:
        _ = vault.store
    finally:
        vault.close()
    run_server(host, port, settings)


def migrate(data_dir: DataDir = None) -> None:
    """Upgrade the database schema to this version of linkvault (SQLite or PostgreSQL).

    Safe to run again: an up-to-date database is left as it is. Other linkvault processes
    refuse to run on an out-of-date schema until this has run.
    """
    from archiver import make_engine
    from archiver.schema import migrate as upgrade

    settings = settings_from(data_dir=data_dir)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        err.print(f"The database schema is up to date (revision {after}).")
    else:
        err.print(f"Migrated the database schema from revision {before or 'none'} to {after}.")
