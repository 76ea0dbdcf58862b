"""The `postgres` profile of docker-compose.yml, run as plain processes on this machine: the
same commands and environment as its services (no Docker engine is needed), over a test
PostgreSQL. Web replicas and workers share nothing but the database: a link added through
one replica is archived by the workers and found through the other."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.app._archive import TOKEN
from tests.app.test_worker import CountingSite

ROOT = Path(__file__).resolve().parents[2]
PAGES = 24


def _compose() -> dict[str, Any]:
    """docker-compose.yml with its ${VAR:-default} filled in as `docker compose` fills them
    (from an empty environment: the defaults)."""
    text = (ROOT / "docker-compose.yml").read_text()
    text = re.sub(r"\$\{\w+:-([^}]*)\}", lambda m: m[1], text)
    assert "${" not in text, "a variable without a default in docker-compose.yml"
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _image_command() -> list[str]:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("CMD "):
            command: list[str] = yaml.safe_load(line.removeprefix("CMD "))
            return command
    raise AssertionError("the Dockerfile has no CMD")


def _local(command: list[str]) -> list[str]:
    assert command[0] == "linkvault"
    return [sys.executable, "-m", "app", *command[1:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Services:
    """Processes started like the profile's containers, each with a data folder of its own
    (a container's /data), stopped as `docker compose down` stops them (SIGTERM)."""

    def __init__(self, tmp_path: Path, environment: dict[str, str]) -> None:
        self.tmp_path = tmp_path
        self.environment = environment
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def env(self, name: str) -> dict[str, str]:
        data = self.tmp_path / name
        return dict(os.environ) | self.environment | {"LINKVAULT_DATA_DIR": str(data)}

    def run(self, name: str, command: list[str]) -> subprocess.CompletedProcess[str]:
        env = self.env(name)
        return subprocess.run(_local(command), env=env, capture_output=True, text=True, timeout=60)

    def start(self, name: str, command: list[str]) -> None:
        log = (self.tmp_path / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            _local(command), env=self.env(name), stdout=log, stderr=log, start_new_session=True
        )
        self.procs.append((name, proc))

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")

    def stop(self) -> dict[str, int | None]:
        for _, proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, proc in self.procs:
            try:
                codes[name] = proc.wait(timeout=45)  # the workers' stop_grace_period
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                codes[name] = None
        return codes


@pytest.fixture
def services(tmp_path: Path, postgres_url: str) -> Iterator[Services]:
    compose = _compose()
    environment = dict(compose["services"]["migrate"]["environment"])
    # The database service of the profile is the test PostgreSQL; the rest is as written.
    assert environment["LINKVAULT_DATABASE_URL"].startswith("postgresql+psycopg://")
    environment |= {
        "LINKVAULT_DATABASE_URL": postgres_url,
        "LINKVAULT_API_TOKEN": TOKEN,
        "LINKVAULT_ALLOW_PRIVATE": "true",  # the pages are served on 127.0.0.1
        "LINKVAULT_REFRESH_INTERVAL": "2s",
    }
    running = Services(tmp_path, {k: str(v) for k, v in environment.items()})
    try:
        yield running
    finally:
        running.stop()


def _wait_for(check: Any, seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_postgres_profile_as_processes(services: Services) -> None:
    profile = {
        name: service
        for name, service in _compose()["services"].items()
        if "postgres" in service.get("profiles", [])
    }
    assert {"db", "migrate", "worker", "scheduler", "web-replica", "proxy"} <= set(profile)

    migrated = services.run("migrate", profile["migrate"]["command"])
    assert migrated.returncode == 0, migrated.stderr
    assert "Migrated the database schema" in migrated.stderr

    ports = []
    for n in range(2):  # web-replica, its CMD from the image, on ports of this machine
        port = _free_port()
        command = [*_image_command()[:-4], "--host", "127.0.0.1", "--port", str(port)]
        services.start(f"web{n}", command)
        ports.append(port)
    for n in range(2):
        services.start(f"worker{n}", profile["worker"]["command"])
    services.start("scheduler", profile["scheduler"]["command"])
    web = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) for port in ports]
    for client in web:
        _wait_for(lambda c=client: c.get("/healthz").status_code == 200, 60, "a web replica")

    with CountingSite("127.0.0.1") as site:
        urls = site.urls(PAGES)
        added = web[0].post(
            "/api/links",
            json={"urls": urls},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert added.status_code == 202, added.text

        def all_archived() -> bool:
            stats = web[1].get("/api/stats").json()
            # Indexed too: a worker commits its index batch every few seconds.
            done = stats["counts"].get("ok") == PAGES and stats["queue"]["queued"] == 0
            return bool(done and stats["documents_indexed"] == PAGES)

        _wait_for(all_archived, 90, "the workers to archive the links added through web0")
        assert set(site.hits().values()) == {1} and len(site.hits()) == PAGES, site.hits()

    found = web[1].get("/api/search", params={"q": "number7"}).json()
    assert [hit["url"] for hit in found["results"]] == [urls[7]]
    assert "Next refresh in 2s" in services.log("scheduler")  # it ran a round and waits

    codes = services.stop()
    assert codes["worker0"] == 0 and codes["worker1"] == 0, services.log("worker0")
    assert all(code is not None for code in codes.values()), codes
    logs = services.log("worker0") + services.log("worker1")
    assert "Traceback" not in logs
