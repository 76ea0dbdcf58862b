"""Fetcher against real local servers: content encodings, size caps (gzip bombs too) and
concurrency limits."""

from __future__ import annotations

import asyncio
import gzip
import threading
import tracemalloc
import zlib
from dataclasses import replace

import pytest

from archiver._content_encoding import PIECE, BodyDecoder, BodyTooLarge
from archiver.config import FetchConfig
from archiver.fetch import Fetcher, FetchResult, Outcome
from tests.archiver._helpers import CFG, fetch
from tests.support.site import Exchange, LocalSite, Response

MB = 1024 * 1024


# --- encodings and size limits -----------------------------------------------------------

PAGE = b"<html><body>" + b"<p>compress me</p>" * 500 + b"</body></html>"


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(PAGE)),
        ("x-gzip", gzip.compress(PAGE)),
        ("deflate", zlib.compress(PAGE)),
        ("deflate", _raw_deflate(PAGE)),  # what many servers actually send
        ("identity", PAGE),
        ("gzip, gzip", gzip.compress(gzip.compress(PAGE))),
        ("gzip", gzip.compress(PAGE[:3000]) + gzip.compress(PAGE[3000:])),  # two members
    ],
    # Named, not by their bytes: gzip stamps the time, and pytest-xdist refuses to run when
    # its two workers collected the same test under different names.
    ids=["gzip", "x-gzip", "zlib", "raw-deflate", "identity", "gzip-twice", "two-members"],
)
def test_compressed_bodies_are_decoded(local_site: LocalSite, encoding: str, body: bytes) -> None:
    local_site.route("/", body, headers={"Content-Encoding": encoding})
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.body == PAGE


def test_gzip_without_header_is_left_as_is(local_site: LocalSite) -> None:
    packed = gzip.compress(PAGE)
    local_site.route("/", packed)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.body == packed


def test_unknown_encoding_fails_clearly(local_site: LocalSite) -> None:
    local_site.route("/", b"\x1b\x00junk", headers={"Content-Encoding": "br"})
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED
    assert result.error == "unsupported content encoding 'br'"


def test_corrupt_gzip_fails(local_site: LocalSite) -> None:
    local_site.route("/", b"<html>not gzip at all</html>", headers={"Content-Encoding": "gzip"})
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED and result.error == "corrupt gzip body"


def test_gzip_bomb_stops_at_the_cap(local_site: LocalSite) -> None:
    bomb = gzip.compress(bytes(10 * MB), 9)  # 10 KB on the wire
    local_site.route("/", bomb, headers={"Content-Encoding": "gzip"})
    config = replace(CFG, max_bytes=MB)
    result = fetch(local_site.url("/"), config)
    assert result.outcome is Outcome.FAILED and result.error == "body larger than 1 MB limit"
    assert result.body == b""


def _endless_gzip(ex: Exchange) -> None:
    """A gzip stream of zeros made on the fly until the client hangs up (nominally 4 GB)."""
    ex.send_head(200, {"Content-Encoding": "gzip"}, chunked=True)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    for _ in range(4096):
        ex.write(compressor.compress(zeros))
    ex.write(compressor.flush())


def test_streamed_gzip_bomb_never_inflates_memory(local_site: LocalSite) -> None:
    local_site.route("/", handler=_endless_gzip)
    config = replace(CFG, max_bytes=MB)
    tracemalloc.start()
    try:
        result = fetch(local_site.url("/"), config)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome is Outcome.FAILED and result.error == "body larger than 1 MB limit"
    # cap + a few pieces of bookkeeping; the bomb itself would be gigabytes.
    assert peak < 8 * MB


def test_decoder_never_holds_more_than_cap_plus_a_piece() -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    decoder = BodyDecoder("gzip", max_bytes=MB)
    with pytest.raises(BodyTooLarge):
        for _ in range(1000):
            decoder.feed(compressor.compress(bytes(MB)))
            assert decoder._size <= MB
    assert decoder._size <= MB and decoder._body.tell() <= MB + PIECE


def test_huge_declared_body_is_refused_before_reading(local_site: LocalSite) -> None:
    def claims_100_mb(ex: Exchange) -> None:
        ex.send_head(200, content_length=100 * MB)
        ex.sleep(30)  # reading would hit the deadline instead of the cap

    local_site.route("/", handler=claims_100_mb)
    config = replace(CFG, max_bytes=MB, deadline=20)
    result = fetch(local_site.url("/"), config)
    assert result.outcome is Outcome.FAILED and result.error == "body larger than 1 MB limit"


def test_huge_chunked_body_stops_at_the_cap(local_site: LocalSite) -> None:
    def endless(ex: Exchange) -> None:
        ex.send_head(200, chunked=True)
        block = b"a" * 65536
        for _ in range(100_000):  # 6 GB if nobody stopped reading
            ex.write(block)

    local_site.route("/", handler=endless)
    config = replace(CFG, max_bytes=2 * MB)
    result = fetch(local_site.url("/"), config)
    assert result.outcome is Outcome.FAILED and result.error == "body larger than 2 MB limit"


def test_body_exactly_at_the_cap_is_kept(local_site: LocalSite) -> None:
    local_site.route("/", b"z" * MB, content_type="text/plain")
    config = replace(CFG, max_bytes=MB)
    result = fetch(local_site.url("/"), config)
    assert result.outcome is Outcome.OK and len(result.body) == MB


# --- concurrency --------------------------------------------------------------------------


def _track_in_flight(site: LocalSite, path: str) -> dict[str, int]:
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def handler(ex: Exchange) -> None:
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        ex.sleep(0.15)
        with lock:
            state["now"] -= 1
        ex.respond(200, b"ok")

    site.route(path, handler=handler)
    return state


async def _fetch_all(config: FetchConfig, urls: list[str]) -> list[FetchResult]:
    async with Fetcher(config) as fetcher:
        return await asyncio.gather(*(fetcher.fetch(u) for u in urls))


def test_per_host_and_overall_limits(local_site: LocalSite) -> None:
    state = _track_in_flight(local_site, "/slow")
    per_host = replace(CFG, per_host_concurrency=2, concurrency=10)
    results = asyncio.run(_fetch_all(per_host, [local_site.url(f"/slow?{i}") for i in range(6)]))
    assert all(r.outcome is Outcome.OK for r in results)
    assert state["peak"] == 2

    state = _track_in_flight(local_site, "/slow")
    overall = replace(CFG, per_host_concurrency=5, concurrency=3)
    hosts = [f"http://127.0.0.1:{local_site.port}", f"http://localhost:{local_site.port}"]
    urls = [f"{hosts[i % 2]}/slow?{i}" for i in range(8)]
    results = asyncio.run(_fetch_all(overall, urls))
    assert all(r.outcome is Outcome.OK for r in results)
    assert state["peak"] == 3


def test_slots_are_released_while_waiting_to_retry(local_site: LocalSite) -> None:
    local_site.sequence("/a", [Response(503, headers={"Retry-After": "1"}), Response(200, b"a")])
    local_site.route("/b", b"b")
    config = replace(CFG, concurrency=1, per_host_concurrency=1)

    async def go() -> list[FetchResult]:
        async with Fetcher(config) as fetcher:
            first = asyncio.create_task(fetcher.fetch(local_site.url("/a")))
            while local_site.hits("/a") == 0:
                await asyncio.sleep(0.01)
            second = await fetcher.fetch(local_site.url("/b"))
            return [await first, second]

    results = asyncio.run(go())
    assert [r.outcome for r in results] == [Outcome.OK, Outcome.OK]
    # /b was served while /a waited out its Retry-After with no slot held.
    assert [r.path for r in local_site.requests()] == ["/a", "/b", "/a"]
