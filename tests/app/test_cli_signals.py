"""How `linkvault archive` ends when it is stopped from outside: SIGTERM (what `docker compose
stop`, systemd and `kill` send) takes the Ctrl-C way out, and even SIGKILL of the command alone
leaves no extraction worker behind holding its output open."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.test_cli_archive import _env
from tests.support import pages
from tests.support.site import Exchange, LocalSite

FAST_PAGES = 6


def _hanging(ex: Exchange) -> None:
    ex.send_head(200)
    ex.write(b"<html><body><p>")
    ex.sleep(60)  # never finishes while the test runs; the site stops it at teardown


def _stored(data: Path) -> int:
    try:
        with sqlite3.connect(data / "linkvault.db", timeout=5) as conn:
            (count,) = conn.execute("select count(*) from links where status = 'ok'").fetchone()
            return int(count)
    except sqlite3.Error:
        return 0  # not created yet


def _archive_until_fast_pages_done(
    local_site: LocalSite, tmp_path: Path
) -> tuple[subprocess.Popen[str], Path]:
    listing = tmp_path / "list.md"
    lines = []
    for n in range(FAST_PAGES):
        page = pages.article(f"Fast {n}", pages.filler(f"fast {n}"))
        local_site.route(f"/fast{n}", page.encode())
        lines.append(f"- {local_site.url(f'/fast{n}')}")
    local_site.route("/hanging", handler=_hanging)
    lines.append(f"- {local_site.url('/hanging')}")
    listing.write_text("\n".join(lines) + "\n")
    data = tmp_path / "data"
    # The hanging page must outlast the test, however slow the machine.
    slow = {"LINKVAULT_PAGE_DEADLINE": "120", "LINKVAULT_READ_TIMEOUT": "120"}
    env = _env(data) | slow | {"LINKVAULT_EXTRACT_WORKERS": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "archive", str(listing)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while _stored(data) < FAST_PAGES and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
    assert _stored(data) == FAST_PAGES, "the fast pages were not archived"
    assert proc.poll() is None, "archive ended although one page still hangs"
    return proc, data


def test_sigterm_stops_archive_like_ctrl_c(local_site: LocalSite, tmp_path: Path) -> None:
    proc, data = _archive_until_fast_pages_done(local_site, tmp_path)
    proc.terminate()
    # communicate() returns only when every process holding stderr is gone: the extraction
    # workers included.
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Interrupted. Links finished so far are saved" in stderr
    assert "Traceback" not in stderr
    assert _stored(data) == FAST_PAGES


def test_sigkilled_archive_leaves_no_worker_behind(local_site: LocalSite, tmp_path: Path) -> None:
    """Only the command's own process gets the signal (the OOM killer's way); its workers
    must notice and exit rather than wait for work forever."""
    proc, data = _archive_until_fast_pages_done(local_site, tmp_path)
    proc.send_signal(signal.SIGKILL)
    try:
        proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        subprocess.run(["pkill", "-KILL", "-s", str(proc.pid)], check=False)
        proc.communicate()
        pytest.fail("an extraction worker outlived the killed archive")
    assert _stored(data) == FAST_PAGES
