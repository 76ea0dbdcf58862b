"""The Jinja2 environment (autoescape always on), the filters the pages use, and what every
page knows of the request: whether the owner is signed in, and `csrf_field()` for forms."""

from __future__ import annotations

import html
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from app.http.auth import signed_in
from archiver.urls import domain_of
from index import tag_query

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"

_MARK_TAG = re.compile(r"(</?mark>)")
_BLANK_LINES = re.compile(r"\n\s*\n")


def snippet_html(snippet: str) -> Markup:
    """The index's snippet (escaped text plus <mark>), re-checked before it becomes markup.

    The snippet is the one field rendered as HTML. Text between the tags is unescaped and
    escaped again, so only balanced <mark> tags can survive even if the index got it wrong.
    """
    out: list[str] = []
    open_mark = False
    for part in _MARK_TAG.split(snippet):
        if part == "<mark>":
            if not open_mark:
                out.append(part)
                open_mark = True
        elif part == "</mark>":
            if open_mark:
                out.append(part)
                open_mark = False
        elif part:
            out.append(html.escape(html.unescape(part), quote=False))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every text part was escaped just above


def http_href(url: str | None) -> str | None:
    """The URL when it may become a link; javascript:, data: and the like never do."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def short_url(url: str, limit: int = 90) -> str:
    """A URL for display: long query strings would fill the screen; the href keeps it all."""
    return url if len(url) <= limit else url[: limit - 1] + "…"


def paragraphs(text: str | None) -> list[str]:
    """Archived text as paragraphs: extraction separates them with blank lines."""
    if not text:
        return []
    parts = (" ".join(block.split()) for block in _BLANK_LINES.split(text))
    return [part for part in parts if part]


def tag_search(tag: str) -> str:
    """The search page's address for the pages with ``tag``."""
    return "/?" + urlencode({"q": tag_query(tag)})


def human_date(value: datetime | date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        day = value
    return f"{day.day} {day:%b %Y}"


def iso(value: datetime | date | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else value.isoformat()


def human_bytes(size: int) -> str:
    amount = float(size)
    for unit in ("bytes", "kB", "MB", "GB"):
        if amount < 1000 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "bytes" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{size} bytes"


@pass_context
def csrf_field(context: Context) -> Markup:
    """The hidden input carrying the CSRF token (app/http/sessions.py): every form that
    POSTs writes `{{ csrf_field() }}`, first in the form (asgi-csrf reads a multipart body
    only up to the first file). Empty where the page is drawn outside the CSRF middleware
    (the 500 page)."""
    request = context.get("request")
    token_of = request.scope.get("csrftoken") if isinstance(request, Request) else None
    if token_of is None:
        return Markup("")
    return Markup('<input type="hidden" name="csrftoken" value="{}">').format(token_of())


def account_context(request: Request) -> dict[str, Any]:
    """Whether the header offers "Sign out", or "Sign in" coming back to this page (not on
    the sign-in page itself)."""
    if request.url.path == "/signin":
        return {"signed_in": signed_in(request), "signin_href": ""}
    here = request.url.path + ("?" + request.url.query if request.url.query else "")
    back = "" if here == "/" else "?" + urlencode({"next": here})
    return {"signed_in": signed_in(request), "signin_href": "/signin" + back}


def make_templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        snippet_html=snippet_html,
        http_href=http_href,
        short_url=short_url,
        domain=domain_of,
        paragraphs=paragraphs,
        human_date=human_date,
        iso=iso,
        human_bytes=human_bytes,
        tag_search=tag_search,
    )
    env.globals["csrf_field"] = csrf_field
    return Jinja2Templates(env=env, context_processors=[account_context])
