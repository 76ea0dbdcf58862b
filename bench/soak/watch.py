"""During the load: the server's process tree sampled (memory, files, threads, CPU, changed
pages found) and the pages changed and refreshed, each in a thread of its own."""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench._common import Server
from bench.soak.linkvault import linkvault_argv, search_total
from bench.soak.pages import SoakPages


@dataclass
class Sample:
    at: float  # seconds since the load started
    rss_mb: float  # the server's process tree
    anon_mb: float  # of which not file-backed: heap, not the index files Whoosh maps
    processes: int
    fds: int
    threads: int
    cpu_s: float
    load: float
    visible: int | None  # changed pages already found by their new words
    refreshing: bool


def anon_bytes(pid: int) -> int:
    """RssAnon from /proc: RSS counts each mapping of a file again, so a process that maps
    the same index files from several searchers shows a large RSS it could drop at once."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


def sample_tree(pid: int) -> tuple[float, float, int, int, int, float]:
    root = psutil.Process(pid)
    rss = anon = fds = threads = 0
    cpu = 0.0
    procs = [root, *root.children(recursive=True)]
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess), proc.oneshot():
            rss += proc.memory_info().rss
            anon += anon_bytes(proc.pid)
            fds += proc.num_fds()
            threads += proc.num_threads()
            times = proc.cpu_times()
            cpu += times.user + times.system
    return rss / 2**20, anon / 2**20, len(procs), fds, threads, cpu


@dataclass
class Soak:
    server: Server
    pages: SoakPages
    args: argparse.Namespace
    env: dict[str, str]
    work: Path
    t0: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    refreshes: list[tuple[int, float, float, int]] = field(default_factory=list)  # v, from, to, rc
    refresh_running: bool = False
    stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> Sample:
        rss, anon, procs, fds, threads, cpu = sample_tree(self.server.process.pid)
        visible = None
        if self.pages.version:
            with contextlib.suppress(OSError, RuntimeError, http.client.HTTPException):
                visible = search_total(self.server.port, f"revised{self.pages.version}")
        s = Sample(
            at=time.perf_counter() - self.t0 if self.t0 else 0.0,
            rss_mb=rss,
            anon_mb=anon,
            processes=procs,
            fds=fds,
            threads=threads,
            cpu_s=cpu,
            load=os.getloadavg()[0],
            visible=visible,
            refreshing=self.refresh_running,
        )
        self.samples.append(s)
        seen = "-" if s.visible is None else f"{s.visible}/{len(self.pages.changed)}"
        print(
            f"  {s.at:6.0f} s  RSS {s.rss_mb:7.1f} MB (anon {s.anon_mb:6.1f})  fds {s.fds:4d}  "
            f"threads {s.threads:3d}  "
            f"load {s.load:5.2f}  changed pages found {seen:>11s}"
            f"{'  (refresh running)' if s.refreshing else ''}",
            flush=True,
        )
        return s

    def sampler(self) -> None:
        interval = self.args.duration / self.args.samples
        for i in range(1, self.args.samples):
            if self.stop.wait(max(0.0, self.t0 + i * interval - time.perf_counter())):
                return
            with contextlib.suppress(psutil.NoSuchProcess):
                self.sample()

    def refresher(self) -> None:
        """Changes the pages and runs `linkvault refresh --all`, --refresh-rounds times."""
        if self.stop.wait(self.args.refresh_after):
            return
        for version in range(1, self.args.refresh_rounds + 1):
            self.pages.change(version)
            self.refresh_running = True
            began = time.perf_counter() - self.t0
            print(f"  {began:6.0f} s  pages changed (round {version}); refresh started", flush=True)
            with open(self.work / f"refresh-{version}.log", "wb") as out:
                process = subprocess.Popen(
                    [*linkvault_argv(), "refresh", "--all"],
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=out,
                )
                rc = process.wait()
            ended = time.perf_counter() - self.t0
            self.refresh_running = False
            self.refreshes.append((version, began, ended, rc))
            print(f"  {ended:6.0f} s  refresh {version} exited {rc}", flush=True)
            if rc != 0 or self.stop.is_set():
                return
