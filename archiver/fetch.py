"""Fetch one page politely and safely: guarded, bounded, retried, and never raising.

One module of about 400 lines on purpose: the redirect loop, the retries with their
back-off, the per-host slots and the reading of a failure as an outcome all work on one
fetch's state (`_Run`) and answer in one `Outcome`; split, each part would need the others'
internals. What stands on its own is already apart: the address guard (_guard.py) and the
bounded Content-Encoding decoding (_content_encoding.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType

import httpx

from archiver import _guard
from archiver._content_encoding import (
    BodyDecoder,
    BodyTooLarge,
    CorruptBody,
    UnsupportedEncoding,
    parse_content_length,
    parse_content_type,
    parse_retry_after,
    peek,
    proxy_says_host_unknown,
    status_text,
)
from archiver.config import FetchConfig
from archiver.outage import NAME_RESOLUTION, exception_chain, network_failure

__all__ = ["FetchResult", "Fetcher", "Outcome", "check_url_allowed"]

log = logging.getLogger(__name__)

_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,"
    "text/plain;q=0.8,application/pdf;q=0.8,*/*;q=0.5"
)
_ACCEPT_LANGUAGE = "en-US,en;q=0.9,*;q=0.5"
# Only what _content_encoding can bound; br/zstd would need extra packages.
_ACCEPT_ENCODING = "gzip, deflate"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEAD = frozenset({404, 410})
# Statuses that may pass if asked again; 52x are Cloudflare's origin failures.
_RETRY = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524, 529})


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    DEAD = "dead"
    BLOCKED = "blocked"


@dataclass(slots=True)
class FetchResult:
    url: str
    final_url: str
    outcome: Outcome
    http_status: int | None
    content_type: str | None
    charset: str | None
    headers: dict[str, str]
    body: bytes
    error: str | None
    redirects: list[str]
    attempts: int
    not_modified: bool = False
    # Set when no server was reached at all (see archiver/outage.py): what the outage check
    # (archiver/outage.py) counts, since a local outage looks like this on every host.
    network_failure: str | None = None


def check_url_allowed(url: str, allow_private: bool) -> str | None:
    """Why the URL is refused before any request (scheme, IP literal, local name), or None."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return "invalid URL"
    if parsed.scheme not in ("http", "https"):
        return f"{parsed.scheme}: URLs are not fetched" if parsed.scheme else "URL has no scheme"
    if not parsed.host:
        return "URL has no host"
    return _guard.check_host(parsed.host, allow_private)


@dataclass(slots=True)
class _Reply:
    status: int
    reason: str
    headers: httpx.Headers
    body: bytes = b""
    error: str | None = None
    proxied: bool = False


@dataclass(slots=True)
class _Run:
    """State of one fetch across redirects and retries."""

    result: FetchResult
    headers: dict[str, str]
    budget: asyncio.Timeout
    deadline: float
    max_bytes: int
    retries: int = 0
    visited: set[str] = field(default_factory=set)
    network_failure: str | None = None  # of the last attempt, while no server has answered

    def start_clock(self) -> None:
        # The deadline counts from the first slot granted, not from time spent queueing.
        if self.budget.when() is None:
            self.budget.reschedule(asyncio.get_running_loop().time() + self.deadline)

    def time_left(self) -> float:
        when = self.budget.when()
        return self.deadline if when is None else when - asyncio.get_running_loop().time()

    def finish(self, outcome: Outcome, error: str | None = None) -> FetchResult:
        self.result.outcome = outcome
        self.result.error = error
        if outcome is not Outcome.OK:
            self.result.body = b""
        return self.result


class Fetcher:
    """One httpx client, its limits and its guard; use as an async context manager."""

    def __init__(self, config: FetchConfig, *, resolver: _guard.Resolver | None = None) -> None:
        # resolver replaces the system getaddrinfo for direct connections (tests, custom DNS).
        self._config = config
        self._overall = asyncio.Semaphore(config.concurrency)
        self._per_host: weakref.WeakValueDictionary[str, asyncio.Semaphore] = (
            weakref.WeakValueDictionary()
        )
        self._client = httpx.AsyncClient(
            trust_env=True,  # HTTP(S)_PROXY, ALL_PROXY, NO_PROXY, SSL_CERT_FILE, as curl does
            follow_redirects=False,  # every hop goes through the guard
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=None,  # the semaphores and the deadline bound waiting
            ),
            limits=httpx.Limits(
                max_connections=None, max_keepalive_connections=max(config.concurrency, 8)
            ),
            headers={
                "User-Agent": config.user_agent,
                "Accept": _ACCEPT,
                "Accept-Language": _ACCEPT_LANGUAGE,
                "Accept-Encoding": _ACCEPT_ENCODING,
            },
        )
        _guard.install(self._client, config.allow_private, resolver or _guard.system_resolve)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> FetchResult:
        """Fetch url; every failure the web can produce comes back as a FetchResult.

        max_bytes replaces the configured page limit for this fetch (a figure's image)."""
        result = FetchResult(url, url, Outcome.FAILED, None, None, None, {}, b"", None, [], 0)
        refusal = check_url_allowed(url, self._config.allow_private)
        if refusal:
            result.outcome, result.error = Outcome.BLOCKED, refusal
            return result
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        budget = asyncio.timeout(None)
        cap = self._config.max_bytes if max_bytes is None else max_bytes
        run = _Run(result, conditional, budget, self._config.deadline, cap, visited={_key(url)})
        try:
            async with budget:
                await self._follow(run, url)
        except TimeoutError:
            if result.http_status is None:
                # The deadline ran out between attempts that could not connect at all.
                result.network_failure = run.network_failure
            return run.finish(Outcome.FAILED, f"timed out after {_secs(run.deadline)} s")
        except Exception as exc:  # a bug here must not end a whole archiving run
            log.exception("unexpected error fetching %s", url)
            return run.finish(Outcome.FAILED, f"unexpected error ({type(exc).__name__})")
        return result

    async def _follow(self, run: _Run, url: str) -> FetchResult:
        result, config = run.result, self._config
        while True:
            try:
                reply = await self._exchange(run, url)
            except Exception as exc:
                outcome, reason, retry = _describe(exc)
                run.network_failure = network_failure(exc, self._via_proxy(httpx.URL(url)))
                if retry and await self._backoff(run, reason) is None:
                    continue
                # Report the hop that failed, not the redirect that led there.
                result.final_url, result.http_status, result.headers = url, None, {}
                result.content_type = result.charset = None
                result.network_failure = run.network_failure
                return run.finish(outcome, reason)
            status = reply.status
            result.final_url, result.http_status = url, status
            result.headers = {name.lower(): value for name, value in reply.headers.items()}
            result.content_type, result.charset = parse_content_type(
                reply.headers.get("content-type")
            )
            if status in _REDIRECTS and "location" in reply.headers:
                try:
                    target = str(httpx.URL(url).join(reply.headers["location"].strip()))
                except (httpx.InvalidURL, ValueError):
                    return run.finish(Outcome.FAILED, "invalid redirect location")
                refusal = check_url_allowed(target, config.allow_private)
                if refusal:
                    return run.finish(Outcome.BLOCKED, f"redirect blocked: {refusal}")
                # A hop back to a seen URL is a loop, unless it sets a cookie first (cookie walls).
                if _key(target) in run.visited and "set-cookie" not in reply.headers:
                    return run.finish(Outcome.FAILED, "redirect loop")
                if len(result.redirects) >= config.max_redirects:
                    return run.finish(
                        Outcome.FAILED, f"too many redirects (more than {config.max_redirects})"
                    )
                run.visited.add(_key(target))
                result.redirects.append(target)
                url = target
                continue
            if 200 <= status < 300:
                result.body = reply.body
                return run.finish(Outcome.FAILED if reply.error else Outcome.OK, reply.error)
            if status == 304 and run.headers:
                result.not_modified = True
                return run.finish(Outcome.OK)
            reason = status_text(status, reply.reason)
            if status in _DEAD:
                return run.finish(Outcome.DEAD, reason)
            if reply.proxied and proxy_says_host_unknown(reply.headers, reply.body):
                result.network_failure = NAME_RESOLUTION
                return run.finish(Outcome.DEAD, "host not found")
            if status in _RETRY:
                wait = parse_retry_after(reply.headers.get("retry-after"))
                give_up = await self._backoff(run, reason, wait, rate_limited=status == 429)
                if give_up is None:
                    continue
                return run.finish(Outcome.FAILED, give_up)
            return run.finish(Outcome.FAILED, reason)

    async def _exchange(self, run: _Run, url: str) -> _Reply:
        request = self._client.build_request("GET", url, headers=run.headers)
        async with self._slots(request.url.host, run):
            run.result.attempts = run.retries + 1
            response = await self._client.send(request, stream=True)
            try:
                reply = _Reply(response.status_code, response.reason_phrase, response.headers)
                if 200 <= response.status_code < 300:
                    await self._read_body(response, reply, run.max_bytes)
                elif response.status_code == 304:
                    # Bodiless by definition; reading its end is what lets the connection be
                    # reused, and a refresh is mostly 304s to the same few hosts.
                    await response.aread()
                elif response.status_code >= 500 and self._via_proxy(request.url):
                    # The proxy resolves names, so only its error page can tell "no such host".
                    reply.proxied = True
                    reply.body = await peek(response)
            finally:
                await response.aclose()
        return reply

    def _via_proxy(self, url: httpx.URL) -> bool:
        # httpx's own routing (env proxies minus NO_PROXY); it has no public API for this.
        return self._client._transport_for_url(url) is not self._client._transport

    @contextlib.asynccontextmanager
    async def _slots(self, host: str, run: _Run) -> AsyncIterator[None]:
        host_slots = self._per_host.get(host)
        if host_slots is None:
            host_slots = asyncio.Semaphore(self._config.per_host_concurrency)
            self._per_host[host] = host_slots
        # Per-host first, so a queue for one busy host does not sit on overall slots.
        async with host_slots, self._overall:
            run.start_clock()
            yield

    async def _read_body(self, response: httpx.Response, reply: _Reply, cap: int) -> None:
        too_large = f"body larger than {_size(cap)} limit"
        length = parse_content_length(response.headers)
        if length is not None and length > cap:
            reply.error = too_large
            return
        try:
            decoder = BodyDecoder(response.headers.get("content-encoding"), cap)
            # Raw bytes: httpx would decompress without any bound.
            async for chunk in response.aiter_raw():
                decoder.feed(chunk)
                if decoder.finished:
                    break
            reply.body = decoder.finish()
        except BodyTooLarge:
            reply.error = too_large
        except (CorruptBody, UnsupportedEncoding) as exc:
            reply.error = str(exc)

    async def _backoff(
        self,
        run: _Run,
        reason: str,
        retry_after: float | None = None,
        *,
        rate_limited: bool = False,
    ) -> str | None:
        """Sleep before the next attempt (slots released); or return the error to give up with."""
        config = self._config
        if run.retries >= config.max_retries:
            return reason
        delay = config.retry_backoff * 2**run.retries * random.uniform(0.5, 1.5)
        left = run.time_left()
        if retry_after is not None:
            if retry_after > config.max_retry_after or retry_after >= left:
                what = "rate limited" if rate_limited else reason
                return f"{what} (Retry-After {_secs(retry_after)} s)"
            delay = max(delay, retry_after)
        if delay >= left:
            return reason
        run.retries += 1
        log.debug("retrying %s in %.2f s: %s", run.result.url, delay, reason)
        await asyncio.sleep(delay)
        return None


def _key(url: str) -> str:
    return str(httpx.URL(url).copy_with(fragment=None))


def _describe(exc: Exception) -> tuple[Outcome, str, bool]:
    """(outcome, short reason, worth retrying) for an exception from one exchange."""
    for cause in exception_chain(exc):
        if isinstance(cause, _guard.AddressBlocked):
            return Outcome.BLOCKED, str(cause), False
        if isinstance(cause, _guard.HostNotFound):
            return Outcome.DEAD, "host not found", False
        if isinstance(cause, _guard.ResolverFailed):
            return Outcome.FAILED, "DNS lookup failed (temporary)", True
        if isinstance(cause, socket.gaierror):
            # Direct connections resolve in the guard, so this is the proxy's own name.
            return Outcome.FAILED, "proxy host not found", False
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or cause.reason or "unknown reason"
            return Outcome.FAILED, f"TLS certificate verification failed: {detail}", False
        if isinstance(cause, ssl.SSLError):
            detail = (cause.reason or str(cause)).lower().replace("_", " ")
            return Outcome.FAILED, f"TLS error: {detail}", True
        if isinstance(cause, ConnectionRefusedError):
            return Outcome.FAILED, "connection refused", True
        if isinstance(cause, ConnectionResetError):
            return Outcome.FAILED, "connection reset by server", True
    text = str(exc)
    if isinstance(exc, httpx.ConnectTimeout):
        return Outcome.FAILED, "connection timed out", True
    if isinstance(exc, httpx.ReadTimeout):
        return Outcome.FAILED, "server stopped sending (read timed out)", True
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.FAILED, "timed out", True
    if isinstance(exc, httpx.ProxyError):
        # "502 Bad Gateway" from a CONNECT; 5xx from a proxy may pass, 403 will not.
        return Outcome.FAILED, f"proxy error: {text}", text.startswith("5")
    if isinstance(exc, httpx.RemoteProtocolError):
        if "without sending a response" in text:
            return Outcome.FAILED, "connection closed by server", True
        if "peer closed" in text or "incomplete" in text:
            return Outcome.FAILED, "connection closed by server before the body was complete", True
        return Outcome.FAILED, "invalid HTTP response from server", True
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return Outcome.FAILED, "connection lost", True
    if isinstance(exc, httpx.ConnectError):
        errors = [c for c in exception_chain(exc) if isinstance(c, OSError) and c.strerror]
        detail = errors[0].strerror.lower() if errors and errors[0].strerror else "failed"
        return Outcome.FAILED, f"could not connect: {detail}", True
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return Outcome.FAILED, "invalid URL", False
    if isinstance(exc, httpx.HTTPError | OSError):
        return Outcome.FAILED, f"network error ({type(exc).__name__})", True
    raise exc


def _secs(seconds: float) -> str:
    return f"{seconds:.1f}".rstrip("0").rstrip(".")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} bytes"
