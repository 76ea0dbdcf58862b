"""A real PostgreSQL server for the tests and the search bench: initdb into a temporary
folder, a free port on 127.0.0.1, stopped at the end. Needs Debian's `postgresql` package (or
any PostgreSQL whose initdb and pg_ctl are on PATH or under /usr/lib/postgresql/*/bin).

Lives in bench/ (not tests/) so both may use it: bench never imports from tests/."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

HOW_TO_ENABLE = (
    "PostgreSQL tests skipped: no initdb/pg_ctl found. Install Debian's `postgresql` package "
    "(`apt-get install postgresql`; .ci/run does) to run them."
)


def find_binaries() -> tuple[str, str] | None:
    """(initdb, pg_ctl), or None when PostgreSQL is not installed."""
    candidates = [os.path.dirname(shutil.which("initdb") or "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        initdb, pg_ctl = os.path.join(folder, "initdb"), os.path.join(folder, "pg_ctl")
        if folder and os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """One throwaway cluster; ``database()`` gives each test an empty database of its own."""

    def __init__(self, folder: Path, shared_buffers: str = "128MB") -> None:
        """``shared_buffers``: PostgreSQL's page cache; its default (128MB) suits the tests,
        the search bench gives it what a server holding its archive would have."""
        found = find_binaries()
        if found is None:
            raise RuntimeError(HOW_TO_ENABLE)
        self.initdb, self.pg_ctl = found
        self.folder = folder
        self.shared_buffers = shared_buffers
        self.data = folder / "pgdata"
        self.port = _free_port()
        # PostgreSQL refuses to run as root: as root, run it as the package's own user.
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(folder, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        """Creates the cluster (unless the folder holds one already: `python -m bench.search` keeps
        its cluster between runs) and starts it."""
        if not (self.data / "PG_VERSION").exists():
            self._run(
                self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
            )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            # Durability is not what these tests are about; speed is welcome.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections=200 -c shared_buffers={self.shared_buffers}"
        )
        log = self.folder / "postgres.log"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(log), "-w", "start")
        return self

    def attach(self) -> bool:
        """Whether the folder's cluster is running already (started by another process:
        two `python -m bench.search --keep DIR` at once); if so, this object now speaks to it."""
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        status = subprocess.run(
            [*self._as, self.pg_ctl, "-D", str(self.data), "status"], capture_output=True
        )
        if status.returncode != 0 or len(lines) < 4:
            return False
        self.port = int(lines[3])  # postmaster.pid: pid, data folder, start time, port, ...
        return True

    def stop(self, mode: str = "immediate") -> None:
        """Stops the server: "immediate" (throwaway clusters), or "fast" (a kept cluster: a
        checkpoint first, so its next start needs no recovery)."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"lv_{uuid.uuid4().hex[:12]}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
        return self.url(name)


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL cluster of its own, removed afterwards; skips the test when PostgreSQL is
    missing, saying how to enable it."""
    import pytest  # here: the search bench uses this module without pytest

    if find_binaries() is None:
        pytest.skip(HOW_TO_ENABLE)
    # Not under pytest's tmp folder: its parents are private to this user, and the server
    # runs as the postgres user when the tests run as root.
    folder = Path(tempfile.mkdtemp(prefix="linkvault-pg-"))
    server = PostgresServer(folder).start()
    try:
        yield server
    finally:
        # A test may have stopped it already (tests/app/test_database_outage.py).
        with contextlib.suppress(subprocess.CalledProcessError):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
