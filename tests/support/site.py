"""A real HTTP/1.1 server on 127.0.0.1, in a background thread, with programmable routes.

    with LocalSite() as site:                 # or the `local_site` fixture
        site.route("/a", b"<p>hi</p>")                          # static, text/html
        site.route("/img", png, content_type="image/png")
        site.redirect("/old", "/a")                              # 302
        site.sequence("/flaky", [Response(503), Response(200, b"ok")])  # per hit; last repeats
        site.route("/stall", handler=stall)                      # low-level control, see Exchange
        site.url("/a")      # "http://127.0.0.1:PORT/a"
        site.hits("/a")     # requests seen for that path (query ignored)

A handler gets an Exchange and may answer normally (respond), write the head and body itself
(send_head + write, chunked or not), sleep mid-body, trickle bytes, or drop the connection.
ForwardProxy is a tiny forward proxy that sends every request to one LocalSite, whatever host
the URL names, so tests can use names that do not resolve.
"""

from __future__ import annotations

import contextlib
import http
import http.client
import socket
import socketserver
import ssl
import struct
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

HTML = "text/html; charset=utf-8"
Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str  # path only, without the query
    query: str
    target: str  # the request target as sent: absolute-form when it came through a proxy
    host: str  # from the absolute target or the Host header
    headers: dict[str, str]  # names lowercased
    body: bytes = b""
    client: str = ""  # "ip:port" of the connection: equal values mean a reused connection


@dataclass(slots=True)
class Response:
    """A complete response served with Content-Length."""

    status: int = 200
    body: bytes = b""
    headers: Headers = field(default_factory=dict)
    content_type: str | None = HTML


Handler = Callable[["Exchange"], None]


class Exchange:
    """Low-level control over one response; runs in the server thread."""

    def __init__(
        self, raw: BaseHTTPRequestHandler, request: Request, hit: int, stop: threading.Event
    ) -> None:
        self.request = request
        self.hit = hit  # 1 for the first request to this path, 2 for the second...
        self._raw = raw
        self._stop = stop
        self._chunked = False
        self.head_sent = False
        self.closed = False

    def respond(
        self,
        status: int = 200,
        body: bytes = b"",
        *,
        headers: Headers = (),
        content_type: str | None = HTML,
    ) -> None:
        """A whole response with Content-Length (keep-alive friendly)."""
        self.send_head(status, headers, content_type=content_type, content_length=len(body))
        if self.request.method != "HEAD":
            self.write(body)

    def send_head(
        self,
        status: int = 200,
        headers: Headers = (),
        *,
        content_type: str | None = HTML,
        content_length: int | None = None,
        chunked: bool = False,
    ) -> None:
        """Status line and headers. Without content_length or chunked, the body runs until
        the connection closes (Connection: close is sent)."""
        items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        names = {name.lower() for name, _ in items}
        if content_type is not None and "content-type" not in names:
            items.append(("Content-Type", content_type))
        if content_length is not None:
            items.append(("Content-Length", str(content_length)))
        elif chunked:
            items.append(("Transfer-Encoding", "chunked"))
            self._chunked = True
        else:
            items.append(("Connection", "close"))
            self._raw.close_connection = True
        try:
            phrase = http.HTTPStatus(status).phrase
        except ValueError:
            phrase = "Whatever"
        lines = [f"HTTP/1.1 {status} {phrase}", *(f"{k}: {v}" for k, v in items)]
        self._raw.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        self.head_sent = True

    def write(self, data: bytes) -> None:
        """Body bytes, sent at once (framed as one chunk when chunked)."""
        if self._chunked:
            if data:
                self._raw.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self._raw.wfile.write(data)

    def end(self) -> None:
        """Finish a chunked body."""
        if self._chunked:
            self._raw.wfile.write(b"0\r\n\r\n")
            self._chunked = False

    def sleep(self, seconds: float) -> bool:
        """Wait; returns False early when the site is stopping."""
        return not self._stop.wait(seconds)

    def trickle(self, data: bytes, interval: float, size: int = 1) -> None:
        """Send data `size` bytes at a time, sleeping `interval` between pieces."""
        for i in range(0, len(data), size):
            self.write(data[i : i + size])
            if not self.sleep(interval):
                return

    def drop(self, *, reset: bool = False) -> None:
        """Close the connection now, mid-response or before any; reset=True sends a RST."""
        self._raw.close_connection = True
        self.closed = True
        sock: socket.socket = self._raw.connection
        try:
            if reset:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        except OSError:
            pass


class _RawHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def _serve(self) -> None:
        self.server.site._dispatch(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, site: LocalSite, host: str) -> None:
        self.site = site
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.workers: set[threading.Thread] = set()
        super().__init__((host, 0), _RawHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        worker = threading.Thread(target=self._work, args=(request, client_address), daemon=True)
        with self.lock:
            self.connections.add(request)
            self.workers.add(worker)
        worker.start()

    def _work(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self.lock:
                self.connections.discard(request)
                self.workers.discard(threading.current_thread())

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        if self.site.tls is not None:
            # Handshake in the worker thread (on first read), not in the accept loop.
            sock = self.site.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client went away; handler bugs are recorded in LocalSite.errors


class LocalSite:
    """Programmable HTTP server on 127.0.0.1 (any free port). Thread-safe; reusable per test.

    tls=ssl context (server side) serves https instead of http."""

    def __init__(self, host: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.errors: list[str] = []  # tracebacks of handlers that raised
        self._routes: dict[str, Handler] = {}
        self._fallback: Handler = _not_found
        self._log: list[Request] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        if self._server is None:
            self._server = _Server(self, self.host)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stop.set()  # wakes handlers sleeping in Exchange.sleep
        server.shutdown()
        with server.lock:
            connections, workers = list(server.connections), list(server.workers)
        for conn in connections:  # unblocks handlers waiting on idle keep-alive connections
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for worker in workers:
            worker.join(timeout=5)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses
    @property
    def port(self) -> int:
        assert self._server is not None, "site not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    # routes
    def route(
        self,
        path: str,
        body: bytes = b"",
        *,
        status: int = 200,
        content_type: str | None = HTML,
        headers: Headers = (),
        handler: Handler | None = None,
    ) -> None:
        """Serve a static response at path, or hand every request to handler."""
        if handler is None:
            response = Response(status, body, headers, content_type)
            handler = _static(response)
        with self._lock:
            self._routes[path] = handler

    def sequence(self, path: str, steps: Sequence[Response | Handler]) -> None:
        """The n-th request gets steps[n-1]; the last step repeats."""
        parts = [_static(s) if isinstance(s, Response) else s for s in steps]
        self.route(path, handler=lambda ex: parts[min(ex.hit, len(parts)) - 1](ex))

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.route(path, status=status, headers={"Location": location}, content_type=None)

    def fallback(self, handler: Handler) -> None:
        """Handler for paths with no route (default: 404)."""
        self._fallback = handler

    # what was seen
    def requests(self, path: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    def hits(self, path: str | None = None) -> int:
        """Requests received for path (any path when None)."""
        return len(self.requests(path))

    def _dispatch(self, raw: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(raw.path)
        headers = {k.lower(): v for k, v in raw.headers.items()}
        length = int(headers.get("content-length", "0") or 0)
        body = raw.rfile.read(length) if length else b""
        host = parts.netloc if parts.scheme else headers.get("host", "")
        client = ":".join(str(part) for part in raw.client_address[:2])
        request = Request(
            raw.command, parts.path or "/", parts.query, raw.path, host, headers, body, client
        )
        with self._lock:
            self._log.append(request)
            hit = sum(1 for r in self._log if r.path == request.path)
            handler = self._routes.get(request.path, self._fallback)
        exchange = Exchange(raw, request, hit, self._stop)
        try:
            handler(exchange)
            if not exchange.head_sent and not exchange.closed:
                exchange.drop()  # a handler that answers nothing hangs up
            elif exchange._chunked:
                exchange.end()
        except OSError:
            raw.close_connection = True  # the client went away
        except Exception:
            with self._lock:
                self.errors.append(traceback.format_exc())
            raw.close_connection = True
            if not exchange.head_sent and not exchange.closed:
                with contextlib.suppress(OSError):
                    exchange.respond(500, b"handler failed", content_type="text/plain")


def _static(response: Response) -> Handler:
    def serve(ex: Exchange) -> None:
        ex.respond(
            response.status,
            response.body,
            headers=response.headers,
            content_type=response.content_type,
        )

    return serve


def _not_found(ex: Exchange) -> None:
    ex.respond(404, b"not found", content_type="text/plain")


_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te"}
_HOP_BY_HOP |= {"trailer", "transfer-encoding", "upgrade"}


class ForwardProxy(LocalSite):
    """Forward HTTP proxy (absolute-form requests; no CONNECT) relaying every request to
    `upstream`, whatever host the URL names. `hits()`/`requests()` show what it was asked."""

    def __init__(
        self, upstream: LocalSite, host: str = "127.0.0.1", *, unknown_hosts: Iterable[str] = ()
    ) -> None:
        super().__init__(host)
        self.upstream = upstream
        # Names this proxy answers like a real one that cannot resolve them (502 + message).
        self.unknown_hosts = {h.lower() for h in unknown_hosts}
        self.fallback(self._forward)

    def _forward(self, ex: Exchange) -> None:
        request = ex.request
        if not request.target.startswith("http://"):
            ex.respond(400, b"absolute-form requests only", content_type="text/plain")
            return
        if request.host.split(":")[0].lower() in self.unknown_hosts:
            message = f"Could not resolve host {request.host}: Name or service not known"
            ex.respond(502, message.encode(), content_type="text/plain")
            return
        upstream = http.client.HTTPConnection(self.upstream.host, self.upstream.port, timeout=30)
        try:
            headers = {k: v for k, v in request.headers.items() if k not in _HOP_BY_HOP}
            target = request.path + (f"?{request.query}" if request.query else "")
            upstream.request(request.method, target, body=request.body or None, headers=headers)
            response = upstream.getresponse()
            status, body = response.status, response.read()
            relayed = [
                (k, v)
                for k, v in response.getheaders()
                if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
            ]
        except (OSError, http.client.HTTPException):
            ex.respond(502, b"upstream failed", content_type="text/plain")
            return
        finally:
            upstream.close()
        ex.respond(status, body, headers=relayed, content_type=None)
