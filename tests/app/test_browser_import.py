"""Importing a file from the /add page in headless Chromium: the owner picks a small Pocket
CSV, sends it, and the page shows the summary with the skipped row. Screenshots (1280 and
375 px) go to $LINKVAULT_ADD_SHOTS (default /tmp/shots-add)."""

from __future__ import annotations

import pytest

from tests.app._archive import LiveServer
from tests.app.test_browser import CHROMIUM, _no_overflow
from tests.app.test_browser import browser as browser  # the module's Chromium, shared
from tests.app.test_browser_add import _page, _shot, _sign_in
from tests.app.test_browser_add import archive as archive  # an archive with an owner
from tests.app.test_browser_add import server as server
from tests.support.site import LocalSite

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser
else:  # pragma: no cover - the module is skipped
    Browser = object  # type: ignore[misc, assignment]


def _pocket_csv(site: LocalSite, tag: str) -> bytes:
    one, two = site.url(f"/one-{tag}"), site.url(f"/two-{tag}")
    rows = [
        "title,url,time_added,tags,status",
        f"First read,{one},1700000000,fish|notes,unread",
        f'"A ""quoted"", title",{two},1700000100,,archive',
        "No URL at all,,1700000200,,unread",
    ]
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("width", [1280, 375])
def test_a_pocket_csv_is_imported_from_the_add_page(
    browser: Browser, server: LiveServer, local_site: LocalSite, width: int
) -> None:
    page, problems = _page(browser, width)
    _sign_in(page, server)
    page.goto(server.url + "/add")
    section = page.get_by_role("region", name="Import a file")
    assert section.is_visible()
    csv = _pocket_csv(local_site, str(width))
    section.get_by_label("File").set_input_files(
        {"name": "pocket.csv", "mimeType": "text/csv", "buffer": csv}
    )
    assert section.get_by_label("Format").input_value() == "auto"
    section.get_by_role("button", name="Import").click()
    page.wait_for_url("**/add/import#import")  # scrolled to the summary

    summary = page.get_by_role("status")
    expected = "Imported pocket.csv (Pocket CSV): 2 added, 0 already present, 1 skipped."
    assert expected in summary.inner_text()
    assert "pocket.csv:4: row without a URL skipped" in summary.inner_text()
    _no_overflow(page, width)
    _shot(page, f"import-{width}")
    assert problems.messages == []
