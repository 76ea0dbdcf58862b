"""PostgreSQL going away under a running deployment (a restart, a failover): the worker waits
it out instead of exiting, the web service answers 503 with Retry-After instead of 500, and
once the database is back every link is archived and indexed, nothing lost."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from app.main import create_app
from bench.postgres import PostgresServer, throwaway_postgres
from tests.app._archive import make_settings
from tests.app.test_worker import CountingSite, env_for, run, scalar, start_worker

PAGES = 40


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A server of this test's own: it is stopped and started again mid-test."""
    with throwaway_postgres() as server:
        yield server


@pytest.mark.timeout(240)
def test_a_postgresql_restart_loses_nothing(own_postgres: PostgresServer, tmp_path: Path) -> None:
    database_url = own_postgres.database()
    with CountingSite("127.0.0.1", latency=0.3) as site:
        listing = tmp_path / "list.txt"
        listing.write_text("\n".join(site.urls(PAGES)) + "\n")
        env = env_for(tmp_path / "data", database_url, LINKVAULT_CONCURRENCY="4")
        queued = run(env, "archive", str(listing))
        assert queued.returncode == 0, queued.stderr
        log = tmp_path / "worker.log"
        # A short lease: links whose results could not be stored come back soon.
        worker = start_worker(env, log, "--lease", "3s")
        engine = create_engine(database_url)
        settings = make_settings(
            tmp_path / "web", database_url=database_url, search_backend="postgres"
        )
        try:
            deadline = time.monotonic() + 60
            while scalar(engine, "SELECT count(*) FROM links WHERE status = 'ok'") < 5:
                assert time.monotonic() < deadline and worker.poll() is None, log.read_text()
                time.sleep(0.1)
            engine.dispose()

            with TestClient(create_app(settings)) as client:
                own_postgres.stop()
                time.sleep(3)  # the worker meets the outage: claims, stores, renewals fail
                assert worker.poll() is None, "the worker exited:\n" + log.read_text()
                for path in ("/api/stats", "/api/search?q=number7", "/api/links"):
                    response = client.get(path)
                    assert response.status_code == 503, (path, response.text)
                    assert response.headers.get("retry-after"), path
                assert client.get("/healthz").status_code == 503
                own_postgres.start()
                assert worker.wait(timeout=120) == 0, log.read_text()
                assert client.get("/healthz").status_code == 200
                stats = client.get("/api/stats").json()
        finally:
            if worker.poll() is None:
                worker.kill()
    assert stats["links"] == stats["counts"]["ok"] == PAGES, stats
    assert stats["queue"]["queued"] == 0
    assert stats["documents_indexed"] == PAGES
    assert "the database does not answer" in log.read_text()
    assert "the database answers again" in log.read_text()
