"""Hostile images against real local HTTP servers: internal addresses, file: URLs, redirects
inward, huge, endless and compressed bodies, HTML posing as PNG, scripted SVG, hundreds of
pixels. In each the link stays ok, nothing internal is requested, nothing over the limit is
kept."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from archiver import Store
from archiver.fetch import Fetcher
from archiver.images import fetch_figures
from archiver.models import Image, SnapshotImage
from tests.archiver._images_support import (
    HOSTILE_SVG,
    IMAGE_LIMIT,
    MB,
    archive,
    config,
    count,
    figures,
    page,
    png,
    proxy_to,
    sqlite_store_in,
    stored_images,
    use_stand_in_extraction,
)
from tests.support.site import Exchange, ForwardProxy, LocalSite


@pytest.fixture(autouse=True)
def stand_in_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stand_in_extraction(monkeypatch)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with sqlite_store_in(tmp_path) as store:
        yield store


@pytest.fixture
def proxy(local_site: LocalSite, monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    with proxy_to(local_site, monkeypatch) as forward:
        yield forward


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


class Endless:
    """40 MB, chunked: no Content-Length to refuse it by, so the reader must stop itself."""

    def __init__(self) -> None:
        self.written = 0
        self.ended = threading.Event()

    def __call__(self, ex: Exchange) -> None:
        ex.send_head(200, content_type="image/png", chunked=True)
        block = png() + b"\0" * (MB - len(png()))
        try:
            for _ in range(40):
                ex.write(block)
                self.written += len(block)
            ex.end()
        except OSError:
            pass
        finally:
            self.ended.set()


def test_hostile_bodies_are_bounded_and_refused(sqlite_store: Store, local_site: LocalSite) -> None:
    store = sqlite_store
    big = png() + b"\0" * (40 * MB)
    local_site.route("/big.png", big, content_type="image/png")
    endless = Endless()
    local_site.route("/endless.png", handler=endless)
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
    # The reader hung up at the limit: the server could not send the rest.
    assert endless.ended.wait(10) and endless.written < 40 * MB
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
