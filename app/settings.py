"""Every setting of linkvault, read once from `LINKVAULT_*` environment variables."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.durations import parse_duration
from archiver.config import FetchConfig
from archiver.rot import RotPolicy


def _is_postgresql(url: str | None) -> bool:
    if not url:
        return False
    try:
        return make_url(url).get_backend_name() == "postgresql"
    except ArgumentError:
        return False


class Settings(BaseSettings):
    """Each field is documented in docs/operations.md's settings table (tests/test_docs.py)."""

    model_config = SettingsConfigDict(env_prefix="LINKVAULT_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Holds the SQLite file and the index.")
    database_url: str | None = Field(
        None, description="Any SQLAlchemy URL; default is SQLite in the data directory."
    )
    search_backend: Literal["whoosh", "postgres"] = Field(
        "whoosh",
        description="The search index: `whoosh` (a folder in the data directory) or "
        "`postgres` (full-text search in the PostgreSQL database of database_url).",
    )
    api_token: str | None = Field(
        None,
        description="A bearer token accepted besides those of `linkvault token create` "
        "(kept for compatibility).",
    )
    private: bool = Field(
        False,
        description="Every page and API route needs a sign-in or an API token, except "
        "/healthz, the sign-in page and /static.",
    )
    secret_key: str | None = Field(
        None,
        repr=False,
        min_length=32,
        description="Signs session cookies and CSRF tokens; when unset, one is made once and "
        "kept in the database.",
    )
    session_lifetime: timedelta = Field(
        timedelta(days=14),
        gt=timedelta(0),
        description="How long a sign-in lasts; then the browser must sign in again.",
    )
    # NoDecode: a comma-separated string as well as a JSON list.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses (IPs or CIDR networks) of reverse proxies whose "
        "X-Forwarded-Proto and X-Forwarded-For are believed; none by default.",
    )
    max_request_bytes: int = Field(
        10 * 1024 * 1024,
        gt=0,
        description="Largest request body the web service reads (forms, JSON); larger is 413.",
    )
    max_import_bytes: int = Field(
        100 * 1024 * 1024,
        gt=0,
        description="Largest upload to POST /api/import and the /add page's import form "
        "(streamed to a temporary file, never held in memory); larger is 413.",
    )
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to open a connection.")
    read_timeout: float = Field(20.0, gt=0, description="Seconds to wait for the next bytes.")
    page_deadline: float = Field(
        30.0, gt=0, description="Total seconds for one page, redirects and retries included."
    )
    max_page_bytes: int = Field(
        20 * 1024 * 1024, gt=0, description="Bytes per page after decompression."
    )
    max_redirects: int = Field(10, ge=0, description="Redirect hops followed per page.")
    max_retries: int = Field(2, ge=0, description="Retries after 429, 5xx or a lost connection.")
    max_retry_after: float = Field(
        30.0, ge=0, description="Longest Retry-After honoured; longer leaves the link failed."
    )
    concurrency: int = Field(16, ge=1, description="Pages fetched at once, overall.")
    per_host_concurrency: int = Field(2, ge=1, description="Pages fetched at once per host.")
    allow_private: bool = Field(
        False, description="Allow private and loopback addresses (tests, intranets)."
    )
    images_per_page: int = Field(
        50, ge=0, description="Figures archived per page, in reading order; 0 turns images off."
    )
    image_max_bytes: int = Field(
        5 * 1024 * 1024, gt=0, description="Bytes per image after decompression; larger is skipped."
    )
    extract_workers: int = Field(
        0, ge=0, description="Extraction processes; 0 means one per CPU core."
    )
    refresh_after: timedelta = Field(
        timedelta(days=7), description="Age after which `refresh` re-checks a link."
    )
    dead_after_failures: int = Field(
        5, ge=1, description="Failed checks, spaced by failure_spacing, that make a link dead."
    )
    failure_spacing: timedelta = Field(
        timedelta(days=1),
        description="Least time between two failed checks that both count towards dead.",
    )
    refresh_interval: timedelta = Field(
        timedelta(hours=6), description="Pause between runs of `refresh --repeat`."
    )
    index_commit_interval: float = Field(
        10.0,
        gt=0,
        description="Seconds between index commits during a run (also every 1,000 links).",
    )
    index_process_min_links: int = Field(
        200,
        ge=0,
        description="Runs of at least this many links write the index from a process of "
        "their own, beside fetching and storing; 0: never.",
    )
    web_workers: int = Field(
        1, ge=1, description="Processes of `linkvault serve`; searches use one core per process."
    )
    search_concurrency: int = Field(
        2, ge=1, description="Searches run at once per web process; the rest wait their turn."
    )
    search_queue_timeout: float = Field(
        10.0, gt=0, description="Seconds a search waits for its turn before a 503 (busy)."
    )
    work_queue: bool = Field(
        False,
        description="archive, refresh and the write API queue links for `linkvault worker` "
        "processes instead of fetching them themselves.",
    )
    work_lease: timedelta = Field(
        timedelta(minutes=2),
        gt=timedelta(0),
        description="How long a worker holds a link without renewing; a dead worker's links "
        "go to the others after this.",
    )

    @field_validator(
        "refresh_after",
        "failure_spacing",
        "refresh_interval",
        "work_lease",
        "session_lifetime",
        mode="before",
    )
    @classmethod
    def _short_durations(cls, value: object) -> object:
        # "7d", "6h", "30m" as on the command line; ISO 8601 ("P7D") and seconds still work.
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except ValueError:
                return value
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_addresses(cls, value: object) -> object:
        # "10.0.0.2, 172.16.0.0/12" or a JSON list; each must be an address or a network, or
        # "*" (any peer: only when nothing but the proxy can reach linkvault).
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            return value
        proxies: list[str] = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            if text == "*":
                return ["*"]  # uvicorn trusts everyone only when "*" stands alone
            try:
                parsed = ipaddress.ip_network(text, strict=False) if "/" in text else None
                proxies.append(str(parsed or ipaddress.ip_address(text)))
            except ValueError:
                raise ValueError(
                    f"{text!r} is not an IP address or network (10.0.0.2, 172.16.0.0/12)"
                ) from None
        return proxies

    @field_validator("search_backend")
    @classmethod
    def _postgres_search_needs_postgres(cls, value: str, info: ValidationInfo) -> str:
        if value == "postgres" and not _is_postgresql(info.data.get("database_url")):
            raise ValueError(
                "LINKVAULT_SEARCH_BACKEND=postgres needs LINKVAULT_DATABASE_URL to be a "
                "PostgreSQL database (postgresql+psycopg://user@host/dbname)"
            )
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'linkvault.db').resolve()}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def rot_policy(self) -> RotPolicy:
        return RotPolicy(
            dead_after_failures=self.dead_after_failures, failure_spacing=self.failure_spacing
        )

    def fetch_config(self) -> FetchConfig:
        return FetchConfig(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            deadline=self.page_deadline,
            max_bytes=self.max_page_bytes,
            max_redirects=self.max_redirects,
            max_retries=self.max_retries,
            max_retry_after=self.max_retry_after,
            concurrency=self.concurrency,
            per_host_concurrency=self.per_host_concurrency,
            allow_private=self.allow_private,
            images_per_page=self.images_per_page,
            image_max_bytes=self.image_max_bytes,
        )
