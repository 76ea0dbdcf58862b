"""Editing and deleting a link from its reader page in headless Chromium, against the real app
under uvicorn: the edit form, then the link found by its new tag and a word of its note; the
delete button, its confirmation, and the link gone from search (without JavaScript); forged
forms refused with the link still there; private mode sending a stranger to sign in and back
to the form.

Screenshots of the reader with tags and a note, the edit form and the delete confirmation
(1280 and 375 px, light and dark) go to $LINKVAULT_WEB_SHOTS (default /tmp/shots-web).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app.http.web.templating import tag_search
from app.main import create_app
from app.services import Vault
from app.services.curation import edit_link
from tests.app._archive import Archive, LiveServer, build_archive
from tests.app._auth import PASSWORD, SECRET_KEY, set_up_owner
from tests.app.test_browser import CHROMIUM, Problems, _no_overflow
from tests.app.test_browser import browser as browser  # the module's Chromium, shared
from tests.app.test_browser_reader import Watch
from tests.support.browser import new_page, screenshot

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)

if CHROMIUM.exists():
    from playwright.sync_api import Browser, Page
else:  # pragma: no cover - the module is skipped
    Browser = Page = object  # type: ignore[misc, assignment]

SHOTS = Path(os.environ.get("LINKVAULT_WEB_SHOTS", "/tmp/shots-web"))
SHOWN_NOTE = (
    "Start with the section on frame objects, then read the code side by side.\n"
    "A long unbroken word must wrap on a phone: "
    "pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some-more-letters."
)
# Chromium logs every document answered 4xx: these tests cause some on purpose.
EXPECTED_LOGS = ("status of 401", "status of 403", "status of 422")


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    archive = build_archive(tmp_path_factory.mktemp("curation-browser") / "data")
    set_up_owner(archive.settings())
    # The link the screenshots show: tags, some of them long, and a note of several lines.
    vault = Vault(archive.settings())
    try:
        edit_link(
            vault,
            archive.ids["topic1"],
            tags=["CPython internals", "bytecode", "to reread", "a rather long tag for a phone"],
            note=SHOWN_NOTE,
        )
    finally:
        vault.close()
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


def _page(
    browser: Browser, width: int = 1280, scheme: str = "light", *, javascript: bool = True
) -> tuple[Page, Problems, Watch]:
    page = new_page(browser, width, scheme=scheme, javascript=javascript)
    return page, Problems(page), Watch(page)


def _shot(page: Page, name: str) -> None:
    screenshot(page, SHOTS, name)


def _unexpected(problems: Problems) -> list[str]:
    return [
        message
        for message in problems.messages
        if not any(expected in message for expected in EXPECTED_LOGS)
    ]


def _only_linkvault(watch: Watch, server: LiveServer) -> None:
    assert watch.hosts() == {urlsplit(server.url).netloc}, watch.requests
    assert watch.dialogs == []


def _sign_in_at(page: Page, server: LiveServer, back: str) -> None:
    page.goto(f"{server.url}/signin?next={back}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + back)


def _search(page: Page, query: str) -> None:
    box = page.get_by_role("searchbox", name="Search the archive")
    box.fill(query)
    box.press("Enter")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [query])


def test_edit_then_find_the_link_by_its_tag_and_its_note(
    browser: Browser, public: LiveServer, archive: Archive
) -> None:
    link_id = archive.ids["topic2"]  # "the eval loop"
    page, problems, watch = _page(browser)
    _sign_in_at(page, public, f"/links/{link_id}")
    page.get_by_role("link", name="Edit", exact=True).click()
    page.wait_for_url(f"**/links/{link_id}/edit")
    assert page.get_by_label("Title").input_value() == "Python internals: the eval loop"

    page.get_by_label("Title").fill("The eval loop, annotated")
    page.get_by_label("Tags").fill("Ceval walkthrough, favourites")
    page.get_by_label("Note").fill("Compare with the okapicode branch.\nSecond line.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{public.url}/links/{link_id}?edited=1")
    assert page.get_by_role("status").inner_text() == "Saved."
    _shot(page, "saved-1280-light")
    assert page.get_by_role("heading", level=1).inner_text() == "The eval loop, annotated"
    tags = page.get_by_role("list", name="Tags").get_by_role("link")
    assert tags.all_inner_texts() == ["Ceval walkthrough", "favourites"]
    note = page.get_by_role("note", name="Your note")
    assert "Compare with the okapicode branch." in note.inner_text()

    # A tag on the reader is the search for it.
    tags.first.click()
    page.wait_for_url(public.url + tag_search("Ceval walkthrough"))
    hits = page.locator("li.hit h2 a")
    assert hits.all_inner_texts() == ["The eval loop, annotated"]
    _search(page, "okapicode")
    assert page.locator("li.hit h2 a").all_inner_texts() == ["The eval loop, annotated"]
    _search(page, 'tag:"ceval walkthrough" interpreter')
    assert page.locator("li.hit h2 a").all_inner_texts() == ["The eval loop, annotated"]
    _only_linkvault(watch, public)
    assert problems.messages == []


def test_an_invalid_tag_keeps_what_was_typed(
    browser: Browser, public: LiveServer, archive: Archive
) -> None:
    link_id = archive.ids["topic3"]
    page, problems, _ = _page(browser)
    _sign_in_at(page, public, f"/links/{link_id}/edit")
    page.get_by_label("Title").fill("Kept while refused")
    page.get_by_label("Tags").fill("fine, " + "x" * 65)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    message = page.locator("#edit-tags-error").inner_text()
    assert "65 characters long; at most 64" in message
    assert page.get_by_label("Title").input_value() == "Kept while refused"
    assert page.get_by_label("Tags").get_attribute("aria-invalid") == "true"
    page.goto(f"{public.url}/links/{link_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Python internals: opcodes"
    assert _unexpected(problems) == []


def test_delete_through_the_confirmation_without_javascript(
    browser: Browser, public: LiveServer, archive: Archive
) -> None:
    link_id = archive.ids["dead"]  # the only page with "dodoword"
    page, _, watch = _page(browser, javascript=False)
    _sign_in_at(page, public, f"/links/{link_id}")
    page.get_by_role("link", name="Delete", exact=True).click()
    page.wait_for_url(f"**/links/{link_id}/delete")
    assert page.get_by_role("heading", name="Delete this link?").is_visible()
    assert "This cannot be undone." in page.locator("main").inner_text()
    # Cancelling keeps it.
    page.get_by_role("link", name="Cancel, keep it").click()
    page.wait_for_url(f"{public.url}/links/{link_id}")
    page.get_by_role("link", name="Delete", exact=True).click()
    page.get_by_role("button", name="Delete for good").click()
    page.wait_for_url(f"{public.url}/?removed=*")
    assert page.get_by_role("status").inner_text() == "Removed “Old bytecode notes”."
    _shot(page, "removed-1280-light")
    _search(page, "dodoword")
    assert page.locator("li.hit").count() == 0
    assert "No results" in page.locator("main").inner_text()
    assert page.goto(f"{public.url}/links/{link_id}").status == 404  # type: ignore[union-attr]
    _only_linkvault(watch, public)


def _forged_form(action: str) -> str:
    return f"""<!doctype html><title>forged</title>
<form id="f" action="{action}" method="post"><input name="csrftoken" value="guessed">
<input name="title" value="Forged"><input name="tags" value="forged"></form>
<script>document.getElementById("f").submit()</script>"""


@pytest.mark.parametrize("action", ["edit", "delete"])
@pytest.mark.parametrize("where", ["another site", "this site"])
def test_a_forged_form_is_refused_and_the_link_stays(
    browser: Browser, public: LiveServer, archive: Archive, action: str, where: str
) -> None:
    """From another site the browser holds the session cookie back (SameSite=Lax): the
    request is a stranger's, 401. From a page on linkvault's own origin (as if markup got
    through) the cookie goes along, but the form cannot know the CSRF token: 403."""
    link_id = archive.ids["topic4"]
    page, _, _ = _page(browser)
    _sign_in_at(page, public, f"/links/{link_id}")
    origin = public.url.replace("127.0.0.1", "localhost") if where == "another site" else public.url
    target = f"{public.url}/links/{link_id}/{action}"
    page.route(
        origin + "/forged",
        lambda route: route.fulfill(content_type="text/html", body=_forged_form(target)),
    )
    with page.expect_navigation(url=target) as navigation:
        page.goto(origin + "/forged")
    response = navigation.value
    assert response is not None
    if where == "another site":
        assert response.status == 401
        assert "Sign in to change the archive." in page.locator("main").inner_text()
    else:
        assert response.status == 403
        assert "did not come from this site" in page.locator("main").inner_text()
    page.goto(f"{public.url}/links/{link_id}")
    assert page.get_by_role("heading", level=1).inner_text() == "Python internals: the GIL"
    tags = page.get_by_role("list", name="Tags").get_by_role("link").all_inner_texts()
    assert tags == ["Long read"]
    assert page.get_by_role("link", name="Edit", exact=True).is_visible()  # still signed in


def test_private_mode_sends_a_stranger_to_sign_in_and_back_to_the_form(
    browser: Browser, private: LiveServer, archive: Archive
) -> None:
    link_id = archive.ids["topic5"]
    page, problems, watch = _page(browser, 375)
    page.goto(f"{private.url}/links/{link_id}/edit")
    page.wait_for_url("**/signin?next=**")
    assert "Python internals" not in page.content()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{private.url}/links/{link_id}/edit")
    assert page.get_by_role("heading", name="Edit link").is_visible()
    assert page.get_by_label("Title").input_value() == "Python internals: reference counting"
    assert page.get_by_role("button", name="Save").is_visible()
    _no_overflow(page, 375)
    _only_linkvault(watch, private)
    assert problems.messages == []


@pytest.mark.parametrize(
    ("width", "scheme"), [(1280, "light"), (375, "light"), (1280, "dark"), (375, "dark")]
)
def test_the_pages_look_right(
    browser: Browser, public: LiveServer, archive: Archive, width: int, scheme: str
) -> None:
    link_id = archive.ids["topic1"]
    page, problems, watch = _page(browser, width, scheme)
    _sign_in_at(page, public, f"/links/{link_id}")
    name = f"{width}-{scheme}"
    assert page.get_by_role("list", name="Tags").get_by_role("link").count() == 4
    assert page.get_by_role("note", name="Your note").is_visible()
    _no_overflow(page, width)
    _buttons_fit(page, width, ["Edit", "Delete"], role="link")
    _shot(page, f"reader-{name}")

    page.goto(f"{public.url}/links/{link_id}/edit")
    _no_overflow(page, width)
    _buttons_fit(page, width, ["Save"], role="button")
    _shot(page, f"edit-{name}")
    page.get_by_label("Tags").fill("fine, " + "x" * 65)
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.locator("#edit-tags-error").is_visible()
    _no_overflow(page, width)
    _shot(page, f"edit-refused-{name}")

    page.goto(f"{public.url}/links/{link_id}/delete")
    _no_overflow(page, width)
    _buttons_fit(page, width, ["Delete for good"], role="button")
    _shot(page, f"delete-{name}")
    _only_linkvault(watch, public)
    assert _unexpected(problems) == []


def _buttons_fit(page: Page, width: int, names: list[str], role: str) -> None:
    for label in names:
        box = page.get_by_role(role, name=label, exact=True).bounding_box()  # type: ignore[arg-type]
        assert box is not None, label
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, label
        assert box["height"] >= 30, label  # a target a thumb can hit
