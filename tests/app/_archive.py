"""The fixture archive (a real store and a real search index, built from pages written straight
into the store: SQLite and Whoosh, or PostgreSQL for both) and a live uvicorn server, for the
app tests."""

from __future__ import annotations

import atexit
import hashlib
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from app.services import Vault, rebuild_index
from app.settings import Settings
from archiver.models import Check, Link, LinkStatus, Snapshot
from tests.support.databases import copy_database, new_database_beside

XSS_TITLE = "<script>alert(1)</script> Hostile <img src=x onerror=alert(1)> page"
XSS_TEXT = (
    "This hostile page talks about xssprobe markup.\n\n"
    "<script>alert(1)</script> sits next to xssprobe and <img src=x onerror=alert(1)> too.\n\n"
    'A third paragraph with <a href="javascript:alert(2)">a link</a> and xssprobe again.\n\n'
    # One unbroken 300-character word: the page must wrap it, not scroll sideways at 375 px.
    + "xssprobe"
    + "w" * 300
)
# Long unbroken URLs must wrap too.
XSS_URL = "https://evil.example/page?" + "&".join(f"param{n}=value{n}" for n in range(30))
TOKEN = "test-token-0123456789"

SECTIONS = ("Interpreters", "Bytecode", "Memory")
# The user's tags: every third topic is "CPython internals", every fourth a "Long read"; the
# hostile page's tag and note are markup. The second topic has a note with its own word.
INTERNALS, LONG_READ = "CPython internals", "Long read"
XSS_TAG = "<script>alert(4)</script>"
XSS_NOTE = "<img src=x onerror=alert(5)> xssnote"
NOTE = "Start here: the clearest walkthrough, a notedword to find."
DOMAINS = ("akaptur.com", "docs.python.org", "nedbatchelder.com", "example.org")
# 24 pages about the interpreter: enough for three pages of ten on the web page.
TOPICS = (
    "frames", "code objects", "the eval loop", "opcodes", "the GIL", "reference counting",
    "garbage collection", "dictionaries", "strings", "integers", "generators", "coroutines",
    "closures", "descriptors", "metaclasses", "imports", "the parser", "the compiler",
    "the peephole optimizer", "exceptions", "threads", "the allocator", "slots", "tracebacks",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Archive:
    """What the fixture archive holds, for assertions."""

    data_dir: Path
    ids: dict[str, int]  # name -> link id
    interpreter_docs: int  # pages that contain the word "interpreter"
    search_backend: str = "whoosh"
    database_url: str | None = None  # None: SQLite in data_dir

    def settings(self, **overrides: object) -> Settings:
        """make_settings() for this archive: its database and its search backend."""
        values: dict[str, object] = {"search_backend": self.search_backend}
        if self.database_url is not None:
            values["database_url"] = self.database_url
        return make_settings(self.data_dir, **(values | overrides))


def _add(
    session: Session,
    *,
    url: str,
    title: str | None,
    section: str | None,
    status: LinkStatus,
    text: str | None,
    when: datetime,
    http_status: int | None = 200,
    error: str | None = None,
    author: str | None = None,
    language: str | None = "en",
    tags: list[str] | None = None,
    note: str | None = None,
) -> int:
    link = Link(
        url=url,
        normalized_url=url.lower(),
        title=title,
        section=section,
        tags=tags or [],
        note=note,
        status=status,
        error=error,
        http_status=http_status,
        checked_at=when,
        created_at=when - timedelta(days=1),
        dead_since=when if status is LinkStatus.DEAD else None,
        needs_index=True,
    )
    session.add(link)
    session.flush()
    snapshot_id = None
    if text is not None:
        snapshot = Snapshot(
            link_id=link.id,
            fetched_at=when,
            http_status=200,
            final_url=url,
            content_type="text/html",
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            size=len(text),
            kind="html",
            title=title,
            author=author,
            published="2016-04-01",
            sitename="Fixture site",
            language=language,
            text=text,
            raw=b"",
            headers={},
        )
        session.add(snapshot)
        session.flush()
        snapshot_id = snapshot.id
        link.snapshot_id = snapshot.id
        link.archived_at = when
        session.add(
            Check(
                link_id=link.id,
                checked_at=when,
                status=LinkStatus.OK,
                http_status=200,
                snapshot_id=snapshot_id,
                changed=True,
            )
        )
    if status is not LinkStatus.OK:
        session.add(
            Check(
                link_id=link.id,
                checked_at=when + timedelta(days=2),
                status=status,
                http_status=http_status,
                error=error,
            )
        )
    return link.id


def build_archive(
    data_dir: Path, database_url: str | None = None, search_backend: str = "whoosh"
) -> Archive:
    """The fixture archive in ``data_dir`` (SQLite), or in the empty PostgreSQL database
    ``database_url``, indexed by ``search_backend``.

    Built once per test process and kind (SQLite, or each PostgreSQL server), in a folder and
    database no test sees, then copied: the same files, or ``CREATE DATABASE ... TEMPLATE``.
    Building (migrations, the links, an index) takes most of a second, a copy milliseconds,
    and every test still gets an archive of its own."""
    kind = (search_backend, _server_of(database_url))
    template = _TEMPLATES.get(kind)
    if template is None:
        template = _TEMPLATES[kind] = _template(database_url, search_backend)
    folder, template_db, ids = template
    shutil.copytree(folder, data_dir, dirs_exist_ok=True)
    if database_url is not None and template_db is not None:
        copy_database(template_db, database_url)
    return Archive(
        data_dir=data_dir,
        ids=dict(ids),
        interpreter_docs=len(TOPICS),
        search_backend=search_backend,
        database_url=database_url,
    )


# (search backend, PostgreSQL server or None) -> (data folder, template database URL, ids)
_TEMPLATES: dict[tuple[str, str | None], tuple[Path, str | None, dict[str, int]]] = {}


def _server_of(database_url: str | None) -> str | None:
    if database_url is None:
        return None
    url = make_url(database_url)
    return f"{url.host}:{url.port}"


def _template(
    database_url: str | None, search_backend: str
) -> tuple[Path, str | None, dict[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="linkvault-archive-")) / "data"
    folder.mkdir()
    atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
    template_db = None if database_url is None else new_database_beside(database_url)
    return folder, template_db, _build(folder, template_db, search_backend)


def _build(data_dir: Path, database_url: str | None, search_backend: str) -> dict[str, int]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        search_backend=search_backend,  # type: ignore[arg-type]
    )
    vault = Vault(settings)
    ids: dict[str, int] = {}
    base = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    with vault.store.session() as session:
        for number, topic in enumerate(TOPICS):
            ids[f"topic{number}"] = _add(
                session,
                url=f"https://{DOMAINS[number % len(DOMAINS)]}/python/{number}",
                title=f"Python internals: {topic}",
                section=SECTIONS[number % len(SECTIONS)],
                status=LinkStatus.OK,
                text=(
                    f"How the CPython interpreter handles {topic}.\n\n"
                    f"This article walks through {topic} in the interpreter source, "
                    "with examples in C and Python.\n\nIt ends with further reading."
                ),
                when=base + timedelta(days=number),
                author="Allison Kaptur" if number == 0 else None,
                tags=[
                    tag for tag, every in ((INTERNALS, 3), (LONG_READ, 4)) if number % every == 0
                ],
                note=NOTE if number == 1 else None,
            )
        ids["xss"] = _add(
            session,
            url=XSS_URL,
            title=XSS_TITLE,
            section="Hostile <b>section</b>",
            status=LinkStatus.OK,
            text=XSS_TEXT,
            when=base + timedelta(days=40),
            author="<script>alert(3)</script>",
            tags=[XSS_TAG, "hostile"],
            note=XSS_NOTE,
        )
        ids["dead"] = _add(
            session,
            url="https://gone.example/bytecode-notes",
            title="Old bytecode notes",
            section="Bytecode",
            status=LinkStatus.DEAD,
            text="Notes on bytecode that once lived on a personal site: a dodoword to find.",
            when=base + timedelta(days=30),
            http_status=404,
            error="HTTP 404 Not Found",
        )
        ids["failed"] = _add(
            session,
            url="https://slow.example/timeout",
            title="A slow site",
            section="Memory",
            status=LinkStatus.FAILED,
            text=None,
            when=base + timedelta(days=31),
            http_status=None,
            error="timed out after 30 s",
        )
        ids["blocked"] = _add(
            session,
            url="javascript:alert(document.cookie)",
            title="A javascript: link",
            section=None,
            status=LinkStatus.BLOCKED,
            text=None,
            when=base + timedelta(days=32),
            http_status=None,
            error="javascript: URLs are not fetched",
        )
        ids["pending"] = _add(
            session,
            url="https://later.example/",
            title=None,
            section=None,
            status=LinkStatus.PENDING,
            text=None,
            when=base + timedelta(days=33),
            http_status=None,
        )
    rebuild_index(vault.store, vault.index)
    vault.close()
    return ids


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "api_token": None,
        "allow_private": True,
        "extract_workers": 1,
        "connect_timeout": 2.0,
        "read_timeout": 3.0,
        "page_deadline": 8.0,
        "max_retries": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class LiveServer:
    """The real app under uvicorn on a free loopback port, in a background thread."""

    def __init__(self, app: FastAPI, **options: Any) -> None:
        """`options` go to uvicorn.Config (proxy_headers, forwarded_allow_ips, ...)."""
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", **options)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
        self._sock.close()
