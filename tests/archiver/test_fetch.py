"""Fetcher against real local servers: pages, headers, statuses, retries, timeouts and TLS.
(test_fetch_redirects.py has redirects, test_fetch_limits.py encodings, size and
concurrency limits, test_guard.py the guard and the proxy.)"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from archiver import __version__
from archiver.fetch import Fetcher, FetchResult, Outcome
from tests.archiver._helpers import CFG, fetch
from tests.support.site import Exchange, LocalSite, Response

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
