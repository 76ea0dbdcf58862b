"""The index folder: which Whoosh index is current, the write lock, and atomic replacement.

Layout of ``path``::

    CURRENT          {"format": ..., "version": N, "generation": "gen-..."}; replaced atomically
    WRITELOCK        Whoosh file lock (flock): one writer at a time, across processes
    WRITELOCK.owner  who holds the lock (pid, command, since); left behind only by a killed writer
    gen-<id>/        a complete Whoosh index; the one named in CURRENT is live
    build-<id>/      a rebuild in progress (or left by a crash; removed by the next rebuild)

A rebuild writes a whole new generation beside the live one and then replaces CURRENT with
os.replace, so readers see the old index or the new one, never half of one, and a crash
mid-rebuild leaves the old one untouched. A folder cannot be renamed over a non-empty folder,
hence the pointer file rather than a rename of the index folder itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.util.filelock import try_for

from index._errors import IndexLocked, IndexNeedsRebuild, IndexUnavailable
from index.whoosh._schema import SCHEMA_VERSION, schema

FORMAT = "linkvault-index"
CURRENT = "CURRENT"
LOCK_NAME = "WRITELOCK"
LOCK_OWNER = "WRITELOCK.owner"
GEN_PREFIX = "gen-"
BUILD_PREFIX = "build-"
RETIRED = "RETIRED"
# Readers in other processes may still use a replaced generation for a moment (they check
# CURRENT at most every half second), so its files are kept this long before deletion.
RETIRED_GRACE_SECONDS = 120.0

log = logging.getLogger(__name__)

_REINDEX = "Run `linkvault reindex` to rebuild it from the database."


@dataclass(frozen=True, slots=True)
class LockOwner:
    pid: int
    command: str
    since: float

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"process {self.pid} ({self.command or 'unknown'}, since {started})"


@dataclass(frozen=True, slots=True)
class Generation:
    name: str
    path: Path


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._storage = FileStorage(str(self.path))

    # -- creation and opening ------------------------------------------------------------

    def ensure(self, lock_timeout: float) -> None:
        """Create an empty index if there is none; leave anything else for open() to judge."""
        if (self.path / CURRENT).exists():
            return
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexUnavailable(f"Cannot create the index folder {self.path}: {exc}") from exc
        with self.lock(lock_timeout):
            if (self.path / CURRENT).exists():
                return  # another process got there first
            if self._has_foreign_files():
                return  # not ours to overwrite: open() explains, rebuild() replaces
            build = self.new_build()
            whoosh_index.create_in(str(build), schema())
            self.publish(build)

    def _has_foreign_files(self) -> bool:
        ours = {LOCK_NAME, LOCK_OWNER, CURRENT}
        return any(
            p.name not in ours and not p.name.startswith((GEN_PREFIX, BUILD_PREFIX, "."))
            for p in self.path.iterdir()
        )

    def current(self) -> Generation:
        """The live generation, or IndexUnavailable saying what is wrong."""
        pointer = self.path / CURRENT
        try:
            info = json.loads(pointer.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexUnavailable(f"No search index in {self.path}. {_REINDEX}") from exc
        except (OSError, ValueError) as exc:
            raise IndexNeedsRebuild(
                f"The search index in {self.path} is damaged.", _REINDEX
            ) from exc
        if not isinstance(info, dict) or info.get("format") != FORMAT:
            raise IndexNeedsRebuild(f"The search index in {self.path} is damaged.", _REINDEX)
        if info.get("version") != SCHEMA_VERSION:
            raise IndexNeedsRebuild(
                f"The search index in {self.path} was built by another version of linkvault.",
                _REINDEX,
            )
        name = info.get("generation")
        if not isinstance(name, str) or not name.startswith(GEN_PREFIX) or "/" in name:
            raise IndexNeedsRebuild(f"The search index in {self.path} is damaged.", _REINDEX)
        return Generation(name, self.path / name)

    def open(self, generation: Generation | None = None) -> Any:
        """The Whoosh FileIndex of a generation (the live one by default)."""
        gen = generation or self.current()
        try:
            return whoosh_index.FileIndex(FileStorage(str(gen.path)), schema=schema())
        except Exception as exc:  # noqa: BLE001 - Whoosh raises many types for a bad TOC
            raise IndexNeedsRebuild(
                f"The search index in {self.path} cannot be read ({type(exc).__name__}).", _REINDEX
            ) from exc

    # -- the write lock -----------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """Hold Whoosh's file lock on the folder, waiting up to ``timeout`` seconds.

        The lock is an flock, so the kernel releases it when its holder dies (even by
        SIGKILL): a killed writer never blocks the next one. Its owner record is what a killed
        writer leaves behind; the next holder replaces it, and `linkvault check` reports it.
        """
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock = self._storage.lock(LOCK_NAME)
            acquired = try_for(lock.acquire, timeout=timeout, delay=0.05)
        except OSError as exc:
            raise IndexUnavailable(f"Cannot lock the search index in {self.path}: {exc}") from exc
        if not acquired:
            owner = self.lock_owner()
            holder = f" by {owner.describe()}" if owner else ""
            raise IndexLocked(
                f"The search index in {self.path} is locked{holder} (waited {timeout:g} s): "
                "another archive, refresh or reindex is probably running."
            )
        try:
            stale = self.lock_owner()
            if stale is not None:
                log.warning("cleared a stale index lock left by %s", stale.describe())
            self._write_owner()
            yield
        finally:
            with contextlib.suppress(OSError):
                (self.path / LOCK_OWNER).unlink()
            lock.release()

    def lock_owner(self) -> LockOwner | None:
        """Who holds (or, if the lock is free, last held and died holding) the write lock."""
        try:
            data = json.loads((self.path / LOCK_OWNER).read_text(encoding="utf-8"))
            return LockOwner(int(data["pid"]), str(data["command"]), float(data["since"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def probe_lock(self) -> tuple[bool, LockOwner | None]:
        """(held now by a live process, owner record). Free with a record = a stale lock."""
        lock = self._storage.lock(LOCK_NAME)
        try:
            if not lock.acquire(blocking=False):
                return True, self.lock_owner()
        except OSError:
            return False, self.lock_owner()
        try:
            return False, self.lock_owner()
        finally:
            lock.release()

    def _write_owner(self) -> None:
        owner = {"pid": os.getpid(), "command": " ".join(sys.argv[:2]), "since": time.time()}
        with contextlib.suppress(OSError):
            (self.path / LOCK_OWNER).write_text(json.dumps(owner), encoding="utf-8")

    # -- rebuilding ---------------------------------------------------------------------

    def new_build(self) -> Path:
        path = self.path / f"{BUILD_PREFIX}{uuid.uuid4().hex[:12]}"
        path.mkdir()
        return path

    def publish(self, build: Path) -> Generation:
        """Make a finished build the live generation (call with the lock held)."""
        name = f"{GEN_PREFIX}{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        target = self.path / name
        _fsync_tree(build)
        os.rename(build, target)
        old: Generation | None
        try:
            old = self.current()
        except IndexUnavailable:
            old = None
        _write_atomically(
            self.path / CURRENT,
            json.dumps({"format": FORMAT, "version": SCHEMA_VERSION, "generation": name}),
        )
        if old is not None and old.path.exists():
            with contextlib.suppress(OSError):
                (old.path / RETIRED).touch()
        return Generation(name, target)

    def cleanup(self, holding_lock: bool) -> None:
        """Delete retired generations past their grace period and, with the lock held (so no
        rebuild is running), builds left by crashes."""
        now = time.time()
        try:
            live = self.current().name
        except IndexUnavailable:
            live = None
        for child in self.path.iterdir():
            if child.name.startswith(BUILD_PREFIX) and holding_lock:
                shutil.rmtree(child, ignore_errors=True)
            elif child.name.startswith(GEN_PREFIX) and child.name != live:
                marker = child / RETIRED
                try:
                    retired_at = marker.stat().st_mtime
                except OSError:
                    # A generation never published (crash between rename and CURRENT).
                    retired_at = child.stat().st_mtime if holding_lock else now
                if now - retired_at > RETIRED_GRACE_SECONDS:
                    shutil.rmtree(child, ignore_errors=True)

    def size_bytes(self) -> int:
        total = 0
        for root, _dirs, files in os.walk(self.path):
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.path.getsize(os.path.join(root, name))
        return total


def _write_atomically(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_tree(path: Path) -> None:
    # The new generation must be on disk before CURRENT points at it, or a power cut could
    # leave CURRENT naming half-written files.
    for root, _dirs, files in os.walk(path):
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
