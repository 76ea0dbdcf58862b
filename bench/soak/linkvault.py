"""The real linkvault as the soak drives it: its commands (archive, refresh, serve) in an
environment without proxies, its database counts, and its search API."""

from __future__ import annotations

import contextlib
import http.client
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from bench._common import clean_env, linkvault_env, write_list
from bench.soak.pages import SoakPages

PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def linkvault_argv() -> list[str]:
    script = Path(sys.executable).with_name("linkvault")
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def command_env(data: Path, concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in clean_env().items() if k.lower() not in PROXY_VARIABLES}
    return linkvault_env(data, concurrency, base=env) | {"NO_PROXY": "127.0.0.1,localhost"}


def archive_pages(pages: SoakPages, env: dict[str, str], work: Path) -> float:
    listing = write_list(work / "list.txt", pages.urls())
    started_at = time.perf_counter()
    log = work / "archive.log"
    with open(log, "wb") as out:
        done = subprocess.run(
            [*linkvault_argv(), "archive", str(listing)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"linkvault archive exited {done.returncode}:\n{tail(log)}")
    return time.perf_counter() - started_at


def tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def db_counts(data: Path) -> tuple[int, int, int]:
    """(links ok, snapshots, links still waiting for the index)."""
    with contextlib.closing(sqlite3.connect(data / "linkvault.db")) as db:
        ok = db.execute("select count(*) from links where status = 'ok'").fetchone()[0]
        snapshots = db.execute("select count(*) from snapshots").fetchone()[0]
        waiting = db.execute("select count(*) from links where needs_index").fetchone()[0]
    return ok, snapshots, waiting


def api_get(port: int, path: str, timeout: float = 30.0) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    try:
        return response.status, json.loads(body)
    except ValueError:
        return response.status, body[:200]


def search_total(port: int, query: str) -> int:
    status, body = api_get(port, f"/api/search?per_page=1&q={quote_plus(query)}")
    if status != 200:
        raise RuntimeError(f"/api/search?q={query} answered {status}: {body}")
    return int(body["total"])
