"""Big inputs, with memory measured rather than hoped for: an export of 100,000 entries
through `linkvault archive` in a child process (the links queued, not fetched), and a 200 MB
upload to a real server process, refused with 413 while it streams. Both bodies are
generated as they are written: the test holds neither in memory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.app._archive import TOKEN

ENTRIES = 100_000
# Generous: the import measured about 230 MB at 100,000 entries (705 MB before add_links
# inserted plain rows in batches).
CLI_PEAK_BYTES = 600 * 2**20
UPLOAD_BYTES = 200 * 2**20
SERVER_PEAK_BYTES = 400 * 2**20

# Runs the command as a child and prints the child's peak resident set: this process has
# no other children, so RUSAGE_CHILDREN is that command's alone.
_MEASURE = """
import json, resource, subprocess, sys
run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kB on Linux
print(json.dumps({"rc": run.returncode, "stderr": run.stderr, "peak": peak_kb * 1024}))
"""


def _env(data: Path, **more: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(LINKVAULT_DATA_DIR=str(data), COLUMNS="200", **more)
    return env


def _write_pocket(path: Path, entries: int) -> None:
    with path.open("w", encoding="utf-8") as file:
        file.write("title,url,time_added,tags,status\n")
        for n in range(entries):
            file.write(
                f'"Article {n}, on things",https://site{n % 500}.example/a/{n}?utm_source=x,'
                f"{1600000000 + n},tag{n % 50}|reading,unread\n"
            )


def test_an_export_of_100k_entries_imports_in_bounded_memory(tmp_path: Path) -> None:
    export = tmp_path / "part_000000.csv"
    _write_pocket(export, ENTRIES)
    data = tmp_path / "data"
    command = [sys.executable, "-m", "app", "archive", str(export)]
    measured = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        env=_env(data, LINKVAULT_WORK_QUEUE="true"),  # queued for workers: nothing fetched
        capture_output=True,
        text=True,
        timeout=900,
    )
    result = json.loads(measured.stdout)
    assert result["rc"] == 0, result["stderr"]
    assert (
        f"Imported {export} (Pocket CSV): 100,000 added, 0 already present, 0 skipped"
        in result["stderr"]
    )
    assert "Queued 100000 links to archive" in result["stderr"]
    peak = result["peak"]
    print(f"peak RSS of `linkvault archive` on {ENTRIES:,} entries: {peak / 2**20:.0f} MB")
    assert peak < CLI_PEAK_BYTES

    status = subprocess.run(
        [sys.executable, "-m", "app", "status", "--json"],
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert json.loads(status.stdout)["counts"]["pending"] == ENTRIES


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`linkvault serve` as its own process (its memory is its own), default limits."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)],
        env=_env(tmp_path / "data", LINKVAULT_API_TOKEN=TOKEN),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, "the server did not start"
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


BOUNDARY = "linkvault-big-upload"
ROW = b"Entry,https://big.example/page,1700000000,,unread\n"


def _multipart(total: int) -> Iterator[bytes]:
    yield (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="huge.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "title,url,time_added,tags,status\n"
    ).encode()
    chunk = ROW * (2**20 // len(ROW))  # one chunk of about 1 MB, sent again and again
    sent = 0
    while sent < total:
        yield chunk
        sent += len(chunk)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def test_a_200_mb_upload_is_413_and_the_server_stays_small(server: tuple[str, int]) -> None:
    url, pid = server
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }
    with httpx.Client(base_url=url, timeout=120) as client:
        # Streamed (chunked): counted as it arrives, refused past 100 MB.
        streamed = client.post("/api/import", content=_multipart(UPLOAD_BYTES), headers=headers)
        assert streamed.status_code == 413, streamed.text
        assert streamed.json() == {"detail": "The request body is larger than 104,857,600 bytes."}
        # Declared: refused before a byte of the body is read.
        declared = client.post(
            "/api/import",
            content=_multipart(UPLOAD_BYTES),
            headers={**headers, "Content-Length": str(UPLOAD_BYTES + 1000)},
        )
        assert declared.status_code == 413
        links = client.get("/api/links", headers=headers)
        assert links.json()["total"] == 0
    peak = _peak_rss(pid)
    print(f"peak RSS of the server after a 200 MB upload: {peak / 2**20:.0f} MB")
    assert peak < SERVER_PEAK_BYTES
