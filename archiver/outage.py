"""Telling a local outage from the web: when most hosts of a run cannot even be reached, the
network here is down (an offline laptop, a broken resolver, a captive portal, the proxy gone),
and nothing the run saw says anything about the links.

A failure is network-level when no server answered at all: the name did not resolve (every
kind, "host not found" included), the connection was refused or reset, connecting timed out,
or the configured proxy could not be reached. Each host counts once, by its first result in
the run. The run looks like an outage when network-level failures cover at least
`OUTAGE_SHARE` (80 %) of the distinct hosts with a result and at least `OUTAGE_MIN_HOSTS` (3).
The verdict is first taken once `OUTAGE_CHECKPOINT` (10) hosts have a result, or every host
of the run if fewer, and again after each further host, so an offline laptop stops after
about ten hosts and a network lost mid-run stops the run too.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import Counter
from collections.abc import Iterator

import httpcore
import httpx

from archiver import _guard

__all__ = [
    "NAME_RESOLUTION",
    "OUTAGE_CHECKPOINT",
    "OUTAGE_MIN_HOSTS",
    "OUTAGE_WINDOW",
    "OUTAGE_SHARE",
    "PROXY_UNREACHABLE",
    "OutageWatch",
    "network_failure",
]

OUTAGE_SHARE = 0.8
OUTAGE_MIN_HOSTS = 3
OUTAGE_CHECKPOINT = 10
# The queue worker judges hosts this many at a time (it has no end of run).
OUTAGE_WINDOW = 50

NAME_RESOLUTION = "name resolution"
PROXY_UNREACHABLE = "proxy unreachable"


def network_failure(exc: BaseException, proxied: bool) -> str | None:
    """The kind of failure when no server could be reached, or None when one answered or the
    failure says something about the site itself (TLS, protocol)."""
    for cause in exception_chain(exc):
        if isinstance(cause, _guard.HostNotFound | _guard.ResolverFailed):
            return NAME_RESOLUTION
        if isinstance(cause, httpcore.ConnectTimeout) and str(cause).startswith("DNS lookup"):
            return NAME_RESOLUTION  # the guard's resolver timed out
        if isinstance(cause, socket.gaierror):
            return PROXY_UNREACHABLE  # direct connections resolve in the guard
        if isinstance(cause, ssl.SSLError):
            return None
        if isinstance(cause, ConnectionRefusedError):
            return PROXY_UNREACHABLE if proxied else "connection refused"
        if isinstance(cause, ConnectionResetError):
            return PROXY_UNREACHABLE if proxied else "connection reset"
    if isinstance(exc, httpx.ConnectTimeout):
        return PROXY_UNREACHABLE if proxied else "connect timeout"
    if isinstance(exc, httpx.ConnectError):
        return PROXY_UNREACHABLE if proxied else "could not connect"
    return None


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what caused it, outermost first (at most 12: chains can loop)."""
    seen: BaseException | None = exc
    for _ in range(12):
        if seen is None:
            return
        yield seen
        seen = seen.__cause__ or seen.__context__


class OutageWatch:
    """One run's hosts, by their first result; says when the run looks like a local outage.

    `decided()` is awaited by a link whose fetch failed at network level before its failure
    is recorded: until the first verdict it cannot tell a dead host from a dead network."""

    def __init__(self, hosts: int = OUTAGE_CHECKPOINT) -> None:
        self._checkpoint = max(1, min(OUTAGE_CHECKPOINT, hosts))
        self._first: dict[str, str | None] = {}
        self._decided = asyncio.Event()
        self.down = False
        self.waiting = 0  # links waiting for the verdict

    def saw(self, host: str, failure: str | None) -> None:
        """A link of `host` finished; `failure` is its network-level failure, if any."""
        if host in self._first or self.down:
            return
        self._first[host] = failure
        if self._decided.is_set() or len(self._first) >= self._checkpoint:
            self.settle()

    def settle(self) -> None:
        """Judge now with the hosts seen so far: a run that cannot know how many hosts will
        come (the queue worker) settles when no more are coming for now."""
        failed = sum(1 for kind in self._first.values() if kind)
        self.down = failed >= OUTAGE_MIN_HOSTS and failed >= OUTAGE_SHARE * len(self._first)
        self._decided.set()

    @property
    def hosts(self) -> int:
        """Distinct hosts with a result so far."""
        return len(self._first)

    async def decided(self) -> bool:
        """Whether the network looks down, once that can be told."""
        self.waiting += 1
        try:
            await self._decided.wait()
        finally:
            self.waiting -= 1
        return self.down

    def message(self) -> str:
        kinds = Counter(kind for kind in self._first.values() if kind)
        failed = sum(kinds.values())
        what = " or ".join(kind for kind, _ in kinds.most_common())
        return (
            f"the network looks down: {failed} of {len(self._first)} hosts failed {what}; "
            "nothing was marked dead; try again later"
        )
