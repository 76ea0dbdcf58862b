"""Figures archived with their page, against real local HTTP servers: what is fetched, what
is kept, and that no image can fail a link or reach an internal address.

Until the structured extraction lands, pages get their figures from a stand-in extraction
(`figures_from_img_tags`): the real one's text and metadata, and one figure per <img src>.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
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
from warcio.archiveiterator import ArchiveIterator

import archiver.pipeline
from archiver import Store, make_engine
from archiver.config import FetchConfig
from archiver.document import Document
from archiver.fetch import Fetcher, FetchResult
from archiver.images import fetch_figures, image_type
from archiver.models import Image, Link, Snapshot, SnapshotImage
from archiver.pipeline import LinkDone, Pipeline
from archiver.records import StoredPage
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.sources import parse_text
from archiver.warc import write_warc
from tests.support import pages
from tests.support.site import Exchange, ForwardProxy, LocalSite, Response

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


@pytest.fixture(autouse=True)
def stand_in_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        archiver.pipeline.__dict__, "_real_process_page", archiver.pipeline.process_page
    )
    monkeypatch.setattr(archiver.pipeline, "process_page", figures_from_img_tags)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'images.db'}"))
    store.create_schema()
    yield store
    store.engine.dispose()


@pytest.fixture
def proxy(local_site: LocalSite, monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    """Pages on public-looking names reach the local site through a proxy, so the guard can
    stay on (allow_private=False) and still refuse internal addresses named by images."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with ForwardProxy(local_site) as forward:
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


# -- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png(), "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "image/avif"),
        (HOSTILE_SVG, "image/svg+xml"),
        (b"<!-- drawn by hand --><!DOCTYPE svg><svg viewBox='0 0 1 1'/>", "image/svg+xml"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", None),
        (b"\x00\x00\x00\x1cftypisom\x00\x00\x00\x00isommp41", None),  # an MP4
        (b"%PDF-1.7", None),
        (b"", None),
    ],
)
def test_the_type_comes_from_the_bytes(data: bytes, kind: str | None) -> None:
    assert image_type(data) == kind


# -- archiving a page's figures ---------------------------------------------------------------


def test_figures_are_archived_and_named_in_the_structured_copy(
    store: Store, local_site: LocalSite
) -> None:
    local_site.route("/a.png", png(seed=1), content_type="image/png")
    local_site.route("/b.png", png(seed=2), content_type="image/png")
    local_site.route("/shared.png", png(seed=3), content_type="image/png")
    local_site.route("/one", page("One", "/a.png", "/shared.png"))
    local_site.route("/two", page("Two", "/b.png", "/shared.png"))
    # One after the other: run together, both pages could fetch the shared image at once.
    archive(store, [local_site.url("/one")], config())
    links = archive(store, [local_site.url("/two")], config())
    assert {link.status for link in links.values()} == {"ok"}
    kept = stored_images(store)
    assert len(kept) == 3  # the shared image once
    for link in links.values():
        assert all(figure["image"] in kept for figure in figures(store, link))
    one = figures(store, links[local_site.url("/one")])
    assert kept[one[0]["image"]] == png(seed=1)
    assert one[1]["image"] == figures(store, links[local_site.url("/two")])[1]["image"]
    assert count(store, SnapshotImage) == 4  # each snapshot knows the images it shows
    # The second page found the shared image by URL and did not fetch it again.
    assert local_site.hits("/shared.png") == 1


def test_a_refresh_fetches_images_only_for_a_changed_page_and_only_new_ones(
    sqlite_store: Store, local_site: LocalSite
) -> None:
    store = sqlite_store
    local_site.route("/old.png", png(seed=1), content_type="image/png")
    local_site.route("/new.png", png(seed=2), content_type="image/png")
    local_site.sequence(
        "/post",
        [
            _html(page("Post", "/old.png")),
            _html(page("Post", "/old.png")),  # unchanged: no image requested
            _html(page("Post revised with a second figure", "/old.png", "/new.png")),
        ],
    )
    links = archive(store, [local_site.url("/post")], config())
    assert local_site.hits("/old.png") == 1
    refresh(store, config())
    assert local_site.hits("/post") == 2 and local_site.hits("/old.png") == 1
    assert local_site.hits("/new.png") == 0
    refresh(store, config())
    assert local_site.hits("/post") == 3
    assert local_site.hits("/old.png") == 1 and local_site.hits("/new.png") == 1
    shown = figures(store, links[local_site.url("/post")])
    assert [stored_images(store)[f["image"]] for f in shown] == [png(seed=1), png(seed=2)]
    assert count(store, Snapshot) == 2


def _html(body: bytes) -> Response:
    return Response(200, body)


def test_images_off_fetches_none(sqlite_store: Store, local_site: LocalSite) -> None:
    local_site.route("/a.png", png(), content_type="image/png")
    local_site.route("/p", page("Plain", "/a.png"))
    links = archive(sqlite_store, [local_site.url("/p")], config(images_per_page=0))
    assert links[local_site.url("/p")].status == "ok"
    assert local_site.hits("/a.png") == 0 and count(sqlite_store, Image) == 0


# -- hostile images ---------------------------------------------------------------------------


def test_images_on_internal_addresses_are_never_requested(
    sqlite_store: Store, local_site: LocalSite, proxy: ForwardProxy
) -> None:
    store = sqlite_store
    port = local_site.port
    local_site.route("/secret.png", png(seed=9), content_type="image/png")
    local_site.redirect("/hop.png", f"http://127.0.0.1:{port}/secret.png")
    local_site.route("/fine.png", png(seed=1), content_type="image/png")
    local_site.route(
        "/post",
        page(
            "Hostile",
            f"http://127.0.0.1:{port}/secret.png",
            "http://169.254.169.254/latest/meta-data/iam.png",
            "http://localhost/secret.png",
            "http://img.example.test/hop.png",  # redirects to 127.0.0.1
            "http://img.example.test/fine.png",
        ),
    )
    url = "http://blog.example.test/post"
    links = archive(store, [url], config(allow_private=False))
    assert links[url].status == "ok"
    assert local_site.hits("/secret.png") == 0
    targets = [request.target for request in proxy.requests()]
    assert not any("169.254" in target or "127.0.0.1" in target for target in targets)
    assert sorted(targets) == sorted(
        [url, "http://img.example.test/hop.png", "http://img.example.test/fine.png"]
    )
    assert list(stored_images(store).values()) == [png(seed=1)]
    assert [f["image"] is not None for f in figures(store, links[url])] == [
        False,
        False,
        False,
        False,
        True,
    ]


def test_file_urls_and_names_resolving_inside_are_refused(local_site: LocalSite) -> None:
    async def resolve_to_metadata(host: str, port: int) -> list[str]:
        return ["169.254.169.254"]

    async def fetch() -> Any:
        cfg = config(allow_private=False)
        async with Fetcher(cfg, resolver=resolve_to_metadata) as fetcher:
            return await fetch_figures(
                fetcher,
                ["file:///etc/passwd", "http://metadata.example.test/x.png"],
                {},
                IMAGE_LIMIT,
            )

    found = asyncio.run(fetch())
    assert found.by_src == {} and found.fetched == []
    assert sorted(found.notes) == [
        "file:///etc/passwd: file: URLs are not fetched",
        "http://metadata.example.test/x.png: metadata.example.test resolves to link-local "
        "address 169.254.169.254",
    ]


def _endless(ex: Exchange) -> None:
    # 40 MB, chunked: no Content-Length to refuse it by, so the reader must stop itself.
    ex.send_head(200, content_type="image/png", chunked=True)
    block = png() + b"\0" * (MB - len(png()))
    try:
        for _ in range(40):
            ex.write(block)
        ex.end()
    except OSError:
        pass


def test_hostile_bodies_are_bounded_and_refused(sqlite_store: Store, local_site: LocalSite) -> None:
    store = sqlite_store
    big = png() + b"\0" * (40 * MB)
    local_site.route("/big.png", big, content_type="image/png")
    local_site.route("/endless.png", handler=_endless)
    bomb = gzip.compress(png() + b"\0" * (64 * MB), compresslevel=9)
    assert len(bomb) < IMAGE_LIMIT
    local_site.route(
        "/bomb.png", bomb, content_type="image/png", headers={"Content-Encoding": "gzip"}
    )
    local_site.route("/html.png", b"<!DOCTYPE html><p>Not found</p>", content_type="image/png")
    local_site.route("/svg", HOSTILE_SVG, content_type="image/svg+xml")
    local_site.route("/ok.png", png(seed=5), content_type="image/png")
    local_site.route(
        "/post",
        page(
            "Hostile bodies",
            "/big.png",
            "/endless.png",
            "/bomb.png",
            "/html.png",
            "/svg",
            "/ok.png",
        ),
    )
    links = archive(store, [local_site.url("/post")], config())
    assert links[local_site.url("/post")].status == "ok"
    kept = stored_images(store)
    assert sorted(kept.values()) == sorted([png(seed=5), HOSTILE_SVG])
    assert all(len(data) <= IMAGE_LIMIT for data in kept.values())
    with store.session() as session:
        svg = session.scalars(select(Image).where(Image.content_type == "image/svg+xml")).one()
    assert svg.data == HOSTILE_SVG  # kept as is: served only under a sandboxing CSP


def test_hundreds_of_one_pixel_images_fetch_at_most_the_limit(
    sqlite_store: Store, local_site: LocalSite
) -> None:
    local_site.fallback(lambda ex: ex.respond(200, png(), content_type="image/png"))
    local_site.route("/pixels", page("Pixels", *(f"/px/{i}.png" for i in range(400))))
    links = archive(sqlite_store, [local_site.url("/pixels")], config(images_per_page=50))
    assert links[local_site.url("/pixels")].status == "ok"
    pixel_hits = sum(1 for r in local_site.requests() if r.path.startswith("/px/"))
    assert pixel_hits == 50
    assert count(sqlite_store, Image) == 1  # the same pixel, stored once
    assert count(sqlite_store, SnapshotImage) == 50


# -- the WARC export ---------------------------------------------------------------------------


def test_the_warc_export_carries_each_image_as_a_response_record(
    sqlite_store: Store, local_site: LocalSite, tmp_path: Path
) -> None:
    local_site.route("/a.png", png(seed=1), content_type="image/png")
    local_site.route("/b.svg", HOSTILE_SVG, content_type="image/svg+xml")
    local_site.route("/post", page("Warc", "/a.png", "/b.svg"))
    archive(sqlite_store, [local_site.url("/post")], config())
    target = tmp_path / "out.warc.gz"
    with target.open("wb") as out:
        written = write_warc(sqlite_store, out)
    assert written == 3
    records: dict[str, tuple[str | None, bytes]] = {}
    with target.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            if record.rec_type == "response":
                uri = record.rec_headers.get_header("WARC-Target-URI")
                kind = record.http_headers.get_header("Content-Type")
                records[uri] = (kind, record.content_stream().read())
    assert records[local_site.url("/a.png")] == ("image/png", png(seed=1))
    assert records[local_site.url("/b.svg")] == ("image/svg+xml", HOSTILE_SVG)
    assert local_site.url("/post") in records


def test_slow_images_are_given_up_within_the_page_budget(local_site: LocalSite) -> None:
    def slow(ex: Exchange) -> None:
        ex.send_head(200, content_type="image/png", content_length=len(png()))
        ex.sleep(5)

    local_site.route("/slow.png", handler=slow)
    local_site.route("/quick.png", png(), content_type="image/png")

    async def fetch() -> Any:
        async with Fetcher(config(read_timeout=10.0, deadline=10.0)) as fetcher:
            urls = [local_site.url("/slow.png"), local_site.url("/quick.png")]
            return await fetch_figures(fetcher, urls, {}, IMAGE_LIMIT, budget=0.5)

    found = asyncio.run(fetch())
    assert list(found.by_src) == [local_site.url("/quick.png")]
    assert found.notes == ["1 not fetched within 0.5 s for the page"]
