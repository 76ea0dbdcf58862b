"""The servers the search bench loads: the real `linkvault serve` on either backend, and the
SQLite FTS5 reference server (bench/_fts5_server.py), each on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from bench._common import Server, clean_env, free_port, started
from bench.search.archives import Archive


def linkvault_server(
    archive: Archive, logs: Path, backend: str = "whoosh", web_workers: int = 1
) -> contextlib.AbstractContextManager[Server]:
    """`linkvault serve` over the archive, searching with ``backend`` (the server's name), in
    ``web_workers`` processes (LINKVAULT_WEB_WORKERS)."""
    port = free_port()
    env = clean_env() | {
        "LINKVAULT_DATA_DIR": str(archive.settings.data_dir.resolve()),
        "LINKVAULT_WEB_WORKERS": str(web_workers),
    }
    if backend == "postgres":
        assert archive.postgres is not None
        env["LINKVAULT_DATABASE_URL"] = archive.postgres.resolved_database_url
        env["LINKVAULT_SEARCH_BACKEND"] = "postgres"
    argv = [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return started(backend, argv, env, port, "/api/search?q=", logs)


def fts5_server(archive: Archive, logs: Path) -> contextlib.AbstractContextManager[Server]:
    port = free_port()
    argv = [sys.executable, "-m", "bench._fts5_server", "--db", str(archive.fts5.resolve())]
    argv += ["--port", str(port)]
    return started("fts5", argv, clean_env(), port, "/search?q=", logs)
