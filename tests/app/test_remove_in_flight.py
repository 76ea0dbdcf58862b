"""A link removed while a run is fetching it stays removed: a real `linkvault refresh`, and a
real `linkvault worker` holding its lease, wait on a page a slow local server holds while
the link is deleted through the API; when the page comes, the run ends normally and the link
is in neither the database, nor search, nor lists, nor stats. On SQLite with Whoosh, and on
PostgreSQL with its full-text search."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.main import create_app
from tests.app._archive import TOKEN, make_settings
from tests.app.test_cli_archive import _env
from tests.support import pages
from tests.support.site import Exchange, LocalSite

AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Backend:
    data: Path
    database_url: str | None

    def env(self, **extra: str) -> dict[str, str]:
        env = _env(self.data) | extra
        if self.database_url is not None:
            env |= {
                "LINKVAULT_DATABASE_URL": self.database_url,
                "LINKVAULT_SEARCH_BACKEND": "postgres",
            }
        return env

    def run(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "app", *args],
            env=self.env(**extra),
            capture_output=True,
            text=True,
            timeout=180,
        )

    def start(self, *args: str, **extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "app", *args],
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def client(self, **settings: object) -> TestClient:
        values: dict[str, object] = {"api_token": TOKEN}
        if self.database_url is not None:
            values |= {"database_url": self.database_url, "search_backend": "postgres"}
        return TestClient(create_app(make_settings(self.data, **(values | settings))))

    def count(self, sql: str) -> int:
        url = self.database_url or f"sqlite:///{self.data / 'linkvault.db'}"
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    return Backend(tmp_path / "data", url)


class HeldPage:
    """A page held back until released: the run fetching it waits meanwhile."""

    def __init__(self, title: str, words: str) -> None:
        self.body = pages.article(title, pages.filler(words)).encode()
        self.holding = False
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, ex: Exchange) -> None:
        if self.holding:
            self.arrived.set()
            self.release.wait(60)
        ex.respond(200, self.body)


@pytest.fixture
def site(local_site: LocalSite) -> Iterator[tuple[LocalSite, HeldPage]]:
    held = HeldPage("Held", "wombatquill pages held back")
    local_site.route("/held", handler=held)
    local_site.route("/other", pages.article("Other", pages.filler("numbat other")).encode())
    yield local_site, held
    held.release.set()


def _listing(site: LocalSite, tmp_path: Path) -> Path:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{site.url('/held')}\n{site.url('/other')}\n", encoding="utf-8")
    return listing


def _assert_gone_everywhere(backend: Backend, link_id: int, others: int) -> None:
    assert backend.count(f"SELECT count(*) FROM links WHERE id = {link_id}") == 0
    for table in ("snapshots", "checks"):
        assert backend.count(f"SELECT count(*) FROM {table} WHERE link_id = {link_id}") == 0
    found = json.loads(backend.run("search", "wombatquill", "--json").stdout)
    assert found["total"] == 0
    assert json.loads(backend.run("search", "numbat", "--json").stdout)["total"] == others
    with backend.client() as client:
        assert client.get(f"/api/links/{link_id}").status_code == 404
        listed = client.get("/api/links").json()
        assert link_id not in [item["id"] for item in listed["items"]]
        assert listed["total"] == others
        stats = client.get("/api/stats").json()
        assert stats["links"] == others and stats["documents_indexed"] == others
        assert client.get("/api/search", params={"q": "wombatquill"}).json()["total"] == 0
    check = backend.run("check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_refresh_fetching_a_removed_link_does_not_bring_it_back(
    backend: Backend, site: tuple[LocalSite, HeldPage], tmp_path: Path
) -> None:
    local_site, held = site
    archived = backend.run("archive", str(_listing(local_site, tmp_path)))
    assert archived.returncode == 0, archived.stderr
    held.holding = True
    refresh = backend.start("refresh", "--all")
    try:
        assert held.arrived.wait(60), "the refresh never asked for the page"
        with backend.client() as client:
            link_id = client.get("/api/links").json()["items"][0]["id"]
            assert client.delete(f"/api/links/{link_id}", headers=AUTH).status_code == 204
            assert client.get(f"/api/links/{link_id}").status_code == 404
        held.release.set()
        _, stderr = refresh.communicate(timeout=120)
    finally:
        if refresh.poll() is None:
            refresh.kill()
    assert refresh.returncode == 0, stderr
    assert "removed" in stderr and "Traceback" not in stderr
    _assert_gone_everywhere(backend, link_id, others=1)


def test_a_worker_holding_the_lease_of_a_removed_link_does_not_bring_it_back(
    backend: Backend, site: tuple[LocalSite, HeldPage], tmp_path: Path
) -> None:
    local_site, held = site
    held.holding = True
    queue = {"LINKVAULT_WORK_QUEUE": "true"}
    queued = backend.run("archive", str(_listing(local_site, tmp_path)), **queue)
    assert queued.returncode == 0 and "Queued 2 links" in queued.stderr, queued.stderr
    worker = backend.start("worker", "--exit-when-idle", "--poll", "0.2", **queue)
    try:
        assert held.arrived.wait(60), "the worker never asked for the page"
        leased = "SELECT count(*) FROM links WHERE lease_owner IS NOT NULL AND url LIKE '%/held'"
        assert backend.count(leased) == 1
        with backend.client(work_queue=True) as client:
            link_id = next(
                item["id"]
                for item in client.get("/api/links").json()["items"]
                if item["url"].endswith("/held")
            )
            assert client.delete(f"/api/links/{link_id}", headers=AUTH).status_code == 204
        held.release.set()
        _, stderr = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert backend.count("SELECT count(*) FROM links WHERE queued IS NOT NULL") == 0
    _assert_gone_everywhere(backend, link_id, others=1)
