"""/docs in headless Chromium with every request that leaves 127.0.0.1 blocked and recorded:
Swagger UI comes from linkvault itself, renders the API's operations, and its policy lets it
run without a console error. A screenshot goes to $LINKVAULT_SHOTS (/tmp/linkvault-shots)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.app._archive import LiveServer
from tests.app.test_browser import CHROMIUM, _page, _shot
from tests.app.test_browser import browser as browser  # the module's Chromium, shared

# The page is the same whatever the search backend: one archive is enough.
SEARCH_BACKENDS = ("whoosh",)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page, Route
else:  # pragma: no cover - the module is skipped
    Browser = Page = Route = object  # type: ignore[misc, assignment]


def _offline(page: Page) -> list[str]:
    """Aborts every request to a host other than 127.0.0.1; returns the list of them."""
    left: list[str] = []

    def guard(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            left.append(url)
            route.abort()

    page.route("**/*", guard)
    return left


def test_docs_render_offline(browser: Browser, live_server: LiveServer) -> None:
    page, problems = _page(browser)
    left = _offline(page)
    loaded: list[str] = []
    page.on("requestfinished", lambda request: loaded.append(urlsplit(request.url).path))

    page.goto(live_server.url + "/docs")
    search = page.locator(".opblock-get", has=page.locator("[data-path='/api/search']"))
    search.first.wait_for(state="visible")
    assert search.first.locator(".opblock-summary-method").inner_text() == "GET"
    # More than one operation: the whole schema was read and laid out.
    assert page.locator(".opblock").count() >= 5
    search.first.locator(".opblock-summary-control").click()
    page.get_by_text("Try it out").first.wait_for(state="visible")
    _shot(page, "docs-offline")

    assert "/docs/assets/swagger-ui-bundle.js" in loaded
    assert "/docs/assets/swagger-ui.css" in loaded
    assert "/openapi.json" in loaded
    assert left == []
    assert problems.messages == []
