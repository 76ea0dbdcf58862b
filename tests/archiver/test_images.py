"""Figures archived with their page, against real local HTTP servers: the type told by the
bytes, images stored once and named in the structured copy, refresh fetching only new ones,
the WARC export, the time budget. Hostile images: test_images_hostile.py."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archiver import Store
from archiver.export import write_json
from archiver.fetch import Fetcher
from archiver.images import fetch_figures, image_type
from archiver.models import Image, Link, Snapshot, SnapshotImage
from archiver.restore import restore_export
from archiver.warc import write_warc
from tests.archiver._images_support import (
    HOSTILE_SVG,
    IMAGE_LIMIT,
    archive,
    config,
    count,
    figures,
    page,
    png,
    refresh,
    sqlite_store_in,
    stored_images,
    use_stand_in_extraction,
)
from tests.support.site import Exchange, LocalSite, Response


@pytest.fixture(autouse=True)
def stand_in_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stand_in_extraction(monkeypatch)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    with sqlite_store_in(tmp_path) as store:
        yield store


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
            # Other bytes, the same text: no new snapshot, so no image requested.
            _html(page("Post", "/old.png") + b"<!-- served at 12:02 -->"),
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


def test_the_json_export_carries_the_images_and_restore_checks_them(
    sqlite_store: Store, local_site: LocalSite, tmp_path: Path
) -> None:
    local_site.route("/a.png", png(seed=1), content_type="image/png")
    local_site.route("/b.png", png(seed=2), content_type="image/png")
    local_site.route("/post", page("Backup", "/a.png", "/b.png"))
    archive(sqlite_store, [local_site.url("/post")], config())
    buffer = io.StringIO()
    write_json(sqlite_store, buffer)
    data = json.loads(buffer.getvalue())
    assert sorted(base64.b64decode(i["body_base64"]) for i in data["images"]) == sorted(
        [png(seed=1), png(seed=2)]
    )
    # One image's bytes were changed on the way: it is not restored, and its figure
    # shows no image rather than a broken one.
    data["images"][0]["body_base64"] = base64.b64encode(png(seed=9)).decode()
    broken = data["images"][0]["sha256"]

    (tmp_path / "fresh").mkdir()
    with sqlite_store_in(tmp_path / "fresh") as fresh:
        report = restore_export(fresh, data)
        assert report.images == 1
        assert report.problems == ["image 1 of the export is not what it says"]
        restored = stored_images(fresh)
        assert set(restored.values()) <= {png(seed=1), png(seed=2)} and len(restored) == 1
        with fresh.session() as session:
            (link,) = session.scalars(select(Link)).all()
        shown = [figure["image"] for figure in figures(fresh, link)]
        assert broken not in shown and None in shown
        assert [sha for sha in shown if sha] == list(restored)
        assert count(fresh, SnapshotImage) == 1
        assert fresh.images.get(next(iter(restored))) is not None
    assert local_site.hits("/a.png") == local_site.hits("/b.png") == 1  # restore fetched nothing
