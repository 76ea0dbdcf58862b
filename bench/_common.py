"""What the bench scripts share: the run's setting (machine line, SIGTERM, work folder),
timing and percentiles, linkvault commands watched for memory and CPU, and servers under
HTTP load (started and stopped around a block, driven by wrk or, without it, httpx)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

import psutil

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

# -- the run --------------------------------------------------------------------------------


def machine() -> str:
    """The first line of a report: what the numbers were measured on."""
    return (
        f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, "
        f"python {sys.version.split()[0]}"
    )


def page_options(parser: argparse.ArgumentParser) -> None:
    """The options of the benches that archive generated pages from a local server."""
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument("--concurrency", type=int, default=16)


def exit_on_sigterm() -> None:
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


@contextlib.contextmanager
def work_folder(keep: Path | None, prefix: str) -> Iterator[Path]:
    """``keep`` (created, left in place), or a temporary folder removed afterwards."""
    work = keep or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def require_wrk(program: str) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(
            f"{program} needs the HTTP load generator wrk, which is not installed.\n"
            "On Debian/Ubuntu: apt-get update && apt-get install -y wrk"
        )


# -- timing -------------------------------------------------------------------------------


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {qs[49]:7.2f}  p95 {qs[94]:7.2f}  p99 {qs[98]:7.2f} ms"


def time_queries(fn: Callable[[str], object], queries: list[str]) -> list[float]:
    for q in queries[:5]:
        fn(q)  # warm caches, as a long-running service would be
    samples = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        samples.append((time.perf_counter() - t) * 1000)
    return samples


# -- linkvault commands -------------------------------------------------------------------


def linkvault_env(
    data: Path, concurrency: int, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``base`` (default: this process's environment) with a data directory of its own and
    archiving allowed from 127.0.0.1, where the bench serves its pages."""
    return dict(os.environ if base is None else base) | {
        "LINKVAULT_DATA_DIR": str(data),
        "LINKVAULT_ALLOW_PRIVATE": "true",
        "LINKVAULT_CONCURRENCY": str(concurrency),
        # Every page sits on one host here; real lists spread over many.
        "LINKVAULT_PER_HOST_CONCURRENCY": str(concurrency),
    }


def write_list(path: Path, urls: Iterable[str]) -> Path:
    """A link list for `linkvault archive`: one URL a line."""
    path.write_text("".join(url + "\n" for url in urls))
    return path


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


@dataclass
class Watched:
    """A finished command: wall seconds, its pid, and per process peak RSS and CPU seconds."""

    seconds: float
    pid: int
    peaks: dict[int, int]
    cpu: dict[int, float]


def run_watched(command: list[str], env: dict[str, str], name: str) -> Watched:
    """Runs a linkvault command while watch() samples it; exits with its stderr on failure."""
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
        raise SystemExit(f"{name} exited {proc.returncode}")
    return Watched(elapsed, proc.pid, peaks, cpu)


# -- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    search_path: str  # "/api/search?q=" or "/search?q="

    def path(self, query: str) -> str:
        return self.search_path + quote_plus(query)

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


def clean_env() -> dict[str, str]:
    # No LINKVAULT_* from the caller's shell: the archive is the only data the service sees.
    return {k: v for k, v in os.environ.items() if not k.startswith("LINKVAULT_")}


@contextlib.contextmanager
def started(
    name: str, argv: list[str], env: dict[str, str], port: int, search_path: str, logs: Path
) -> Iterator[Server]:
    log = logs / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    server = Server(name, port, process, log, search_path)
    try:
        wait_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(
                f"{server.name} exited ({server.process.returncode}):\n{server.log_tail()}"
            )
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"{server.name} not healthy after {timeout:.0f} s:\n{server.log_tail()}")


# -- load -----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    server: str
    words: int
    requests: int  # completed in the run
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    cpu: float  # the server process's CPU use during the run, in cores
    load: float  # the machine's 1-minute load average after the run
    one_client_p50: float = 0.0  # the same queries in turn, one at a time


def _server_cpu(server: Server) -> float:
    """CPU seconds of the server and its worker processes (LINKVAULT_WEB_WORKERS > 1)."""
    process = psutil.Process(server.process.pid)
    total = 0.0
    for proc in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += sum(proc.cpu_times()[:2])
    return total


def run_wrk(
    server: Server, queries: list[str], seconds: float, connections: int, work: Path, words: int
) -> LoadResult:
    paths = work / f"paths-{server.name}-{words}.txt"
    paths.write_text("".join(server.path(q) + "\n" for q in queries))
    argv = ["wrk", "-t", str(min(2, connections)), "-c", str(connections)]
    argv += ["-d", f"{seconds:g}s", "--timeout", "30s", "--latency", "-s", str(BENCH / "_wrk.lua")]
    argv += [f"http://127.0.0.1:{server.port}", "--", str(paths)]
    cpu_before = _server_cpu(server)
    wall = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    cpu = (_server_cpu(server) - cpu_before) / wall
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    fields = dict(item.split("=") for item in lines[-1].split()[1:])
    n = {key: int(value) for key, value in fields.items()}
    errors = sum(n[key] for key in ("connect", "read", "write", "status", "timeout"))
    # No request finished: wrk prints zeros, which must not read as "fast".
    ms = {
        key: n[key] / 1000 if n["requests"] else math.inf for key in ("p50_us", "p95_us", "p99_us")
    }
    return LoadResult(
        server.name,
        words,
        requests=n["requests"],
        rps=n["requests"] / (n["duration_us"] / 1e6),
        p50=ms["p50_us"],
        p95=ms["p95_us"],
        p99=ms["p99_us"],
        errors=errors,
        cpu=cpu,
        load=os.getloadavg()[0],
    )


def run_httpx(server: Server, queries: list[str], seconds: float, connections: int) -> LoadResult:
    """wrk's job in asyncio, for machines without wrk: each client sends its next query as
    soon as the previous answer is in."""
    import httpx

    latencies: list[float] = []
    errors = 0
    paths = [server.path(q) for q in queries]

    async def client(number: int, http_client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal errors
        position = number * 97
        while time.perf_counter() < deadline:
            path = paths[position % len(paths)]
            position += 1
            began = time.perf_counter()
            try:
                response = await http_client.get(path)
                await response.aread()
            except httpx.HTTPError:
                errors += 1
                continue
            latencies.append(time.perf_counter() - began)
            errors += not 200 <= response.status_code < 300

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{server.port}",
            timeout=30.0,
            limits=limits,
            trust_env=False,  # no proxy: loopback only
        ) as http_client:
            began = time.perf_counter()
            deadline = began + seconds
            await asyncio.gather(*(client(i, http_client, deadline) for i in range(connections)))
            return time.perf_counter() - began

    wall = asyncio.run(main())
    ms = sorted(x * 1000 for x in latencies)
    qs = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [math.inf] * 99
    return LoadResult(
        server.name,
        0,
        requests=len(ms) + errors,
        rps=(len(ms) + errors) / wall,
        p50=qs[49],
        p95=qs[94],
        p99=qs[98],
        errors=errors,
        cpu=0.0,
        load=os.getloadavg()[0],
    )
