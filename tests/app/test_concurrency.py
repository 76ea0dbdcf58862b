"""Several processes on one data directory: the server answering searches while `archive`
and `refresh` write, the write API adding links meanwhile, and two archives started at
once. No error reaches a user, no write is lost, and a second writer waits or says why not."""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.app.test_cli_archive import _env, linkvault
from tests.support import pages
from tests.support.site import Exchange, LocalSite

TOKEN = "concurrency-token-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Pages:
    """Numbered article pages; the third divisible by 3 mention the current revision."""

    def __init__(self, site: LocalSite, latency: float) -> None:
        self.site = site
        self.latency = latency
        self.revision = 0
        self.hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        site.fallback(self._page)

    def _page(self, ex: Exchange) -> None:
        with self._lock:
            self.hits[ex.request.path] += 1
        ex.sleep(self.latency)
        number = int(ex.request.path.rsplit("-", 1)[-1])
        words = f"page number{number}"
        if number % 3 == 0:
            words += f" revision{self.revision}"
        ex.respond(200, pages.article(f"Page {number}", pages.filler(words)).encode())

    def urls(self, numbers: range) -> list[str]:
        return [self.site.url(f"/page-{i}") for i in numbers]


def _start(
    data: Path, *args: str, log: IO[str] | None = None, **extra: str
) -> subprocess.Popen[str]:
    env = _env(data) | {"LINKVAULT_CONCURRENCY": "4", "LINKVAULT_PER_HOST_CONCURRENCY": "4"}
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        env=env | extra,
        stdout=subprocess.PIPE if log is None else log,
        # A long-running server logs every request: to a file, or a full pipe would stall it.
        stderr=subprocess.PIPE if log is None else log,
        text=True,
        start_new_session=True,  # killpg reaches its extraction workers too
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Path, httpx.Client]]:
    """The real `linkvault serve` in its own process, on an archive of 30 pages."""
    data = tmp_path / "data"
    port = _free_port()
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    proc = _start(data, "serve", "--port", str(port), log=log, LINKVAULT_API_TOKEN=TOKEN)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log_path.read_text()
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield data, client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        err = log_path.read_text()
        assert "Traceback" not in err, err
        assert "database is locked" not in err, err


class SearchLoad:
    """Threads searching and listing as fast as they can, keeping every unexpected answer."""

    def __init__(self, client: httpx.Client, threads: int = 4) -> None:
        self.client = client
        self.done = threading.Event()
        self.answered = 0
        self.problems: list[str] = []
        self._threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]

    def __enter__(self) -> SearchLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _run(self, n: int) -> None:
        paths = ["/api/search?q=page", "/api/search?q=revision1", "/api/links?per_page=5"]
        paths += ["/api/stats", f"/api/search?q=number{n}+OR+page&sort=date", "/?q=page"]
        while not self.done.is_set():
            for path in paths:
                try:
                    response = self.client.get(path)
                except httpx.HTTPError as exc:
                    self.problems.append(f"{path}: {exc!r}")
                    continue
                self.answered += 1
                if response.status_code != 200:
                    self.problems.append(f"{path}: {response.status_code} {response.text[:300]}")


def _wait_until(condition: object, limit: float = 60) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


@pytest.mark.timeout(300)
def test_searches_are_answered_while_archive_refresh_and_the_api_write(
    local_site: LocalSite, tmp_path: Path, server: tuple[Path, httpx.Client]
) -> None:
    data, client = server
    site = Pages(local_site, latency=0.02)
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(site.urls(range(60))) + "\n")
    auth = {"Authorization": f"Bearer {TOKEN}"}

    with SearchLoad(client) as load:
        archive = _start(data, "archive", str(listing))
        # Meanwhile the write API adds links of its own, archived by the server.
        added = client.post("/api/links", json={"urls": site.urls(range(100, 105))}, headers=auth)
        assert added.status_code == 202, added.text
        _out, archive_err = archive.communicate(timeout=180)
        assert archive.returncode == 0, archive_err

        site.revision = 1
        refresh = _start(data, "refresh", "--all")
        _out, refresh_err = refresh.communicate(timeout=180)
        assert refresh.returncode == 0, refresh_err

        def api_links_archived() -> bool:
            links = [client.get(f"/api/links/{i}").json() for i in added.json()["ids"]]
            return [link["status"] for link in links] == ["ok"] * 5

        assert _wait_until(api_links_archived, 120), [
            client.get(f"/api/links/{i}").json() for i in added.json()["ids"]
        ]

    assert load.problems == []
    assert load.answered > 50
    for stderr in (archive_err, refresh_err):
        assert "database is locked" not in stderr and "Traceback" not in stderr, stderr

    # The server sees what the other processes wrote, without a restart.
    every = [*range(60), *range(100, 105)]
    changed = {site.site.url(f"/page-{i}") for i in every if i % 3 == 0}

    def refreshed_pages_found() -> bool:
        found = client.get("/api/search", params={"q": "revision1", "per_page": 100}).json()
        return {hit["url"] for hit in found["results"]} == changed

    # Within the searchers' refresh interval, on an idle machine; generous for a loaded one.
    assert _wait_until(refreshed_pages_found, 30)
    stats = client.get("/api/stats").json()
    assert stats["documents_indexed"] == 65
    checked = linkvault(data, "check")
    assert checked.returncode == 0, checked.stderr


@pytest.mark.timeout(300)
def test_two_archives_at_once_fetch_each_link_once(local_site: LocalSite, tmp_path: Path) -> None:
    site = Pages(local_site, latency=0.05)
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(site.urls(range(30))) + "\n")
    data = tmp_path / "data"

    first, second = _start(data, "archive", str(listing)), _start(data, "archive", str(listing))
    results = [proc.communicate(timeout=240) for proc in (first, second)]
    assert first.returncode == second.returncode == 0, results
    errs = [err for _out, err in results]
    waited = [err for err in errs if "waiting for it to finish" in err]
    assert len(waited) == 1, errs
    assert "linkvault archive" in waited[0] and "0 to fetch" in waited[0]
    assert all("is locked" not in err and "Traceback" not in err for err in errs), errs
    assert set(site.hits.values()) == {1} and len(site.hits) == 30
    assert linkvault(data, "check").returncode == 0


@pytest.mark.timeout(300)
def test_no_wait_says_who_is_writing(local_site: LocalSite, tmp_path: Path) -> None:
    site = Pages(local_site, latency=1.0)  # slow enough to outlast the commands below
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(site.urls(range(60))) + "\n")
    data = tmp_path / "data"
    running = _start(data, "archive", str(listing), LINKVAULT_CONCURRENCY="1")
    try:
        assert _wait_until((data / "linkvault.lock.json").exists, 60)
        for command in (["archive", str(listing)], ["refresh"], ["reindex"], ["check", "--repair"]):
            refused = linkvault(data, *command, "--no-wait")
            assert refused.returncode == 3, (command, refused.stderr)
            assert f"`linkvault archive` (process {running.pid}" in refused.stderr
            assert "try again when it has finished" in refused.stderr
        # Reading does not wait: search and status answer.
        assert linkvault(data, "status").returncode == 0
        assert linkvault(data, "search", "page").returncode == 0
        assert running.poll() is None  # it was running all along
    finally:
        os.killpg(running.pid, signal.SIGKILL)
        running.communicate()
    site.latency = 0.0
    finished = linkvault(data, "archive", str(listing), "--no-wait")
    assert finished.returncode == 0, finished.stderr
