"""Shared by the archived-figure tests: images as bytes, pages that show them, a stand-in
extraction, and an archive run over real local HTTP servers.

Until the structured extraction lands, pages get their figures from the stand-in
(`figures_from_img_tags`): the real extraction's text and metadata, one figure per <img src>.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import struct
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from sqlalchemy import func, select

import archiver.pipeline
from archiver import Store, make_engine
from archiver.config import FetchConfig
from archiver.document import Document
from archiver.fetch import FetchResult
from archiver.models import Image, Link
from archiver.pipeline import LinkDone, Pipeline
from archiver.records import StoredPage
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.sources import parse_text
from tests.support import pages
from tests.support.site import ForwardProxy, LocalSite

KB = 1024
MB = 1024 * KB
IMAGE_LIMIT = 1 * MB
_IMG = re.compile(r'<img src="([^"]*)"')


def png(width: int = 1, height: int = 1, seed: int = 0) -> bytes:
    """A valid PNG; `seed` changes its pixels, so its bytes and its hash."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\0" + bytes([seed % 256, 0, 0]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


HOSTILE_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
    b"<script>fetch('http://127.0.0.1:9/leak')</script><rect width='1' height='1'/></svg>"
)


def page(title: str, *images: str) -> bytes:
    tags = "".join(f'<img src="{src}" alt="figure">' for src in images)
    return pages.article(title, pages.filler(title), tags).encode()


def figures_from_img_tags(result: FetchResult) -> StoredPage:
    """Stand-in for the structured extraction: the real text, a figure per <img src>."""
    stored = archiver.pipeline.__dict__["_real_process_page"](result)
    body = result.body.decode("utf-8", "replace")
    blocks: list[dict[str, Any]] = [{"t": "p", "c": [stored.text[:50]]}]
    for src in _IMG.findall(body):
        blocks.append(
            {
                "t": "figure",
                "src": urljoin(result.final_url, src),
                "alt": "figure",
                "caption": [],
                "image": None,
            }
        )
    return dataclasses.replace(stored, document=Document(blocks).to_json())


def use_stand_in_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        archiver.pipeline.__dict__, "_real_process_page", archiver.pipeline.process_page
    )
    monkeypatch.setattr(archiver.pipeline, "process_page", figures_from_img_tags)


@contextlib.contextmanager
def sqlite_store_in(folder: Path) -> Iterator[Store]:
    store = Store(make_engine(f"sqlite:///{folder / 'images.db'}"))
    store.create_schema()
    try:
        yield store
    finally:
        store.engine.dispose()


@contextlib.contextmanager
def proxy_to(site: LocalSite, monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    """Pages on public-looking names reach the local site through a proxy, so the guard can
    stay on (allow_private=False) and still refuse internal addresses named by images."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with ForwardProxy(site) as forward:
        monkeypatch.setenv("HTTP_PROXY", forward.base_url)
        yield forward


def config(**overrides: Any) -> FetchConfig:
    base: dict[str, Any] = {
        "allow_private": True,
        "deadline": 5.0,
        "read_timeout": 3.0,
        "max_retries": 0,
        "per_host_concurrency": 4,
        "image_max_bytes": IMAGE_LIMIT,
        "images_per_page": 50,
    }
    base.update(overrides)
    return FetchConfig(**base)


def run(store: Store, tasks: list[Any], cfg: FetchConfig) -> list[LinkDone]:
    done: list[LinkDone] = []
    with ThreadPoolExecutor(max_workers=1) as executor:
        pipeline = Pipeline(store.links, cfg, workers=1, on_done=done.append, executor=executor)
        asyncio.run(pipeline.run(tasks))
    return done


def archive(store: Store, urls: list[str], cfg: FetchConfig) -> dict[str, Link]:
    imported = store.links.add_links(parse_text("\n".join(urls), "test.txt").links)
    run(store, store.links.tasks_for_archive(imported.link_ids), cfg)
    with store.session() as session:
        return {link.url: link for link in session.scalars(select(Link))}


def refresh(store: Store, cfg: FetchConfig) -> None:
    run(store, refresh_tasks(store, RefreshSelection(everything=True), timedelta(0)), cfg)


def figures(store: Store, link: Link) -> list[dict[str, Any]]:
    with store.session() as session:
        current = session.get_one(Link, link.id).snapshot
        assert current is not None and current.document is not None
        return list(Document.from_json(current.document).figures())


def stored_images(store: Store) -> dict[str, bytes]:
    with store.session() as session:
        return {image.sha256: image.data for image in session.scalars(select(Image))}


def count(store: Store, table: type[Any]) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0
