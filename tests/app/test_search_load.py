"""Many searches at once: a bounded number run, the rest wait their turn, and an overload is
answered 503 with Retry-After, never 500 and never a hang. No timings are asserted."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from app.http.server import WORKER_SETTINGS_ENV, worker_app
from app.main import create_app
from index import SearchIndex
from tests.app._archive import Archive, LiveServer, make_settings
from tests.support.searchers import SearcherCount

ROOT = Path(__file__).resolve().parents[2]


def in_threads(count: int, target: Callable[[], Any]) -> list[Any]:
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = target()
        except BaseException as exc:  # noqa: BLE001
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def client(server: LiveServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30.0, trust_env=False)


def test_sixteen_clients_share_a_few_pooled_searchers(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = SearcherCount(monkeypatch)
    app = create_app(make_settings(archive.data_dir, search_concurrency=2))

    def searches() -> list[int]:
        with client(server) as http:
            return [
                http.get("/api/search", params={"q": "interpreter"}).status_code for _ in range(6)
            ]

    with LiveServer(app) as server:
        results = in_threads(16, searches)
        assert results == [[200] * 6] * 16
        # 96 searches from 16 clients at once, two admitted at a time: two searchers did all
        # of it, none opened for one request and thrown away.
        assert count.most_alive <= 2
        assert count.opened <= 2
        assert app.state.vault.index.max_searchers >= 2


def test_an_overloaded_server_answers_503_with_retry_after(
    archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    search = SearchIndex.search

    def slow_search(self: SearchIndex, query: Any) -> Any:
        if query.text == "slowword":
            entered.set()
            release.wait(30)
        return search(self, query)

    monkeypatch.setattr(SearchIndex, "search", slow_search)
    app = create_app(
        make_settings(archive.data_dir, search_concurrency=1, search_queue_timeout=0.2)
    )
    with LiveServer(app) as server, client(server) as http:
        holder = threading.Thread(target=lambda: http.get("/api/search", params={"q": "slowword"}))
        try:
            holder.start()
            assert entered.wait(30)
            response = http.get("/api/search", params={"q": "interpreter"})
            assert response.status_code == 503
            assert int(response.headers["retry-after"]) >= 1
            assert response.headers["content-type"].startswith("application/json")
            assert "too many searches" in response.json()["detail"]
            assert response.headers["x-content-type-options"] == "nosniff"
        finally:
            release.set()
            holder.join(timeout=30)
        # Once the slot is free again, searches are answered as before.
        assert http.get("/api/search", params={"q": "interpreter"}).status_code == 200


def test_the_search_page_is_busy_too_when_every_searcher_is_lent(archive: Archive) -> None:
    app = create_app(make_settings(archive.data_dir))
    with LiveServer(app) as server, client(server) as http:
        index = app.state.vault.index
        index.limit_searches(1, wait=0.1)
        with index._pool.searcher():  # the only searcher, in use elsewhere
            page = http.get("/", params={"q": "interpreter"})
        assert page.status_code == 503
        assert int(page.headers["retry-after"]) >= 1
        assert "text/html" in page.headers["content-type"]
        assert http.get("/", params={"q": "interpreter"}).status_code == 200


def test_worker_processes_get_the_settings_serve_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = make_settings(tmp_path / "given", api_token="t0ken", search_concurrency=3)
    monkeypatch.setenv(WORKER_SETTINGS_ENV, given.model_dump_json())
    monkeypatch.setenv("LINKVAULT_DATA_DIR", str(tmp_path / "elsewhere"))  # not read
    app = worker_app()
    assert app.state.settings.model_dump() == given.model_dump()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_worker_processes(archive: Archive, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKVAULT_")}
    env |= {"LINKVAULT_WEB_WORKERS": "2", "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "app", "serve", "--port", str(port)]
    argv += ["--data-dir", str(archive.data_dir)]
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            body = http.get("/api/search", params={"q": "interpreter"}).json()
            assert body["total"] == archive.interpreter_docs
        children = psutil.Process(process.pid).children(recursive=True)
        workers = [p for p in children if "spawn_main" in " ".join(p.cmdline())]
        assert len(workers) == 2
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
