"""The web page in headless Chromium, against the real app under uvicorn.

Screenshots go to /tmp/linkvault-shots/ so a person can look at them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app._archive import Archive, LiveServer
from tests.support.browser import (
    CHROMIUM,
    SHARED,
    Browser,
    Page,
    Problems,
    new_page,
    no_overflow,
    screenshot,
)

SHOTS = Path(os.environ.get("LINKVAULT_SHOTS", "/tmp/linkvault-shots"))

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by a run of browser tests (tests/support/browser.py); the
    contexts a test opened are closed after it. Other modules import this fixture."""
    chromium = SHARED.get()
    yield chromium
    for context in chromium.contexts:
        context.close()


def _page(browser: Browser, width: int = 1280, height: int = 900) -> tuple[Page, Problems]:
    page = new_page(browser, width, height)
    return page, Problems(page)


def _shot(page: Page, name: str) -> None:
    screenshot(page, SHOTS, name)


_no_overflow = no_overflow


def test_search_facet_paging_and_reader(browser: Browser, live_server: LiveServer) -> None:
    page, problems = _page(browser)
    page.goto(live_server.url + "/")
    assert page.get_by_role("heading", name="Your archive").is_visible()
    _shot(page, "01-start")

    box = page.get_by_role("searchbox", name="Search the archive")
    box.fill("interpreter")
    box.press("Enter")
    page.wait_for_url("**/?q=interpreter")
    assert page.locator("li.hit").count() == 10
    assert "of 24 results" in page.locator("#results-summary").inner_text()
    assert box.input_value() == "interpreter"
    _shot(page, "02-results")

    page.locator(".facets").get_by_role("link", name="Memory").click()
    page.wait_for_url("**section=Memory**")
    assert "8 results" in page.locator("#results-summary").inner_text()
    sections = page.locator(".hit-meta .section").all_inner_texts()
    assert sections and set(sections) == {"Memory"}
    _shot(page, "03-facet")

    page.get_by_role("link", name="Clear all filters").click()
    page.wait_for_url("**/?q=interpreter")
    page.get_by_role("navigation", name="Pages of results").get_by_role("link", name="Next").click()
    page.wait_for_url("**page=2**")
    assert "11–20" in page.locator("#results-summary").inner_text()
    page.get_by_role("link", name="Page 3").click()
    page.wait_for_url("**page=3**")
    assert page.locator("li.hit").count() == 4
    _shot(page, "04-page3")

    title = page.locator("li.hit h2 a").first
    expected = title.inner_text()
    title.click()
    page.wait_for_url("**/links/**")
    assert page.get_by_role("heading", level=1).inner_text() == expected
    assert page.locator(".prose p").count() == 3
    assert page.get_by_role("heading", name="History").is_visible()
    _shot(page, "05-reader")
    assert problems.messages == []


def test_tags_on_results_and_in_the_sidebar_search_by_tag(
    browser: Browser, live_server: LiveServer
) -> None:
    page, problems = _page(browser)
    page.goto(live_server.url + "/?q=interpreter")
    first = page.locator("li.hit").first
    assert first.locator(".tags .tag").all_inner_texts() == ["CPython internals", "Long read"]
    facet = page.locator(".facets").get_by_role("region", name="Tag")
    assert facet.get_by_role("link").all_inner_texts() == ["cpython internals\n8", "long read\n6"]
    _shot(page, "09-tags")

    first.get_by_role("link", name="Long read").click()
    page.wait_for_url("**/?q=tag%3A%22long+read%22")
    assert page.get_by_role("searchbox", name="Search the archive").input_value() == (
        'tag:"long read"'
    )
    assert "6 results" in page.locator("#results-summary").inner_text()
    for tags in page.locator("li.hit .tags").all_inner_texts():
        assert "Long read" in tags

    page.goto(live_server.url + "/?q=interpreter")
    page.locator(".facets").get_by_role("link", name="cpython internals").click()
    page.wait_for_url("**tag=cpython+internals**")
    assert "8 results" in page.locator("#results-summary").inner_text()
    assert "Tag: cpython internals" in page.locator(".active-filters").inner_text()
    _shot(page, "10-tag-filter")
    assert problems.messages == []


def test_hostile_page_renders_as_text(
    browser: Browser, live_server: LiveServer, archive: Archive
) -> None:
    page, problems = _page(browser)
    page.goto(live_server.url + "/?q=xssprobe")
    assert page.locator("li.hit img").count() == 0
    assert page.locator("main script").count() == 0
    assert "<script>alert(1)</script>" in page.locator("li.hit h2 a").first.inner_text()
    assert page.locator("li.hit .snippet mark").count() >= 1
    _shot(page, "06-hostile-results")
    page.goto(f"{live_server.url}/links/{archive.ids['xss']}")
    assert page.locator("article img, article script, .prose a").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator(".prose").inner_text()
    _shot(page, "07-hostile-reader")
    assert problems.messages == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=interpreter",
        "/?q=xssprobe",
        "/?q=notedword",
        "/links/{topic0}",
        "/links/{xss}",
        "/links/{blocked}",
        "/links/999999",
    ],
)
def test_usable_at_375px(
    browser: Browser, live_server: LiveServer, archive: Archive, path: str
) -> None:
    page, problems = _page(browser, width=375, height=812)
    response = page.goto(live_server.url + path.format(**archive.ids))
    assert response is not None
    box = page.get_by_role("searchbox", name="Search the archive")
    assert box.is_visible()
    bounds = box.bounding_box()
    assert bounds is not None and bounds["x"] >= 0 and bounds["x"] + bounds["width"] <= 375
    _no_overflow(page, 375)
    name = path.format(**archive.ids).strip("/").replace("/", "-").replace("?q=", "q-") or "start"
    _shot(page, f"mobile-{name}")
    # A missing page is a 404 (Chromium logs that as a console error); nothing else may be.
    allowed = ["404"] if response.status == 404 else []
    assert [m for m in problems.messages if not any(a in m for a in allowed)] == []


def test_keyboard_focus_is_visible(browser: Browser, live_server: LiveServer) -> None:
    page, _ = _page(browser)
    page.goto(live_server.url + "/?q=interpreter")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    _shot(page, "08-focus")
