"""Headless Chromium for the browser tests: one browser for a run of browser tests, a fresh
context (cookies, viewport, colour scheme) for each page, and the checks every module makes.

The browser stays open from one browser test to the next and is closed as soon as the next
test is not one (tests/app/conftest.py): Playwright's sync API keeps its event loop marked as
running in this thread while it is open, and other tests call asyncio.run().
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if TYPE_CHECKING or CHROMIUM.exists():
    from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
else:  # pragma: no cover - the browser tests are skipped
    Browser = ConsoleMessage = Page = Playwright = object


class SharedChromium:
    """Launched on first use, closed by close(); launching costs a second or more."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def get(self) -> Browser:
        if self._browser is None or not self._browser.is_connected():
            self.close()
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=ARGS
            )
        return self._browser

    def close(self) -> None:
        browser, playwright = self._browser, self._playwright
        self._browser = self._playwright = None
        if browser is not None:
            browser.close()
        if playwright is not None:
            playwright.stop()


SHARED = SharedChromium()


class Problems:
    """Console errors and CSP violations seen by a page."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.messages.append(f"pageerror: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.messages.append(f"{message.type}: {message.text}")


def new_page(
    browser: Browser,
    width: int = 1280,
    height: int = 900,
    scheme: str | None = None,
    *,
    javascript: bool = True,
) -> Page:
    """A page in a context of its own (closed after the test by the `browser` fixture)."""
    options: dict[str, Any] = {"viewport": {"width": width, "height": height}}
    if scheme is not None:
        options["color_scheme"] = scheme
    if not javascript:
        options["java_script_enabled"] = False
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(15_000)
    return page


def screenshot(page: Page, folder: Path, name: str) -> None:
    """A full-page screenshot, `folder`/`name`.png, for a person to look at."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def no_overflow(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"horizontal overflow: {scroll_width} > {width}"
