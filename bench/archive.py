"""Archiving throughput: links/s against the extraction-bound limit, and peak memory.

Serves N generated article pages on 127.0.0.1 with a configurable latency, runs the real
`linkvault archive` command on them in a fresh data directory, and prints links/s, the peak
resident memory of every linkvault process, and the extraction-bound limit: the
single-core extraction rate measured in this process times the cores available.

    python bench/archive.py --pages 2000 --latency 0.05
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pages import article_html  # noqa: E402

from archiver.extract import extract  # noqa: E402


class PageServer:
    """A small asyncio HTTP/1.1 server in a thread: cheap enough to leave the cores to the
    archiver, with a sleep before each response to stand in for network latency."""

    def __init__(self, pages: int, latency: float, heavy: bool = True) -> None:
        self.bodies = [article_html(i, heavy=heavy) for i in range(pages)]
        self.latency = latency
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(self.latency)
                number = int(path.rsplit("/", 1)[-1]) if path.startswith("/post/") else -1
                if 0 <= number < len(self.bodies):
                    body, status = self.bodies[number], b"200 OK"
                else:
                    body, status = b"not found", b"404 Not Found"
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
                    b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def start(self) -> PageServer:
        self._thread.start()
        self._ready.wait()
        return self


def single_core_rate(bodies: list[bytes], seconds: float = 5.0) -> float:
    """Pages per second that extract() manages on one core."""
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        extract(bodies[count % len(bodies)], "text/html", f"http://bench/{count}", "utf-8")
        count += 1
    return count / (time.perf_counter() - started)


def watch(pid: int, peaks: dict[int, int], cpu: dict[int, float], stop: threading.Event) -> None:
    """Samples resident memory and CPU seconds of the command and all its children."""
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            for proc in [root, *root.children(recursive=True)]:
                try:
                    with proc.oneshot():
                        rss = proc.memory_info().rss
                        times = proc.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                peaks[proc.pid] = max(peaks.get(proc.pid, 0), rss)
                cpu[proc.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            return
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--light", action="store_true", help="8 KB pages without the markup real pages carry"
    )
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0))
    server = PageServer(args.pages, args.latency, heavy=not args.light).start()
    size = sum(map(len, server.bodies)) / len(server.bodies) / 1024
    print(
        f"pages: {args.pages} of {size:.0f} KB, latency: {args.latency * 1000:.0f} ms, "
        f"cores: {cores}"
    )
    rate = single_core_rate(server.bodies[:200])
    limit = rate * cores
    print(f"single-core extraction: {rate:.1f} pages/s -> extraction-bound limit {limit:.1f}/s")

    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "list.txt"
        urls = (f"http://127.0.0.1:{server.port}/post/{i}" for i in range(args.pages))
        listing.write_text("\n".join(urls) + "\n")
        env = dict(os.environ)
        env.update(
            LINKVAULT_DATA_DIR=str(Path(tmp) / "data"),
            LINKVAULT_ALLOW_PRIVATE="true",
            LINKVAULT_CONCURRENCY=str(args.concurrency),
            # Every page sits on one host here; real lists spread over many.
            LINKVAULT_PER_HOST_CONCURRENCY=str(args.concurrency),
        )
        command = [sys.executable, "-m", "app", "archive", str(listing)]
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
            raise SystemExit(f"archive exited {proc.returncode}")

    throughput = args.pages / elapsed
    peak = max(peaks.values(), default=0) / 2**20
    print(f"archived: {args.pages} links in {elapsed:.1f} s = {throughput:.1f} links/s")
    print(f"share of the extraction-bound limit: {throughput / limit * 100:.0f}% (target >= 80%)")
    main_cpu = cpu.get(proc.pid, 0.0)
    others = sum(cpu.values()) - main_cpu
    print(
        f"CPU ms per page: main process {main_cpu / args.pages * 1000:.1f}, "
        f"other processes {others / args.pages * 1000:.1f}, "
        f"extraction alone {1000 / rate:.1f}"
    )
    print(
        f"peak RSS of any linkvault process: {peak:.0f} MB over {len(peaks)} processes "
        "(target <= 300 MB)"
    )


if __name__ == "__main__":
    main()
