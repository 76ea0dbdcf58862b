"""A forward proxy for https URLs: it answers `CONNECT host:port` by opening a tunnel to one
upstream server (a LocalSite serving TLS), whatever host was named, so tests can fetch
https://github.com/... from a local server whose certificate names those hosts.

    with TunnelProxy(tls_site) as proxy:     # HTTPS_PROXY=proxy.base_url
        proxy.targets                        # ["github.com:443", ...] as asked
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import socketserver
import threading
from types import TracebackType
from typing import Self

from tests.support.site import LocalSite


class _Tunnel(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client: socket.socket = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk or len(head) > 65536:
                return
            head += chunk
        method, target, *_ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ")
        with self.server.lock:
            self.server.targets.append(target)
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = self.server.upstream
        with socket.create_connection((upstream.host, upstream.port), timeout=30) as remote:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            rest = head.split(b"\r\n\r\n", 1)[1]
            if rest:
                remote.sendall(rest)
            _pipe(client, remote)


def _pipe(a: socket.socket, b: socket.socket) -> None:
    with selectors.DefaultSelector() as selector:
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        while True:
            for key, _ in selector.select(timeout=30):
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data = source.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                key.data.sendall(data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, upstream: LocalSite) -> None:
        self.upstream = upstream
        self.targets: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Tunnel)


class TunnelProxy:
    """CONNECT-only proxy on 127.0.0.1 that tunnels every request to `upstream`."""

    def __init__(self, upstream: LocalSite) -> None:
        self._server = _Server(upstream)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def targets(self) -> list[str]:
        with self._server.lock:
            return list(self._server.targets)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        with contextlib.suppress(OSError):
            self._server.server_close()
        self._thread.join(timeout=5)
