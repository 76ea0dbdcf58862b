"""The address guard: which hosts and addresses linkvault refuses to reach, and where it checks.

IP literals and well-known local names are refused before any request (with or without a
proxy). Other names are resolved only for direct connections, at connect time, by a network
backend that checks every resolved address and then connects to one of those same addresses,
so a DNS answer that changes between the check and the connection (DNS rebinding) cannot
slip through. Through a proxy nothing is resolved here: the proxy resolves names.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import unquote

import httpcore
import httpx
from httpcore._utils import is_socket_readable  # the check httpcore's own backends make

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAME_UNKNOWN = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}

# (host, port) -> addresses as strings; raises socket.gaierror when the name does not resolve.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class AddressBlocked(Exception):
    """A name resolved to an address the policy forbids; nothing was sent."""


class HostNotFound(Exception):
    """The name does not resolve."""


class ResolverFailed(Exception):
    """The resolver could not answer now; says nothing about the host."""


def _nets(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


# Listed explicitly rather than via ipaddress.is_private/is_global, whose meaning changed
# between Python patch releases. Documentation and benchmarking ranges are left reachable:
# nothing sensitive lives there, and "fake-IP" DNS proxies (Clash, Surge) answer from
# 198.18.0.0/15 for every public name.
_V4_RULES = (
    ("unspecified address", _nets("0.0.0.0/8")),
    ("loopback address", _nets("127.0.0.0/8")),
    ("private address", _nets("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
    ("shared (CGNAT) address", _nets("100.64.0.0/10")),
    ("link-local address", _nets("169.254.0.0/16")),
    ("multicast address", _nets("224.0.0.0/4")),
    ("reserved address", _nets("192.0.0.0/24", "240.0.0.0/4")),
)
_V6_RULES = (
    ("unspecified address", _nets("::/128")),
    ("loopback address", _nets("::1/128")),
    ("private address", _nets("fc00::/7", "fec0::/10")),
    ("link-local address", _nets("fe80::/10")),
    ("multicast address", _nets("ff00::/8")),
    # ::/8 holds the deprecated IPv4-compatible form; 100::/64 is discard-only;
    # 64:ff9b:1::/48 is local-use NAT64.
    ("reserved address", _nets("::/8", "100::/64", "64:ff9b:1::/48")),
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
_LEGACY_PART = re.compile(r"0x[0-9a-f]*|[0-9]+")


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why the address may not be fetched ("loopback address", ...), or None when it may."""
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address reach that address, so judge the IPv4 one.
        embedded: list[ipaddress.IPv4Address] = []
        if ip.ipv4_mapped is not None:
            embedded.append(ip.ipv4_mapped)
        elif ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        elif ip.sixtofour is not None:
            embedded.append(ip.sixtofour)
        elif ip.teredo is not None:
            embedded.extend(ip.teredo)
        for inner in embedded:
            reason = forbidden_reason(inner)
            if reason:
                return reason
        if embedded:
            return None
        rules: Iterable[tuple[str, tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]]
        rules = _V6_RULES
    else:
        rules = _V4_RULES
    for reason, nets in rules:
        if any(ip in net for net in nets):
            return reason
    return None


def _legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """Parse the forms inet_aton() accepts: "2130706433", "0x7f.1", "0177.0.0.1", "127.1".

    Resolvers and many proxies treat such names as addresses, so the guard must too.
    """
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_LEGACY_PART.fullmatch(p) for p in parts):
        return None
    values = []
    for part in parts:
        if part.startswith("0x"):
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return None
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        return None
    number = last
    for i, v in enumerate(head):
        number |= v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def parse_ip_host(host: str) -> IPAddress | None:
    """The address an URL host denotes when it is an IP literal in any accepted form."""
    text = unquote(host).strip().lower().removeprefix("[").removesuffix("]")
    text = text.removesuffix(".")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return _legacy_ipv4(text)


def check_host(host: str, allow_private: bool) -> str | None:
    """Refusal reason for a URL host judged without DNS: IP literals and local names."""
    if allow_private:
        return None
    ip = parse_ip_host(host)
    if ip is not None:
        reason = forbidden_reason(ip)
        return f"{reason} {ip} is not allowed" if reason else None
    name = unquote(host).lower().removesuffix(".")
    # A proxy would resolve these to itself, so refuse them even when names are not resolved.
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return f"loopback host {name} is not allowed"
    return None


async def system_resolve(host: str, port: int) -> list[str]:
    """Resolve with the event loop's getaddrinfo, keeping the system's preference order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _interleave(addresses: list[str]) -> list[str]:
    # Alternate families (RFC 8305) so an unreachable IPv6 route does not starve IPv4.
    v6 = [a for a in addresses if ":" in a]
    v4 = [a for a in addresses if ":" not in a]
    first, second = (v6, v4) if addresses and ":" in addresses[0] else (v4, v6)
    out: list[str] = []
    for i in range(max(len(first), len(second))):
        out.extend(group[i] for group in (first, second) if i < len(group))
    return out


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Direct connections only: resolve, refuse forbidden addresses, connect to a checked one."""

    def __init__(
        self, inner: httpcore.AsyncNetworkBackend, *, allow_private: bool, resolve: Resolver
    ) -> None:
        self._inner = inner
        self._allow_private = allow_private
        self._resolve = resolve

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        host = host.removeprefix("[").removesuffix("]")
        literal = parse_ip_host(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                async with asyncio.timeout(timeout):
                    addresses = await self._resolve(host, port)
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"DNS lookup for {host} timed out") from None
            except socket.gaierror as exc:
                # Only "no such name" means the host is gone; a resolver that is down or
                # slow (EAI_AGAIN) says nothing about the site, so that is worth a retry.
                if exc.errno in _NAME_UNKNOWN:
                    raise HostNotFound(host) from exc
                raise ResolverFailed(host) from exc
            except UnicodeError as exc:
                raise HostNotFound(host) from exc
            if not addresses:
                raise HostNotFound(host)
        if not self._allow_private:
            for address in addresses:
                reason = forbidden_reason(ipaddress.ip_address(address.split("%")[0]))
                if reason:
                    raise AddressBlocked(f"{host} resolves to {reason} {address}")
        last_error: Exception | None = None
        for address in _interleave(addresses):
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
                return _SocketCachingStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by linkvault")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _SocketCachingStream(httpcore.AsyncNetworkStream):
    """The connection as httpcore made it, with its socket looked up once.

    httpcore asks every pooled connection whether its socket is readable each time it assigns
    a request, and anyio answers by building a mapping of every socket attribute; with a full
    pool that was a third of the CPU of a refresh made of 304s.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _SocketCachingStream(tls)

    def get_extra_info(self, info: str) -> Any:
        if info == "socket" and self._socket is not None:
            return self._socket
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


def install(client: httpx.AsyncClient, allow_private: bool, resolve: Resolver) -> None:
    """Put the guard under the client's direct connections (not under its proxies)."""
    # httpx has no public hook for the network backend, so wrap the one in the httpcore pool
    # of the direct transport (client._transport). Proxy transports live in client._mounts
    # and keep theirs: the proxy resolves names and may itself sit on a private address.
    # Fail closed if a future httpx moves these attributes.
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if not isinstance(inner, httpcore.AsyncNetworkBackend):
        raise RuntimeError("cannot install the address guard on this httpx/httpcore version")
    guarded = GuardedBackend(inner, allow_private=allow_private, resolve=resolve)
    pool._network_backend = guarded  # type: ignore[union-attr]
