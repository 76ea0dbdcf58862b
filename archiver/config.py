"""Limits and knobs for fetching and extraction, filled in by the app from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from archiver._version import __version__


@dataclass(frozen=True, slots=True)
class FetchConfig:
    """How politely and how far linkvault reaches out to the web."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    # Wall-clock budget for one page, retries and redirects included.
    deadline: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 10
    max_retries: int = 2
    # Base of the exponential backoff between retries (seconds).
    retry_backoff: float = 0.5
    # A Retry-After longer than this is not waited for; the link is left `failed`.
    max_retry_after: float = 30.0
    concurrency: int = 16
    per_host_concurrency: int = 2
    allow_private: bool = False
    user_agent: str = f"linkvault/{__version__} (+https://github.com/linkvault/linkvault)"
    # Figures archived with a page (archiver/images.py); 0 images per page turns them off.
    images_per_page: int = 50
    image_max_bytes: int = 5 * 1024 * 1024
