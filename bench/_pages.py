"""Generated article pages for benchmarks (realistic shape, deterministic content), and the
servers that serve them on 127.0.0.1: plain, or with ETags that answer 304."""

from __future__ import annotations

import asyncio
import hashlib
import random
import threading
from typing import Self

_WORDS = [
    "interpreter",
    "bytecode",
    "frame",
    "object",
    "reference",
    "count",
    "garbage",
    "collector",
    "dictionary",
    "hash",
    "table",
    "string",
    "interning",
    "attribute",
    "lookup",
    "descriptor",
    "method",
    "resolution",
    "order",
    "metaclass",
    "type",
    "slot",
    "function",
    "closure",
    "cell",
    "generator",
    "coroutine",
    "event",
    "loop",
    "thread",
    "lock",
    "global",
    "interpreter",
    "memory",
    "allocator",
    "arena",
    "pool",
    "block",
    "integer",
    "float",
    "tuple",
    "list",
    "set",
    "module",
    "import",
    "finder",
    "loader",
    "cache",
    "compile",
    "parser",
    "tokenizer",
    "grammar",
    "syntax",
    "tree",
    "optimizer",
    "peephole",
    "constant",
    "folding",
    "evaluation",
    "stack",
    "opcode",
    "instruction",
    "pointer",
    "exception",
    "traceback",
    "context",
    "manager",
    "iterator",
    "protocol",
    "buffer",
    "array",
    "extension",
    "api",
]


def _dead_weight(rng: random.Random) -> tuple[str, str, str]:
    """What real news and blog pages carry around the article: inline state JSON and CSS in
    the head, a mega-menu, a long footer. Real pages weigh 50-150 KB of HTML for 5-10 KB of
    text, and extraction time follows the markup, not the text."""
    state = ",".join(
        f'{{"id":{i},"slug":"story-{i}","headline":"{rng.choice(_WORDS)} story {i}"}}'
        for i in range(400)
    )
    css = "".join(f".c{i}{{margin:{i % 9}px;color:#{i:06x}}}" for i in range(900))
    head = f"<style>{css}</style><script>window.__STATE__={{items:[{state}]}};</script>"
    menu = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(120))
    footer = "".join(f'<li><a href="/info/{i}">Information page {i}</a></li>' for i in range(60))
    return head, f'<div class="mega-menu"><ul>{menu}</ul></div>', f"<ul>{footer}</ul>"


def article_html(number: int, paragraphs: int = 12, seed: int = 0, heavy: bool = True) -> bytes:
    """A blog-style page: navigation, a long article, a sidebar, comments and a footer."""
    rng = random.Random(seed * 1_000_003 + number)
    title = " ".join(rng.choice(_WORDS) for _ in range(6)).capitalize()
    body = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(10, 22))]
            sentences.append(" ".join(words).capitalize() + ".")
        body.append(f"<p>{' '.join(sentences)}</p>")
    nav = "".join(f'<li><a href="/tag/{w}">{w}</a></li>' for w in rng.sample(_WORDS, 12))
    related = "".join(
        f'<li><a href="/post/{rng.randint(0, 10_000)}">{rng.choice(_WORDS)} notes</a></li>'
        for _ in range(8)
    )
    head, menu, footer = _dead_weight(rng) if heavy else ("", "", "")
    comments = "".join(
        f'<div class="comment"><b>reader{i}</b><p>Great post about {rng.choice(_WORDS)}!</p></div>'
        for i in range(rng.randint(0, 8))
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Bench Blog</title>
<meta name="author" content="Author {number % 17}">
<meta property="og:title" content="{title}">
<meta name="description" content="Notes on {rng.choice(_WORDS)} and {rng.choice(_WORDS)}.">
<style>body{{font-family:sans-serif}}</style><script>var analytics = {number};</script>
{head}</head><body>
<header><a href="/">Bench Blog</a><nav><ul>{nav}</ul></nav>{menu}</header>
<main><article><h1>{title}</h1>
<p class="byline">By Author {number % 17} on <time datetime="2024-03-{1 + number % 28:02d}">
March {1 + number % 28}, 2024</time></p>
{"".join(body)}
</article>
<section class="comments"><h2>Comments</h2>{comments}</section>
<aside><h2>Related posts</h2><ul>{related}</ul></aside></main>
<footer><p>Copyright 2024 Bench Blog. All rights reserved.</p>
<p><a href="/privacy">Privacy</a> <a href="/terms">Terms</a></p>{footer}</footer>
</body></html>"""
    return page.encode()


def etag(body: bytes) -> bytes:
    return b'"' + hashlib.sha1(body).hexdigest()[:20].encode() + b'"'


class PageServer:
    """A small asyncio HTTP/1.1 server in a thread: cheap enough to leave the cores to the
    archiver, with a sleep before each response to stand in for network latency."""

    def __init__(self, pages: int, latency: float, heavy: bool = True) -> None:
        self.bodies = [article_html(i, heavy=heavy) for i in range(pages)]
        self.latency = latency
        self.port = 0
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                await asyncio.sleep(self.latency)
                number = int(path.rsplit("/", 1)[-1]) if path.startswith("/post/") else -1
                writer.write(self._response(head, number))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def _response(self, head: bytes, number: int) -> bytes:
        """The whole answer to the request ``head`` for page ``number`` (-1: not a page)."""
        if 0 <= number < len(self.bodies):
            body, status = self.bodies[number], b"200 OK"
        else:
            body, status = b"not found", b"404 Not Found"
        return (
            b"HTTP/1.1 " + status + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )

    def start(self) -> Self:
        self._thread.start()
        self._ready.wait()
        return self

    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{self.port}/post/{i}" for i in range(len(self.bodies))]


class ConditionalPageServer(PageServer):
    """PageServer whose pages carry an ETag and answer a matching If-None-Match with 304,
    as most static sites and CMSs do."""

    def __init__(self, pages: int, latency: float, heavy: bool = True) -> None:
        super().__init__(pages, latency, heavy)
        self.etags = [etag(body) for body in self.bodies]
        self.full = 0
        self.not_modified = 0

    def _response(self, head: bytes, number: int) -> bytes:
        if not 0 <= number < len(self.bodies):
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        if _header(head, b"if-none-match") == self.etags[number]:
            self.not_modified += 1
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + self.etags[number] + b"\r\n\r\n"
        self.full += 1
        body = self.bodies[number]
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            b"ETag: " + self.etags[number] + b"\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None
