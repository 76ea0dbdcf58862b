"""One writing command at a time per data directory.

Two `linkvault archive` runs on the same list would fetch every link twice and race to
record it. SQLite and the index lock would keep the data whole, but the user would not know
why everything got slower, so a second writer waits for the first, and says so (or stops at
once with --no-wait). The lock is an flock (filelock): the kernel releases it when its holder
dies, so a killed run never blocks the next one. A JSON file beside it says who holds it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

LOCK_FILE = "linkvault.lock"
OWNER_FILE = "linkvault.lock.json"


@dataclass(frozen=True, slots=True)
class RunOwner:
    pid: int
    command: str
    since: float

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"`{self.command}` (process {self.pid}, since {started})"


class DataDirBusy(Exception):
    """Another writing command holds this data directory and we were told not to wait."""

    def __init__(self, owner: RunOwner | None) -> None:
        self.owner = owner
        who = owner.describe() if owner else "another linkvault command"
        super().__init__(
            f"{who} is writing to this data directory; try again when it has finished."
        )


def read_owner(data_dir: Path) -> RunOwner | None:
    try:
        data = json.loads((data_dir / OWNER_FILE).read_text(encoding="utf-8"))
        return RunOwner(int(data["pid"]), str(data["command"]), float(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextlib.contextmanager
def exclusive_run(
    data_dir: Path,
    command: str,
    *,
    wait: bool = True,
    on_wait: Callable[[RunOwner | None], None] | None = None,
) -> Iterator[None]:
    """Hold the data directory's run lock. If another command holds it: with ``wait``, call
    ``on_wait`` once and block until it is free; without, raise DataDirBusy."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(data_dir / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise DataDirBusy(read_owner(data_dir)) from None
        if on_wait is not None:
            on_wait(read_owner(data_dir))
        lock.acquire()
    try:
        owner = {"pid": os.getpid(), "command": command, "since": time.time()}
        with contextlib.suppress(OSError):
            (data_dir / OWNER_FILE).write_text(json.dumps(owner), encoding="utf-8")
        yield
    finally:
        with contextlib.suppress(OSError):
            (data_dir / OWNER_FILE).unlink()
        lock.release()
