"""The reader view of a structured copy in headless Chromium: at 1280 and 375 px, light and
dark, with no request to any host but linkvault's and no dialog.

Screenshots go to $LINKVAULT_SHOTS (default /tmp/linkvault-shots), named reader-*.png.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.main import create_app
from tests.app._archive import Archive, LiveServer
from tests.app._article import SHA, article_archive
from tests.app.test_browser import CHROMIUM, _no_overflow, _page, _shot
from tests.app.test_browser import browser as browser  # the module's Chromium, shared

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page, Route
else:  # pragma: no cover - the module is skipped
    Browser = Page = Route = object  # type: ignore[misc, assignment]


def _png(width: int, height: int) -> bytes:
    """A small striped PNG, standing in for the archived figure (images are served by
    another part of linkvault; here the browser is handed these bytes for /images/...)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(
        b"\x00" + bytes((40 + 4 * (y // 8 % 40), 120, 180)) * width for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )  # fmt: skip


IMAGE = _png(640, 240)


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return article_archive(tmp_path_factory.mktemp("articles"))


@pytest.fixture(scope="module")
def server(articles: Archive) -> Iterator[LiveServer]:
    with LiveServer(create_app(articles.settings())) as live:
        yield live


class Watch:
    """Every request the page makes, and any dialog it opens."""

    def __init__(self, page: Page) -> None:
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(str(getattr(dialog, "message", dialog)))
        getattr(dialog, "dismiss")()  # noqa: B009 - the Dialog type only exists with Chromium

    def hosts(self) -> set[str]:
        return {urlsplit(url).netloc for url in self.requests}


def _open(
    browser: Browser, server: LiveServer, link_id: int, *, width: int, dark: bool
) -> tuple[Page, Watch, list[str]]:
    page, problems = _page(browser, width=width, height=900)
    page.emulate_media(color_scheme="dark" if dark else "light")
    watch = Watch(page)

    def image(route: Route) -> None:
        route.fulfill(status=200, content_type="image/png", body=IMAGE)

    page.route(f"**/images/{SHA}", image)
    page.goto(f"{server.url}/links/{link_id}")
    page.wait_for_load_state("networkidle")
    return page, watch, problems.messages


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_reader_shows_the_article(
    browser: Browser, server: LiveServer, articles: Archive, width: int, dark: bool
) -> None:
    page, watch, problems = _open(browser, server, articles.ids["topic0"], width=width, dark=dark)
    article = page.locator(".article")
    assert article.locator("h2").first.inner_text().startswith("How dis works")
    assert article.locator("table").count() == 1 and article.locator("pre").count() == 2
    assert article.locator("figure img").count() == 1
    # The page never scrolls sideways; the code block and the table scroll inside themselves.
    _no_overflow(page, width)
    code = article.locator("pre").first
    assert code.evaluate("e => getComputedStyle(e).whiteSpace") == "pre"
    assert code.evaluate("e => getComputedStyle(e).overflowX") == "auto"
    assert code.evaluate("e => e.scrollWidth > e.clientWidth")
    assert "monospace" in code.evaluate("e => getComputedStyle(e).fontFamily")
    if width == 375:
        table = article.locator(".table-scroll")
        assert table.evaluate("e => e.scrollWidth > e.clientWidth")
    # Links out are marked as such.
    mark = article.locator("a.external").first.evaluate(
        "e => getComputedStyle(e, '::after').content"
    )
    assert "2197" in mark.encode("unicode_escape").decode() or "↗" in mark
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in background[4:-1].split(",")[:3])
    brightness = (red + green + blue) / 3
    assert (brightness < 60) if dark else (brightness > 200), background
    _shot(page, f"reader-{width}-{'dark' if dark else 'light'}")
    # Nothing but linkvault: no request to another host, no dialog, no console complaint.
    assert watch.hosts() == {urlsplit(server.url).netloc}, watch.requests
    assert watch.dialogs == []
    assert problems == []


def test_print_hides_the_chrome_and_prints_link_targets(
    browser: Browser, server: LiveServer, articles: Archive
) -> None:
    page, _, _ = _open(browser, server, articles.ids["topic0"], width=1280, dark=False)
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".history").first.is_visible()
    after = page.locator(".article a.external").first.evaluate(
        "e => getComputedStyle(e, '::after').content"
    )
    assert "docs.python.org" in after
    _shot(page, "reader-print")


def test_reader_works_without_javascript(
    browser: Browser, server: LiveServer, articles: Archive
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{server.url}/links/{articles.ids['topic0']}")
    assert page.locator(".article pre").count() == 2
    assert page.locator(".article h2").first.is_visible()
    context.close()
