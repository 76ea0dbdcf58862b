"""Helpers shared by the archiver test modules: fetching from the local test site, pages
and fixtures for the extractors, and the problems of a link-list import."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from archiver.config import FetchConfig
from archiver.fetch import Fetcher, FetchResult
from archiver.sources import ImportResult

# --- fetching ------------------------------------------------------------------------------

# Private addresses allowed: the test server lives on 127.0.0.1.
CFG = FetchConfig(
    allow_private=True,
    connect_timeout=2,
    read_timeout=2,
    deadline=3,
    retry_backoff=0.01,
    max_retries=2,
)


def fetch(url: str, config: FetchConfig = CFG, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(config, resolver=kwargs.pop("resolver", None)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


# --- extraction ----------------------------------------------------------------------------

EXTRACT_FIXTURES = Path(__file__).parent / "fixtures" / "extract"
URL = "https://valley.example/news/night-buses"

FRENCH = "Le café coûte 3 € — “très” bon, l’été. Crème brûlée à volonté, façon naïve."
JAPANESE = "日本語のテキストです。東京は日本の首都で、とても大きな都市です。桜の季節は美しい。"


def fixture(name: str) -> bytes:
    """A file of tests/archiver/fixtures/extract."""
    return (EXTRACT_FIXTURES / name).read_bytes()


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>T</title></head><body>{body}</body></html>"


# --- link lists ----------------------------------------------------------------------------


def problems_of(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in result.problems]
