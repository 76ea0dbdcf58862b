"""`linkvault worker`, run as a user runs it: several real worker processes on one database
share the queued links, per-host politeness holds across them, and a worker killed halfway
loses nothing; `archive`, `refresh` and the write API only queue with the queue on."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from app.main import create_app
from app.settings import Settings
from tests.app._archive import TOKEN, make_settings
from tests.app.test_cli_archive import _env
from tests.support import pages
from tests.support.site import Exchange, LocalSite


class CountingSite:
    """Generated article pages on one address, counting requests in flight at once."""

    def __init__(self, host: str, latency: float = 0.005) -> None:
        self.site = LocalSite(host)
        self.latency = latency
        self.current = self.peak = 0
        self._lock = threading.Lock()
        self.site.fallback(self._page)

    def _page(self, ex: Exchange) -> None:
        with self._lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
        try:
            ex.sleep(self.latency)
            number = ex.request.path.rsplit("-", 1)[-1]
            words = f"Page number{number} of {self.site.host} about topic{hash(number) % 7}. "
            ex.respond(200, pages.article(f"Page {number}", words * 8).encode())
        finally:
            with self._lock:
                self.current -= 1

    def urls(self, count: int) -> list[str]:
        return [self.site.url(f"/page-{n}") for n in range(count)]

    def hits(self) -> Counter[str]:
        return Counter(self.site.url(r.path) for r in self.site.requests())

    def __enter__(self) -> CountingSite:
        self.site.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.site.stop()


def env_for(data: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = _env(data) | {"LINKVAULT_WORK_QUEUE": "true", **extra}
    if database_url is not None:
        env["LINKVAULT_DATABASE_URL"] = database_url
        if "search_backend" in Settings.model_fields:  # one index for every machine
            env["LINKVAULT_SEARCH_BACKEND"] = "postgres"
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=180
    )


def machine(env: dict[str, str], tmp_path: Path, n: int) -> dict[str, str]:
    """With the search index in PostgreSQL, each worker has a data directory of its own, as
    on machines of its own; the Whoosh index is a folder, shared by one machine's workers
    (it takes one writer at a time)."""
    if env.get("LINKVAULT_SEARCH_BACKEND") != "postgres":
        return env
    return env | {"LINKVAULT_DATA_DIR": str(tmp_path / f"machine{n}")}


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "worker", "--exit-when-idle", "--poll", "0.2", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
            start_new_session=True,  # its extraction workers go with it when it is killed
        )


def scalar(engine: Engine, sql: str, **params: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def per_link(engine: Engine, table: str) -> Counter[int]:
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT link_id, count(*) FROM {table} GROUP BY link_id"))
        return Counter({link_id: count for link_id, count in rows})


def leases_of(engine: Engine, pid: int) -> dict[int, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, url, lease_owner FROM links WHERE queued IS NOT NULL"))
        return {
            row.id: row.url for row in rows if (row.lease_owner or "").split(":")[1:2] == [str(pid)]
        }


def wait_until(condition: Callable[[], bool], limit: float, procs: list[subprocess.Popen[bytes]]):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        if all(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    raise AssertionError("timed out waiting for the workers")


@pytest.fixture
def sampler() -> Iterator[Callable[[Engine], Counter[str]]]:
    """Samples live leases per host in the background; yields a function that starts it and
    returns the highest counts seen (filled in as it runs)."""
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start(engine: Engine) -> Counter[str]:
        peak: Counter[str] = Counter()
        now = "now()" if engine.dialect.name == "postgresql" else "CURRENT_TIMESTAMP"

        def sample() -> None:
            query = text(
                "SELECT host, count(*) FROM links WHERE lease_owner IS NOT NULL "
                f"AND lease_until > {now} GROUP BY host"
            )
            while not stop.wait(0.02):
                with engine.connect() as conn:
                    for host, count in conn.execute(query):
                        peak[host] = max(peak[host], count)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        threads.append(thread)
        return peak

    yield start
    stop.set()
    for thread in threads:
        thread.join(timeout=5)


PAGES_PER_HOST = 1000
WORKERS = 4
PER_HOST = 5


@pytest.mark.timeout(300)
def test_four_workers_archive_2000_pages_once_while_one_is_killed(
    postgres_url: str, tmp_path: Path, sampler: Callable[[Engine], Counter[str]]
) -> None:
    engine = create_engine(postgres_url)
    with CountingSite("127.0.0.1") as one, CountingSite("127.0.0.2") as two:
        sites = (one, two)
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(one.urls(PAGES_PER_HOST) + two.urls(PAGES_PER_HOST)) + "\n")
        env = env_for(
            tmp_path / "data",
            postgres_url,
            LINKVAULT_CONCURRENCY="8",  # 4 workers x 8 > 5 per host: the shared limit binds
            LINKVAULT_PER_HOST_CONCURRENCY=str(PER_HOST),
            LINKVAULT_WORK_LEASE="3s",
        )
        queued = run(env, "archive", str(listing))
        assert queued.returncode == 0, queued.stderr
        assert "Queued 2000 links" in queued.stderr
        assert one.site.hits() == two.site.hits() == 0  # queued, not fetched

        total = 2 * PAGES_PER_HOST
        peak_leases = sampler(engine)
        workers = [
            start_worker(machine(env, tmp_path, n), tmp_path / f"worker{n}.log")
            for n in range(WORKERS)
        ]
        done = lambda: total - scalar(engine, "SELECT count(*) FROM links WHERE queued IS NOT NULL")  # noqa: E731

        # Halfway, freeze one worker, note what it holds, and kill it: no goodbye.
        victim = workers[0]
        wait_until(lambda: done() >= total // 2, 150, workers)
        held: dict[int, str] = {}
        while not held:
            os.killpg(victim.pid, signal.SIGSTOP)
            held = leases_of(engine, victim.pid)
            if not held:
                os.killpg(victim.pid, signal.SIGCONT)
                time.sleep(0.01)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)

        for n, proc in enumerate(workers[1:], start=1):
            assert proc.wait(timeout=150) == 0, (tmp_path / f"worker{n}.log").read_text()
        hits = one.hits() + two.hits()
        listed = {url for site in sites for url in site.urls(PAGES_PER_HOST)}

    # Every link archived exactly once: one snapshot, one check, nothing left queued.
    assert scalar(engine, "SELECT count(*) FROM links WHERE status = 'ok'") == total
    snapshots, checks = per_link(engine, "snapshots"), per_link(engine, "checks")
    assert len(snapshots) == total and set(snapshots.values()) == {1}
    assert len(checks) == total and set(checks.values()) == {1}
    assert scalar(engine, "SELECT count(*) FROM links WHERE queued IS NOT NULL") == 0
    assert scalar(engine, "SELECT count(*) FROM links WHERE lease_owner IS NOT NULL") == 0

    # No page fetched twice, but those the killed worker held: at most once more each.
    assert set(hits) == listed
    twice = {url for url, count in hits.items() if count > 1}
    assert twice <= set(held.values()), "a link no dead worker held was fetched twice"
    assert max(hits.values()) <= 2
    assert sum(hits.values()) <= total + len(held)

    # The per-host limit held across the workers, seen by the sites and in the database.
    assert max(site.peak for site in sites) <= PER_HOST
    assert peak_leases and max(peak_leases.values()) <= PER_HOST

    # The survivors did the work, and indexed it.
    logs = "".join((tmp_path / f"worker{n}.log").read_text() for n in range(1, WORKERS))
    assert len(re.findall(r"done: \d+ links", logs)) == WORKERS - 1
    status = run(env, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert '"documents_indexed": 2000' in status.stdout


def test_workers_share_one_sqlite_data_directory(tmp_path: Path) -> None:
    with CountingSite("127.0.0.1") as site:
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(site.urls(60)) + "\n")
        env = env_for(tmp_path / "data", LINKVAULT_CONCURRENCY="4")
        assert run(env, "archive", str(listing)).returncode == 0
        workers = [start_worker(env, tmp_path / f"w{n}.log") for n in range(2)]
        for n, proc in enumerate(workers):
            assert proc.wait(timeout=150) == 0, (tmp_path / f"w{n}.log").read_text()
        assert set(site.hits().values()) == {1} and len(site.hits()) == 60
        assert site.peak <= 2  # the default per-host limit, across both
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'linkvault.db'}")
    assert set(per_link(engine, "snapshots").values()) == {1}
    assert scalar(engine, "SELECT count(*) FROM links WHERE status = 'ok'") == 60
    found = run(env, "search", "number7", "--json")
    assert '"total": 1' in found.stdout, found.stderr


def test_sigterm_finishes_the_links_in_flight_and_hands_back_the_rest(tmp_path: Path) -> None:
    with CountingSite("127.0.0.1", latency=1.0) as site:
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(site.urls(10)) + "\n")
        env = env_for(tmp_path / "data", LINKVAULT_CONCURRENCY="2")
        assert run(env, "archive", str(listing)).returncode == 0
        log = tmp_path / "worker.log"
        proc = start_worker(env, log)
        wait_until(lambda: site.current == 2, 60, [proc])
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()
        assert site.site.hits() == 2
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'linkvault.db'}")
    assert scalar(engine, "SELECT count(*) FROM links WHERE status = 'ok'") == 2
    assert scalar(engine, "SELECT count(*) FROM links WHERE queued IS NOT NULL") == 8
    assert scalar(engine, "SELECT count(*) FROM links WHERE lease_owner IS NOT NULL") == 0
    assert "done: 2 links (2 ok)" in log.read_text()
    status = run(env, "status", "--json")
    assert json.loads(status.stdout)["queue"] == {"queued": 8, "leased": 0, "expired": 0}
    assert "Work queue: 8 links, 0 being worked on" in run(env, "status").stdout


def test_refresh_and_the_write_api_only_queue_when_the_queue_is_on(tmp_path: Path) -> None:
    with CountingSite("127.0.0.1") as site:
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(site.urls(5)) + "\n")
        data = tmp_path / "data"
        env = env_for(data)
        assert run(env, "archive", str(listing)).returncode == 0
        assert start_worker(env, tmp_path / "w1.log").wait(timeout=120) == 0
        assert site.site.hits() == 5

        queued = run(env, "refresh", "--all")
        assert queued.returncode == 0, queued.stderr
        assert "Queued 5 links to refresh" in queued.stderr
        settings = make_settings(data, api_token=TOKEN, work_queue=True)
        with TestClient(create_app(settings)) as client:
            added = client.post(
                "/api/links",
                json={"urls": [site.site.url("/page-new")]},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert added.status_code == 202
            queue = client.get("/api/stats").json()["queue"]
            assert queue == {"queued": 6, "leased": 0, "expired": 0}  # 5 refreshes, 1 new
        assert site.site.hits() == 5  # nothing fetched but by a worker

        assert start_worker(env, tmp_path / "w2.log").wait(timeout=120) == 0
        assert site.site.hits() == 11
    engine = create_engine(f"sqlite:///{data / 'linkvault.db'}")
    assert scalar(engine, "SELECT count(*) FROM links WHERE status = 'ok'") == 6
    assert set(per_link(engine, "snapshots").values()) == {1}  # same pages: no new snapshot
    assert sorted(per_link(engine, "checks").values()) == [1, 2, 2, 2, 2, 2]
