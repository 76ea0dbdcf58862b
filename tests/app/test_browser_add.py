"""Adding a link in headless Chromium: the bookmarklet run on a page opens linkvault's form
with that page's address and title, the owner saves it, the reader shows it pending and
then archived. Screenshots of the form (1280 and 375 px) go to $LINKVAULT_ADD_SHOTS
(default /tmp/shots-add)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.http.web.routes_add import bookmarklet
from app.main import create_app
from tests.app._archive import Archive, LiveServer, build_archive
from tests.app._auth import PASSWORD, SECRET_KEY, set_up_owner
from tests.app.test_api_write import ARTICLE
from tests.app.test_browser import CHROMIUM, Problems, _no_overflow
from tests.app.test_browser import browser as browser  # the module's Chromium, shared
from tests.support.browser import new_page, screenshot
from tests.support.site import LocalSite

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page
else:  # pragma: no cover - the module is skipped
    Browser = Page = object  # type: ignore[misc, assignment]

SHOTS = Path(os.environ.get("LINKVAULT_ADD_SHOTS", "/tmp/shots-add"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    archive = build_archive(tmp_path_factory.mktemp("add-browser") / "data")
    set_up_owner(archive.settings())
    return archive


@pytest.fixture(scope="module")
def server(archive: Archive) -> Iterator[LiveServer]:
    with LiveServer(create_app(archive.settings(secret_key=SECRET_KEY))) as live:
        yield live


def _page(browser: Browser, width: int = 1280, scheme: str = "light") -> tuple[Page, Problems]:
    page = new_page(browser, width, scheme=scheme)
    return page, Problems(page)


def _shot(page: Page, name: str) -> None:
    screenshot(page, SHOTS, name)


def _sign_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/signin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


def test_the_bookmarklet_adds_the_page_being_read(
    browser: Browser, server: LiveServer, local_site: LocalSite
) -> None:
    local_site.route("/article.html", ARTICLE)
    # The browser asks the page's site for its icon; a 404 there would be logged.
    local_site.route("/favicon.ico", b"", status=204, content_type=None)
    page, problems = _page(browser)
    _sign_in(page, server)

    page.goto(server.url + "/add")
    offered = page.get_by_role("link", name="+ linkvault").get_attribute("href")
    assert offered == bookmarklet(server.url + "/")

    article = local_site.url("/article.html")
    page.goto(article)
    # What clicking the bookmark does: run its script on the page being read.
    page.evaluate(offered.removeprefix("javascript:"))
    page.wait_for_url("**/add?url=*")
    assert page.get_by_label("Address").input_value() == article
    assert page.get_by_label("Title").input_value() == "Zebrafish bytecode notes"
    page.get_by_label("Tags").fill("fish, notes")
    page.get_by_label("Note").fill("kept from the bookmarklet")
    page.get_by_role("button", name="Add and archive").click()
    page.wait_for_url("**/links/*?added=new")
    assert "Added. linkvault is archiving it now" in page.locator("main").inner_text()

    deadline = time.monotonic() + 60
    while "quaggamatic evaluation loop" not in page.locator("main").inner_text():
        assert time.monotonic() < deadline, "the link was never archived"
        time.sleep(0.2)
        page.reload()
    assert page.locator(".reader-status .badge").inner_text().lower() == "ok"
    assert problems.messages == []


def test_a_refused_address_is_shown_with_its_message(browser: Browser, server: LiveServer) -> None:
    page, problems = _page(browser)
    _sign_in(page, server)
    page.goto(server.url + "/add")
    # type="url" lets the browser refuse garbage itself; a well-formed ftp: address passes it.
    page.get_by_label("Address").fill("ftp://example.com/file")
    page.get_by_role("button", name="Add and archive").click()
    alert = page.get_by_role("alert")
    assert "Only http:// and https:// addresses can be archived." in alert.inner_text()
    assert page.get_by_label("Address").input_value() == "ftp://example.com/file"
    # Chromium logs the 422 the refused form is answered with; nothing else may appear.
    assert [m for m in problems.messages if "status of 422" not in m] == []


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (375, "light"), (375, "dark")])
def test_the_form_looks_right(
    browser: Browser, server: LiveServer, width: int, scheme: str
) -> None:
    page, problems = _page(browser, width, scheme)
    _sign_in(page, server)
    page.goto(
        server.url + "/add?url=https%3A%2F%2Fexample.com%2Fa-long-article-title&title=A%20page"
    )
    assert page.get_by_role("heading", name="Add a link").is_visible()
    _no_overflow(page, width)
    _shot(page, f"add-{width}-{scheme}")
    assert problems.messages == []
