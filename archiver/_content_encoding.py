"""Reading what a server sent: bounded Content-Encoding decoding and header parsing.

httpx would decode for us, but without a bound on the expanded size; here every zlib call is
limited with max_length and the output is counted as it is produced.
"""

from __future__ import annotations

import email.utils
import http
import io
import math
import zlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import httpx

# Largest piece one decompress call may produce; the body holds at most cap + this.
PIECE = 64 * 1024
_ALIASES = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}
_IDENTITY = {"", "identity", "none"}


class BodyTooLarge(Exception):
    """The decoded body would exceed the cap."""


class CorruptBody(Exception):
    """The body does not decode at all with its declared encoding."""


class UnsupportedEncoding(Exception):
    """A Content-Encoding linkvault cannot decode (br, zstd, compress, or garbage)."""


def parse_encodings(header: str | None) -> list[str]:
    """Encodings in the order the server applied them, identity dropped."""
    encodings = []
    for token in (header or "").split(","):
        name = token.strip().lower()
        if name in _IDENTITY:
            continue
        if name not in _ALIASES:
            raise UnsupportedEncoding(f"unsupported content encoding {name!r}")
        encodings.append(_ALIASES[name])
    return encodings


def _looks_like_zlib(head: bytes) -> bool:
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


class _Inflater:
    """One gzip or deflate layer, producing pieces of at most PIECE bytes."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.finished = False
        self.produced = 0
        self._d: zlib._Decompress | None = None
        self._head = b""

    def _new(self, head: bytes) -> zlib._Decompress:
        if self.kind == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # "deflate" means zlib-wrapped, but many servers send raw deflate streams.
        return zlib.decompressobj(zlib.MAX_WBITS if _looks_like_zlib(head) else -zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.finished or not data:
            return
        if self._d is None:
            data = self._head + data
            if self.kind == "deflate" and len(data) < 2:
                self._head = data
                return
            self._head = b""
            self._d = self._new(data)
        elif self._d.eof and not self._next_member(data):
            return
        while True:
            try:
                out = self._d.decompress(data, PIECE)
            except zlib.error:
                self._broken()
                return
            data = self._d.unconsumed_tail
            if out:
                self.produced += len(out)
                yield out
            if self._d.eof:
                data = self._d.unused_data
                if data and self._next_member(data):
                    continue
                return
            if not data and len(out) < PIECE:
                return

    def _next_member(self, data: bytes) -> bool:
        # Concatenated gzip members make one body; anything else after the end is
        # trailing junk some servers append, ignored as browsers do.
        if self.kind == "gzip" and data[:1] == b"\x1f":
            self._d = self._new(data)
            return True
        self.finished = True
        return False

    def drain(self, upstream: Iterable[bytes]) -> Iterator[bytes]:
        """Feed the last pieces, then judge a body that ended early."""
        for piece in upstream:
            yield from self.feed(piece)
        if self._d is None:
            if self._head:
                self._broken()
        elif not self.finished and not self._d.eof:
            self._broken()

    def _broken(self) -> None:
        # Keep what decoded before a bad CRC or a truncated end, as browsers show it;
        # a body that yields nothing at all is corrupt.
        if self.produced:
            self.finished = True
            return
        raise CorruptBody(f"corrupt {self.kind} body")


def _through(layer: _Inflater, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from layer.feed(piece)


class BodyDecoder:
    """Feed raw chunks as they arrive; raises BodyTooLarge as soon as the cap is passed."""

    def __init__(self, content_encoding: str | None, max_bytes: int) -> None:
        # Encodings are listed in the order applied, so they are undone last-first.
        self._layers = [_Inflater(kind) for kind in reversed(parse_encodings(content_encoding))]
        self._max = max_bytes
        # Compressed input far beyond the cap is junk (empty deflate blocks, endless trailers).
        self._max_raw = 2 * max_bytes + PIECE
        self._raw = 0
        self._size = 0
        # BytesIO hands its buffer over without a copy at the end, unlike bytearray -> bytes.
        self._body = io.BytesIO()

    @property
    def finished(self) -> bool:
        """True when the encoded stream has ended and further input would be ignored."""
        return bool(self._layers) and self._layers[0].finished

    def feed(self, chunk: bytes) -> None:
        self._raw += len(chunk)
        if self._raw > self._max_raw:
            raise BodyTooLarge
        pieces: Iterable[bytes] = (chunk,)
        for layer in self._layers:
            pieces = _through(layer, pieces)
        for piece in pieces:
            self._append(piece)

    def finish(self) -> bytes:
        pieces: Iterable[bytes] = ()
        for layer in self._layers:
            pieces = layer.drain(pieces)
        for piece in pieces:
            self._append(piece)
        return self._body.getvalue()

    def _append(self, piece: bytes) -> None:
        if self._size + len(piece) > self._max:
            raise BodyTooLarge
        self._size += len(piece)
        self._body.write(piece)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(mime type lowercased, charset) from a Content-Type header."""
    if not value:
        return None, None
    # A duplicated header arrives comma-joined; like browsers, the last usable one wins.
    parts = [p for p in value.split(",") if "/" in p.partition(";")[0]] or [value]
    mime, _, params = parts[-1].partition(";")
    charset = None
    for param in params.split(";"):
        name, _, val = param.partition("=")
        if name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip().lower() or None
    return mime.strip().lower() or None, charset


def parse_content_length(headers: httpx.Headers) -> int | None:
    try:
        return int(headers.get("content-length", "").split(",")[0].strip())
    except ValueError:
        return None


def status_text(status: int, reason: str) -> str:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = reason.strip()[:60]
    return f"HTTP {status} {phrase}".rstrip()


# Phrases proxies (Squid, nginx, Apache, Go, Python, Privoxy...) put in their error pages
# when the name of the site does not resolve.
_NO_SUCH_HOST = (
    "name or service not known",
    "no such host",
    "nodename nor servname",
    "could not resolve",
    "couldn't resolve",
    "cannot resolve",
    "unable to resolve",
    "dns lookup fail",
    "dns_fail",
    "no such domain",
    "host not found",
    "unknown host",
    "name resolution",
    "nxdomain",
    "no address associated with hostname",
    "getaddrinfo",
)


def proxy_says_host_unknown(headers: httpx.Headers, body: bytes) -> bool:
    """Whether a proxy's 5xx reply says the target's name does not resolve."""
    if headers.get("x-squid-error", "").upper().startswith("ERR_DNS_FAIL"):
        return True
    text = body.decode("latin-1").lower()
    return any(phrase in text for phrase in _NO_SUCH_HOST)


async def peek(response: httpx.Response, limit: int = 8192) -> bytes:
    """The start of an error page, or nothing if it is compressed or does not come."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return b""
    head = b""
    try:
        async for chunk in response.aiter_raw():
            head += chunk
            if len(head) >= limit:
                break
    except httpx.HTTPError:
        pass
    return head[:limit]
