"""Refresh throughput: re-checking N unchanged pages that answer 304, against archiving them.

Serves N generated article pages on 127.0.0.1 with ETags and a configurable latency, runs the
real `linkvault archive` on them in a fresh data directory, then the real
`linkvault refresh --all`: every page is asked for with If-None-Match and answers 304, so
nothing is extracted and no snapshot is added. Prints both rates and the speed-up (target:
refreshing at least 5x faster than the first archiving).

    python bench/refresh.py --pages 2000 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive import PageServer, watch  # noqa: E402


class ConditionalPageServer(PageServer):
    """PageServer whose pages carry an ETag and answer a matching If-None-Match with 304,
    as most static sites and CMSs do."""

    def __init__(self, pages: int, latency: float, heavy: bool = True) -> None:
        super().__init__(pages, latency, heavy)
        self.etags = [
            b'"' + hashlib.sha1(body).hexdigest()[:20].encode() + b'"' for body in self.bodies
        ]
        self.full = 0
        self.not_modified = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(self.latency)
                number = int(path.rsplit("/", 1)[-1]) if path.startswith("/post/") else -1
                if not 0 <= number < len(self.bodies):
                    writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                elif _header(head, b"if-none-match") == self.etags[number]:
                    self.not_modified += 1
                    writer.write(
                        b"HTTP/1.1 304 Not Modified\r\nETag: " + self.etags[number] + b"\r\n\r\n"
                    )
                else:
                    self.full += 1
                    body = self.bodies[number]
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                        b"ETag: " + self.etags[number] + b"\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Runs a linkvault command; returns wall seconds and CPU seconds of all its processes."""
    peaks: dict[int, int] = {}
    cpu: dict[int, float] = {}
    stop = threading.Event()
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    watcher = threading.Thread(target=watch, args=(proc.pid, peaks, cpu, stop))
    watcher.start()
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - started
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        print(stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(command[3:5])} exited {proc.returncode}")
    return elapsed, sum(cpu.values())


def one_round(
    server: ConditionalPageServer,
    args: argparse.Namespace,
    tmp: Path,
    archives: list[tuple[float, float]],
    refreshes: list[tuple[float, float]],
) -> tuple[int, int]:
    """Archives every page into a fresh data directory, then refreshes them all."""
    listing = tmp / "list.txt"
    urls = (f"http://127.0.0.1:{server.port}/post/{i}" for i in range(args.pages))
    listing.write_text("\n".join(urls) + "\n")
    data = tmp / "data"
    env = dict(os.environ)
    env.update(
        LINKVAULT_DATA_DIR=str(data),
        LINKVAULT_ALLOW_PRIVATE="true",
        LINKVAULT_CONCURRENCY=str(args.concurrency),
        # Every page sits on one host here; real lists spread over many.
        LINKVAULT_PER_HOST_CONCURRENCY=str(args.concurrency),
    )
    linkvault = [sys.executable, "-m", "app"]
    full = server.full
    archives.append(timed([*linkvault, "archive", str(listing)], env))
    assert server.full - full == args.pages, "every page was fetched in full to archive it"
    refreshes.append(timed([*linkvault, "refresh", "--all"], env))
    assert server.full - full == args.pages, "the refresh fetched nothing in full"
    with sqlite3.connect(data / "linkvault.db") as db:
        snapshots = db.execute("select count(*) from snapshots").fetchone()[0]
        not_modified = db.execute(
            "select count(*) from checks where http_status = 304 and not changed"
        ).fetchone()[0]
    return snapshots, not_modified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure each N times (fresh data), keep the best"
    )
    args = parser.parse_args()

    server = ConditionalPageServer(args.pages, args.latency).start()
    size = sum(map(len, server.bodies)) / len(server.bodies) / 1024
    cores = len(os.sched_getaffinity(0))
    print(
        f"pages: {args.pages} of {size:.0f} KB, latency: {args.latency * 1000:.0f} ms, "
        f"concurrency: {args.concurrency}, cores: {cores}"
    )
    archives: list[tuple[float, float]] = []
    refreshes: list[tuple[float, float]] = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            snapshots, not_modified = one_round(server, args, Path(tmp), archives, refreshes)
    (archive_s, archive_cpu), (refresh_s, refresh_cpu) = min(archives), min(refreshes)

    archive_rate = args.pages / archive_s
    refresh_rate = args.pages / refresh_s
    print(
        f"archive (first time): {archive_s:.1f} s = {archive_rate:.1f} links/s, "
        f"CPU {archive_cpu / args.pages * 1000:.1f} ms per page"
    )
    print(
        f"refresh (all 304):    {refresh_s:.1f} s = {refresh_rate:.1f} links/s, "
        f"CPU {refresh_cpu / args.pages * 1000:.1f} ms per page"
    )
    print(
        f"304s in the last round: {not_modified} recorded; "
        f"snapshots: {snapshots} (one per page: nothing re-archived)"
    )
    ceiling = args.concurrency / args.latency
    print(f"latency-bound ceiling for refresh: {ceiling:.0f} links/s")
    print(
        f"speed-up: {refresh_rate / archive_rate:.1f}x (target >= 5x); "
        f"CPU per page: {archive_cpu / refresh_cpu:.1f}x less"
    )


if __name__ == "__main__":
    main()
