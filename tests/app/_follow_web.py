"""The web a followed list lives on, for the `follow` tests: a local TLS server plays
github.com and raw.githubusercontent.com (reached through a CONNECT proxy, its certificate
trusted through SSL_CERT_FILE), and a plain local server plays every http:// host (the
articles and other lists, through a forward proxy). The address guard stays on:
LINKVAULT_ALLOW_PRIVATE=false, and only the proxies are on 127.0.0.1."""

from __future__ import annotations

import hashlib
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import pages
from tests.support.site import Exchange, ForwardProxy, LocalSite
from tests.support.tunnel import TunnelProxy

ARTICLES = "http://articles.example"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for github.com and raw.githubusercontent.com."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=github.com",
         "-addext", "subjectAltName=DNS:github.com,DNS:raw.githubusercontent.com"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class ListFile:
    """A list served with an ETag, answering If-None-Match with 304; `seen` keeps the
    conditional header of every request. With `last_modified` instead: a Last-Modified
    date, If-Modified-Since answered (any date sent back means "not changed since")."""

    def __init__(
        self,
        text: str,
        content_type: str = "text/plain; charset=utf-8",
        *,
        last_modified: str | None = None,
    ) -> None:
        self.text = text
        self.content_type = content_type
        self.last_modified = last_modified
        self.seen: list[str | None] = []
        self.not_modified = 0

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.text.encode()).hexdigest()[:16] + '"'

    def __call__(self, ex: Exchange) -> None:
        if self.last_modified is not None:
            self._by_date(ex, self.last_modified)
            return
        asked = ex.request.headers.get("if-none-match")
        self.seen.append(asked)
        if asked == self.etag:
            self.not_modified += 1
            ex.respond(304, headers={"ETag": self.etag}, content_type=None)
            return
        ex.respond(
            200, self.text.encode(), headers={"ETag": self.etag}, content_type=self.content_type
        )

    def _by_date(self, ex: Exchange, date: str) -> None:
        asked = ex.request.headers.get("if-modified-since")
        self.seen.append(asked)
        if asked == date:
            self.not_modified += 1
            ex.respond(304, content_type=None)
            return
        headers = {"Last-Modified": date}
        ex.respond(200, self.text.encode(), headers=headers, content_type=self.content_type)


@dataclass
class Web:
    articles: LocalSite  # every http:// host
    github: LocalSite  # github.com and raw.githubusercontent.com, over TLS
    plain_proxy: ForwardProxy
    tunnel: TunnelProxy
    cert: Path

    def env(self) -> dict[str, str]:
        """For a `linkvault` process (or monkeypatch.setenv): proxies, trust, the guard on."""
        return {
            "HTTP_PROXY": self.plain_proxy.base_url,
            "http_proxy": self.plain_proxy.base_url,
            "HTTPS_PROXY": self.tunnel.base_url,
            "https_proxy": self.tunnel.base_url,
            "NO_PROXY": "",
            "no_proxy": "",
            "ALL_PROXY": "",
            "all_proxy": "",
            "SSL_CERT_FILE": str(self.cert),
            "LINKVAULT_ALLOW_PRIVATE": "false",
        }

    def article(self, name: str) -> str:
        """Serves an article at http://articles.example/NAME; its URL."""
        title = name.title()
        self.articles.route(f"/{name}", pages.article(title, pages.filler(name)).encode())
        return f"{ARTICLES}/{name}"


def serve_web(folder: Path) -> Iterator[Web]:
    """The servers, started; stopped when the generator ends (use as a fixture's body)."""
    cert, key = make_certificate(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with (
        LocalSite() as articles,
        LocalSite(tls=context) as github,
        ForwardProxy(articles) as plain_proxy,
        TunnelProxy(github) as tunnel,
    ):
        yield Web(articles, github, plain_proxy, tunnel, cert)
