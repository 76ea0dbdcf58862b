"""Signing in and out in headless Chromium, against the real app under uvicorn: the form,
the header's sign-out button, a forged cross-site form refused, and private mode sending a
stranger to sign in and back to the page asked for.

Screenshots of the sign-in page (1280 and 375 px, light and dark) go to
$LINKVAULT_AUTH_SHOTS (default /tmp/shots-auth).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.main import create_app
from tests.app._archive import Archive, LiveServer, build_archive
from tests.app._auth import PASSWORD, SECRET_KEY, set_up_owner
from tests.app.test_browser import CHROMIUM, Problems, _no_overflow
from tests.app.test_browser import browser as browser  # the module's Chromium, shared
from tests.support.browser import new_page, screenshot

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page
else:  # pragma: no cover - the module is skipped
    Browser = Page = object  # type: ignore[misc, assignment]

SHOTS = Path(os.environ.get("LINKVAULT_AUTH_SHOTS", "/tmp/shots-auth"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    archive = build_archive(tmp_path_factory.mktemp("auth-browser") / "data")
    set_up_owner(archive.settings())
    return archive


@pytest.fixture(scope="module")
def public(archive: Archive) -> Iterator[LiveServer]:
    with LiveServer(create_app(archive.settings(secret_key=SECRET_KEY))) as server:
        yield server


@pytest.fixture(scope="module")
def private(archive: Archive) -> Iterator[LiveServer]:
    settings = archive.settings(secret_key=SECRET_KEY, private=True)
    with LiveServer(create_app(settings)) as server:
        yield server


def _page(browser: Browser, width: int = 1280, scheme: str = "light") -> tuple[Page, Problems]:
    page = new_page(browser, width, scheme=scheme)
    return page, Problems(page)


def _shot(page: Page, name: str) -> None:
    screenshot(page, SHOTS, name)


# Chromium logs every document answered 4xx; a wrong password is answered 401 on purpose.
WRONG_PASSWORD_LOG = "the server responded with a status of 401"


def _unexpected(problems: Problems) -> list[str]:
    return [message for message in problems.messages if WRONG_PASSWORD_LOG not in message]


def _sign_in(page: Page, password: str = PASSWORD) -> None:
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_and_out(browser: Browser, public: LiveServer) -> None:
    page, problems = _page(browser)
    page.goto(public.url + "/links/1")
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url("**/signin?next=%2Flinks%2F1")
    _sign_in(page, "not the password")
    assert page.get_by_role("alert").inner_text() == "Wrong password."
    _sign_in(page)
    page.wait_for_url(public.url + "/links/1")
    sign_out = page.get_by_role("button", name="Sign out")
    assert sign_out.is_visible()
    _shot(page, "reader-signed-in-1280")
    page.set_viewport_size({"width": 375, "height": 900})
    _no_overflow(page, 375)
    _shot(page, "reader-signed-in-375")
    cookies = {cookie["name"]: cookie for cookie in page.context.cookies()}
    assert cookies["linkvault_session"]["httpOnly"] is True
    assert cookies["linkvault_session"]["sameSite"] == "Lax"

    sign_out.click()
    page.wait_for_url(public.url + "/")
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert "linkvault_session" not in {cookie["name"] for cookie in page.context.cookies()}
    assert _unexpected(problems) == []


def _forged_form(action: str) -> str:
    return f"""<!doctype html><title>forged</title>
<form id="f" action="{action}" method="post"><input name="csrftoken" value="guessed"></form>
<script>document.getElementById("f").submit()</script>"""


@pytest.mark.parametrize("where", ["another site", "this site"])
def test_a_forged_form_is_refused(browser: Browser, public: LiveServer, where: str) -> None:
    """A page posts a form to linkvault while the owner is signed in. From another site the
    browser holds the session cookie back (SameSite=Lax) and the form has no token; from a
    page on linkvault's own origin (as if markup got through) the cookie goes along, and
    the form still cannot know the token: refused either way, still signed in."""
    page, _ = _page(browser)
    page.goto(public.url + "/signin")
    _sign_in(page)
    page.wait_for_url(public.url + "/")

    # The same server under another name is another site to the browser.
    origin = public.url.replace("127.0.0.1", "localhost") if where == "another site" else public.url
    page.route(
        origin + "/forged",
        lambda route: route.fulfill(
            content_type="text/html", body=_forged_form(public.url + "/signout")
        ),
    )
    page.goto(origin + "/forged")
    page.wait_for_url(public.url + "/signout")
    assert page.get_by_role("heading", level=1).inner_text() == "Forbidden"
    assert "did not come from this site" in page.locator("main").inner_text()
    page.goto(public.url + "/")
    assert page.get_by_role("button", name="Sign out").is_visible()  # still signed in


def test_private_mode_sends_a_stranger_to_sign_in_and_back(
    browser: Browser, private: LiveServer
) -> None:
    page, problems = _page(browser)
    page.goto(private.url + "/links/2?q=frames")
    page.wait_for_url("**/signin?next=**")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert "Python internals" not in page.content()
    _sign_in(page)
    page.wait_for_url(private.url + "/links/2?q=frames")
    assert "Python internals" in page.get_by_role("heading", level=1).inner_text()
    # Its images and the API answer the signed-in browser too.
    assert page.request.get(private.url + "/api/stats").status == 200
    assert problems.messages == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
def test_the_sign_in_page_looks_right(
    browser: Browser, public: LiveServer, width: int, scheme: str
) -> None:
    page, problems = _page(browser, width, scheme)
    page.goto(public.url + "/signin")
    _sign_in(page, "wrong password")  # the page with its error message
    assert page.get_by_role("alert").is_visible()
    _no_overflow(page, width)
    password = page.get_by_label("Password")
    button = page.get_by_role("button", name="Sign in")
    box, field = button.bounding_box(), password.bounding_box()
    assert box is not None and field is not None
    assert field["x"] >= 0 and field["x"] + field["width"] <= width
    assert box["height"] >= 36  # a comfortable target on a phone
    _shot(page, f"signin-{width}-{scheme}")
    page.goto(public.url + "/signin")
    _shot(page, f"signin-empty-{width}-{scheme}")
    assert _unexpected(problems) == []


def test_without_a_password_the_page_says_how_to_set_one(
    browser: Browser, tmp_path_factory: pytest.TempPathFactory
) -> None:
    settings = build_archive(tmp_path_factory.mktemp("no-password") / "data").settings()
    with LiveServer(create_app(settings)) as server:
        page, problems = _page(browser, 375)
        page.goto(server.url + "/signin")
        assert page.get_by_text("linkvault passwd").is_visible()
        assert page.get_by_label("Password").count() == 0
        _no_overflow(page, 375)
        _shot(page, "signin-no-password-375")
        assert problems.messages == []
