"""Fetcher against real local servers: statuses, retries, redirects, limits, guard and proxy."""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
import threading
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from archiver import __version__
from archiver._content_encoding import PIECE, BodyDecoder, BodyTooLarge
from archiver.config import FetchConfig
from archiver.fetch import Fetcher, FetchResult, Outcome
from tests.support.site import Exchange, LocalSite, Response

# Private addresses allowed: the test server lives on 127.0.0.1.
CFG = FetchConfig(
    allow_private=True,
    connect_timeout=2,
    read_timeout=2,
    deadline=3,
    retry_backoff=0.01,
    max_retries=2,
)
GUARDED = FetchConfig(connect_timeout=2, read_timeout=2, deadline=3, retry_backoff=0.01)
MB = 1024 * 1024


def fetch(url: str, config: FetchConfig = CFG, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(config, resolver=kwargs.pop("resolver", None)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def fake_dns(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    """A resolver for names that must never reach real DNS in tests."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


# --- plain fetching --------------------------------------------------------------------


def test_html_page(local_site: LocalSite) -> None:
    local_site.route("/", b"<html><p>hello</p></html>", headers={"X-Thing": "1"})
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.error is None
    assert result.http_status == 200 and result.attempts == 1
    assert result.body == b"<html><p>hello</p></html>"
    assert (result.content_type, result.charset) == ("text/html", "utf-8")
    assert result.final_url == result.url and result.redirects == []
    assert result.headers["x-thing"] == "1"


def test_request_headers_name_linkvault_and_look_like_a_reader(local_site: LocalSite) -> None:
    local_site.route("/", b"ok")
    fetch(local_site.url("/"))
    headers = local_site.requests("/")[0].headers
    assert f"linkvault/{__version__}" in headers["user-agent"]
    assert "text/html" in headers["accept"]
    assert headers["accept-language"].startswith("en")
    assert headers["accept-encoding"] == "gzip, deflate"


def test_connections_are_kept_alive_between_pages(local_site: LocalSite) -> None:
    local_site.route("/one", b"1")
    local_site.route("/two", b"2")

    async def go() -> list[FetchResult]:
        async with Fetcher(CFG) as fetcher:
            return [await fetcher.fetch(local_site.url(p)) for p in ("/one", "/two")]

    assert [r.body for r in asyncio.run(go())] == [b"1", b"2"]
    assert len({r.client for r in local_site.requests()}) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('text/html; charset="ISO-8859-1"', ("text/html", "iso-8859-1")),
        ("TEXT/Plain;Charset=UTF-8", ("text/plain", "utf-8")),
        ("application/pdf", ("application/pdf", None)),
        ("text/html; charset=", ("text/html", None)),
        (None, (None, None)),
    ],
)
def test_content_type_and_charset(
    local_site: LocalSite, header: str | None, expected: tuple[str | None, str | None]
) -> None:
    local_site.route("/", b"body", content_type=header)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK
    assert (result.content_type, result.charset) == expected


def test_binary_image_is_ok_with_its_type(local_site: LocalSite) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    local_site.route("/logo.png", png, content_type="image/png")
    result = fetch(local_site.url("/logo.png"))
    assert result.outcome is Outcome.OK
    assert result.content_type == "image/png" and result.charset is None
    assert result.body == png


def test_conditional_request_not_modified(local_site: LocalSite) -> None:
    def handler(ex: Exchange) -> None:
        if ex.request.headers.get("if-none-match") == '"v1"':
            ex.respond(304, content_type=None)
        else:
            ex.respond(200, b"<p>page</p>", headers={"ETag": '"v1"'})

    local_site.route("/", handler=handler)
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    result = fetch(local_site.url("/"), etag='"v1"', last_modified=stamp)
    assert result.outcome is Outcome.OK and result.not_modified
    assert result.http_status == 304 and result.body == b""
    sent = local_site.requests("/")[0].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == stamp
    fresh = fetch(local_site.url("/"), etag='"v0"')
    assert fresh.outcome is Outcome.OK and not fresh.not_modified and fresh.body == b"<p>page</p>"


def test_unasked_304_is_a_failure(local_site: LocalSite) -> None:
    local_site.route("/", status=304, content_type=None)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED and result.error == "HTTP 304 Not Modified"


# --- redirects --------------------------------------------------------------------------


def test_redirect_chain_is_followed(local_site: LocalSite) -> None:
    local_site.redirect("/old", "new?x=1", status=301)  # relative
    local_site.redirect("/new", local_site.url("/final"), status=307)
    local_site.route("/final", b"<p>arrived</p>")
    result = fetch(local_site.url("/old"))
    assert result.outcome is Outcome.OK and result.body == b"<p>arrived</p>"
    assert result.final_url == local_site.url("/final")
    assert result.redirects == [local_site.url("/new?x=1"), local_site.url("/final")]
    assert [local_site.hits(p) for p in ("/old", "/new", "/final")] == [1, 1, 1]


def test_redirect_loop_fails(local_site: LocalSite) -> None:
    local_site.redirect("/a", "/b")
    local_site.redirect("/b", "/a")
    result = fetch(local_site.url("/a"))
    assert result.outcome is Outcome.FAILED and result.error == "redirect loop"
    assert local_site.hits() == 2


def test_self_redirect_that_sets_a_cookie_is_not_a_loop(local_site: LocalSite) -> None:
    def cookie_wall(ex: Exchange) -> None:
        if "seen=1" in ex.request.headers.get("cookie", ""):
            ex.respond(200, b"<p>behind the wall</p>")
        else:
            ex.respond(302, headers={"Location": "/wall", "Set-Cookie": "seen=1; Path=/"})

    local_site.route("/wall", handler=cookie_wall)
    result = fetch(local_site.url("/wall"))
    assert result.outcome is Outcome.OK and result.body == b"<p>behind the wall</p>"


def test_too_many_redirects(local_site: LocalSite) -> None:
    for i in range(6):
        local_site.redirect(f"/r{i}", f"/r{i + 1}")
    config = replace(CFG, max_redirects=3)
    result = fetch(local_site.url("/r0"), config)
    assert result.outcome is Outcome.FAILED
    assert result.error == "too many redirects (more than 3)"
    assert local_site.hits() == 4 and local_site.hits("/r4") == 0


def test_redirect_to_a_host_that_does_not_exist(local_site: LocalSite) -> None:
    local_site.redirect("/moved", "http://gone.example.test/new-home")
    result = fetch(local_site.url("/moved"), resolver=fake_dns({}))
    assert result.outcome is Outcome.DEAD and result.error == "host not found"
    assert result.final_url == "http://gone.example.test/new-home"
    assert result.http_status is None


def test_a_resolver_that_is_down_is_not_a_dead_host(local_site: LocalSite) -> None:
    async def resolver_down(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    local_site.redirect("/moved", "http://elsewhere.example.test/new-home")
    result = fetch(local_site.url("/moved"), resolver=resolver_down)
    assert result.outcome is Outcome.FAILED
    assert result.error == "DNS lookup failed (temporary)"


def test_redirect_to_non_http_scheme_is_blocked(local_site: LocalSite) -> None:
    local_site.redirect("/", "file:///etc/passwd")
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.BLOCKED and "file:" in (result.error or "")


# --- statuses and retries ----------------------------------------------------------------


@pytest.mark.parametrize(("status", "error"), [(404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone")])
def test_gone_pages_are_dead_without_retry(local_site: LocalSite, status: int, error: str) -> None:
    local_site.route("/", b"gone", status=status)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.DEAD and result.error == error
    assert result.http_status == status and result.body == b""
    assert local_site.hits("/") == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, "HTTP 400 Bad Request"), (403, "HTTP 403 Forbidden"), (451, "HTTP 451")],
)
def test_other_client_errors_fail_without_retry(
    local_site: LocalSite, status: int, error: str
) -> None:
    local_site.route("/", b"no", status=status)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED and (result.error or "").startswith(error)
    assert local_site.hits("/") == 1


def test_429_with_retry_after_then_ok(local_site: LocalSite) -> None:
    local_site.sequence(
        "/", [Response(429, headers={"Retry-After": "1"}), Response(200, b"<p>finally</p>")]
    )
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.attempts == 2
    assert result.body == b"<p>finally</p>"


def test_retry_after_as_http_date(local_site: LocalSite) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    local_site.sequence("/", [Response(503, headers={"Retry-After": soon}), Response(200, b"ok")])
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.attempts == 2


def test_retry_after_beyond_the_cap_gives_up_at_once(local_site: LocalSite) -> None:
    local_site.route("/", b"slow down", status=429, headers={"Retry-After": "120"})
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED
    assert result.error == "rate limited (Retry-After 120 s)"
    assert local_site.hits("/") == 1


def test_503_twice_then_ok(local_site: LocalSite) -> None:
    local_site.sequence("/", [Response(503), Response(503), Response(200, b"up")])
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.attempts == 3 and result.body == b"up"


def test_500_forever_fails_after_all_retries(local_site: LocalSite) -> None:
    local_site.route("/", b"boom", status=500)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED
    assert result.error == "HTTP 500 Internal Server Error"
    assert result.attempts == CFG.max_retries + 1 == local_site.hits("/")


def test_dropped_connection_is_retried_then_fails(local_site: LocalSite) -> None:
    local_site.route("/", handler=lambda ex: ex.drop())
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED and result.error == "connection closed by server"
    assert local_site.hits("/") == CFG.max_retries + 1


def test_dropped_connection_then_success(local_site: LocalSite) -> None:
    local_site.sequence("/", [lambda ex: ex.drop(reset=True), Response(200, b"second try")])
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.attempts == 2 and result.body == b"second try"


@pytest.mark.parametrize("reset", [False, True])
def test_connection_dropped_mid_body(local_site: LocalSite, reset: bool) -> None:
    def half(ex: Exchange) -> None:
        ex.send_head(200, content_length=1000)
        ex.write(b"x" * 300)
        ex.drop(reset=reset)

    local_site.route("/", handler=half)
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.FAILED and result.body == b""
    assert result.error in (
        "connection closed by server before the body was complete",
        "connection reset by server",
    )
    assert local_site.hits("/") == CFG.max_retries + 1


def test_stalled_body_ends_at_the_deadline(local_site: LocalSite) -> None:
    def stall(ex: Exchange) -> None:
        ex.send_head(200, content_length=1000)
        ex.write(b"<p>start")
        ex.sleep(30)

    local_site.route("/", handler=stall)
    config = replace(CFG, read_timeout=30, deadline=1)
    result = fetch(local_site.url("/"), config)
    # The message names the 1 s deadline: the 30 s read timeout did not end the fetch.
    assert result.outcome is Outcome.FAILED and result.error == "timed out after 1 s"


def test_slow_trickle_cannot_outlast_the_deadline(local_site: LocalSite) -> None:
    def trickle(ex: Exchange) -> None:
        ex.send_head(200, content_length=100)
        ex.trickle(b"x" * 100, interval=0.1)  # never idle long enough for the read timeout

    local_site.route("/", handler=trickle)
    config = replace(CFG, read_timeout=1, deadline=1.5)
    result = fetch(local_site.url("/"), config)
    assert result.outcome is Outcome.FAILED and result.error == "timed out after 1.5 s"


def test_slow_trickle_within_the_deadline_is_fine(local_site: LocalSite) -> None:
    local_site.route("/", handler=lambda ex: _chunked_trickle(ex, b"<p>slow</p>", 0.02))
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.OK and result.body == b"<p>slow</p>"


def _chunked_trickle(ex: Exchange, data: bytes, interval: float) -> None:
    ex.send_head(200, chunked=True)
    ex.trickle(data, interval)
    ex.end()


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


# --- TLS ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_site(certificate: tuple[Path, Path]) -> Iterator[LocalSite]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with LocalSite(tls=context) as site:
        site.route("/", b"<p>secure</p>")
        yield site


def test_untrusted_certificate_fails_readably(tls_site: LocalSite) -> None:
    result = fetch(tls_site.url("/"))
    assert result.outcome is Outcome.FAILED
    assert (result.error or "").startswith("TLS certificate verification failed: self")


def test_ssl_cert_file_is_honoured(
    tls_site: LocalSite, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    result = fetch(tls_site.url("/"))
    assert result.outcome is Outcome.OK and result.body == b"<p>secure</p>"
