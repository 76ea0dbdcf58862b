"""The SQLite FTS5 reference server for `python -m bench.search` (not part of linkvault).

    python -m bench._fts5_server --db FTS5.sqlite --port PORT

GET /search?q=WORDS answers JSON with the ten best hits (bm25 with title weight 3, text
snippet() with <mark>), through the same searcher bench.search_index times in process.
GET /healthz answers {"status": "ok"}. A bare ASGI callable under uvicorn with the settings
`linkvault serve` uses, and the query run in a worker thread as FastAPI runs a sync route,
so the HTTP load generator compares like with like.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn

from bench.search_index import fts5_searcher

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Fts5App:
    def __init__(self, db: Path) -> None:
        self.db = db
        self._local = threading.local()  # one connection per worker thread

    def search(self, q: str) -> bytes:
        searcher = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = self._local.searcher = fts5_searcher(self.db, with_counts=False)
        rows: Any = searcher(q)  # (rowid, title, snippet, bm25) tuples
        results = [
            {"id": rowid, "title": title, "snippet": snippet, "score": score}
            for rowid, title, snippet, score in rows
        ]
        return json.dumps({"query": q, "results": results}).encode()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            await respond(send, 200, b'{"status": "ok"}')
        elif scope["path"] == "/search":
            query = parse_qs(scope["query_string"].decode("latin-1"))
            q = query.get("q", [""])[0].strip()
            if not q:
                await respond(send, 400, b'{"detail": "q is required"}')
                return
            body = await asyncio.to_thread(self.search, q)
            await respond(send, 200, body)
        else:
            await respond(send, 404, b'{"detail": "not found"}')


async def respond(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        Fts5App(args.db),
        host="127.0.0.1",
        port=args.port,
        server_header=False,
        proxy_headers=False,
        log_level="info",
        lifespan="off",
    )


if __name__ == "__main__":
    main()
