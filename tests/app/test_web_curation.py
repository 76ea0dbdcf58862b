"""Editing a link from its reader page (app/http/web/routes_curation.py), through the form as
a browser sends it: the tags and note on the reader, signed in or not, the CSRF token, bad
values (422 with the message next to the field), unknown ids, the search following an edit
on both backends, an edit surviving a refresh of the page, and private mode.

Deleting is in test_web_removal.py; the browser's view of both in test_browser_curation.py.
"""

from __future__ import annotations

import html
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.http.web.templating import tag_search
from app.main import create_app
from tests.app._archive import (
    INTERNALS,
    LONG_READ,
    NOTE,
    TOKEN,
    XSS_NOTE,
    XSS_TAG,
    Archive,
    LiveServer,
    make_settings,
)
from tests.app._auth import PASSWORD, SECRET_KEY, csrf_from, set_up_owner, sign_in_ok
from tests.app._web_forms import (
    AUTH,
    api_link,
    curation_app,
    hit_ids,
    post_edit,
)
from tests.app._web_forms import app as app  # the fixtures, shared
from tests.app._web_forms import curated as curated
from tests.app._web_forms import owner as owner
from tests.app._web_forms import signed_in as signed_in
from tests.app._web_forms import stranger as stranger
from tests.support import pages
from tests.support.site import LocalSite

FIELD_ERROR = re.compile(r'<p class="field-error" id="edit-(\w+)-error">([^<]*)</p>')


# -- the reader ----------------------------------------------------------------------------


def test_the_reader_shows_tags_and_note_to_everyone(
    stranger: TestClient, fresh_archive: Archive
) -> None:
    page = stranger.get(f"/links/{fresh_archive.ids['topic0']}").text
    for tag in (INTERNALS, LONG_READ):
        assert f'<a class="tag" href="{tag_search(tag)}"' in page
        assert f">{tag}</a>" in page
    noted = stranger.get(f"/links/{fresh_archive.ids['topic1']}").text
    assert f"<p>{html.escape(NOTE)}</p>" in noted
    # The hostile page's tag and note are text, never markup.
    hostile = stranger.get(f"/links/{fresh_archive.ids['xss']}").text
    assert XSS_TAG not in hostile and XSS_NOTE not in hostile
    assert html.escape(XSS_TAG) in hostile and html.escape(XSS_NOTE) in hostile


def test_edit_and_delete_are_offered_to_the_owner_only(
    stranger: TestClient, signed_in: TestClient, fresh_archive: Archive
) -> None:
    link_id = fresh_archive.ids["topic2"]
    edit, delete = f'href="/links/{link_id}/edit"', f'href="/links/{link_id}/delete"'
    page = stranger.get(f"/links/{link_id}").text
    assert edit not in page and delete not in page
    page = signed_in.get(f"/links/{link_id}").text
    assert edit in page and delete in page


# -- signed out, CSRF, unknown ids ---------------------------------------------------------


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_signed_out_the_pages_say_to_sign_in_and_posts_are_refused(
    stranger: TestClient, fresh_archive: Archive, action: str
) -> None:
    link_id = fresh_archive.ids["topic3"]
    before = api_link(stranger, link_id)
    page = stranger.get(f"/links/{link_id}/{action}")
    assert page.status_code == 200
    back = html.escape(f"/signin?next=%2Flinks%2F{link_id}%2F{action}")
    assert f'<a href="{back}">sign in</a>' in page.text
    assert "<button" not in page.text.split("<main", 1)[1]  # nothing to press but links
    # With a valid CSRF token, still not the owner: 401, nothing changed.
    data = {"csrftoken": csrf_from(stranger.get("/signin").text), "title": "Mine", "tags": "x"}
    refused = stranger.post(f"/links/{link_id}/{action}", data=data)
    assert refused.status_code == 401
    assert "Sign in to change the archive." in refused.text
    assert api_link(stranger, link_id) == before


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_a_post_without_its_csrf_token_is_403(
    signed_in: TestClient, fresh_archive: Archive, action: str
) -> None:
    link_id = fresh_archive.ids["topic4"]
    before = api_link(signed_in, link_id)
    for token in (None, "guessed", csrf_from(signed_in.get("/").text) + "x"):
        data = {"title": "Forged"} | ({} if token is None else {"csrftoken": token})
        refused = signed_in.post(f"/links/{link_id}/{action}", data=data)
        assert refused.status_code == 403, token
        assert "did not come from this site" in refused.text
    assert api_link(signed_in, link_id) == before


@pytest.mark.parametrize("link_id", ["999999", "0", "abc", "1e3", "99999999999999999999"])
def test_unknown_ids_are_404(signed_in: TestClient, link_id: str) -> None:
    token = csrf_from(signed_in.get("/").text)
    for action in ("edit", "delete"):
        page = signed_in.get(f"/links/{link_id}/{action}")
        assert page.status_code == 404, (action, page.text)
        assert "There is no archived link with this id." in page.text
        posted = signed_in.post(
            f"/links/{link_id}/{action}", data={"csrftoken": token, "title": "x"}
        )
        assert posted.status_code == 404, (action, posted.text)
        assert "There is no archived link with this id." in posted.text


# -- editing -------------------------------------------------------------------------------


def test_the_form_holds_what_the_link_has(signed_in: TestClient, fresh_archive: Archive) -> None:
    link_id = fresh_archive.ids["topic0"]
    form = signed_in.get(f"/links/{link_id}/edit").text
    assert 'name="title" type="text" value="Python internals: frames"' in form
    assert 'name="section" type="text" value="Interpreters"' in form
    assert f'name="tags" type="text" value="{INTERNALS}, {LONG_READ}"' in form
    assert re.search(r'<textarea id="edit-note" name="note" rows="5">\s*</textarea>', form)
    assert f'action="/links/{link_id}/edit" method="post"' in form
    assert '<option value="Bytecode">' in form  # the sections are offered


def test_an_edit_shows_on_the_reader_and_in_search_at_once(
    owner: TestClient, curated: Archive
) -> None:
    link_id = curated.ids["topic5"]  # "reference counting", no tags, no note
    saved = post_edit(
        owner,
        link_id,
        title="Refcounts, explained by a wombat",
        section="Favourites",
        tags="Wombat lore, refcounting,, refcounting",
        note="Read it twice.\nThe quolltastic part is at the end.",
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/links/{link_id}?edited=1"
    reader = owner.get(saved.headers["location"]).text
    assert '<p class="notice notice-info" role="status">Saved.</p>' in reader
    assert '<h1 id="reader-title">Refcounts, explained by a wombat</h1>' in reader
    assert f'href="{tag_search("Wombat lore")}"' in reader
    assert "The quolltastic part is at the end." in reader
    body = api_link(owner, link_id)
    assert (body["title"], body["section"], body["tags"], body["note"]) == (
        "Refcounts, explained by a wombat",
        "Favourites",
        ["Wombat lore", "refcounting"],
        "Read it twice.\nThe quolltastic part is at the end.",
    )
    # The index followed: by tag (whole, any case), by a word of the note, by the new title.
    assert hit_ids(owner, 'tag:"wombat lore"') == [link_id]
    assert hit_ids(owner, "quolltastic") == [link_id]
    assert hit_ids(owner, "title:wombat") == [link_id]
    results = owner.get("/", params={"q": "tag:refcounting"}).text
    assert "Refcounts, explained by a wombat" in results

    # Emptied, the title is the page's own again; the tags and note clear.
    cleared = post_edit(owner, link_id, title="", section="Favourites", tags=" , ", note="")
    assert cleared.status_code == 303
    body = api_link(owner, link_id)
    assert body["title"] == "Python internals: reference counting"
    assert (body["tags"], body["note"]) == ([], None)
    assert hit_ids(owner, 'tag:"wombat lore"') == [] and hit_ids(owner, "quolltastic") == []


def test_a_field_not_sent_stays_as_it_is(signed_in: TestClient, fresh_archive: Archive) -> None:
    link_id = fresh_archive.ids["topic1"]
    before = api_link(signed_in, link_id)
    assert post_edit(signed_in, link_id, tags="only tags").status_code == 303
    after = api_link(signed_in, link_id)
    assert after["tags"] == ["only tags"]
    assert (after["title"], after["section"], after["note"]) == (
        before["title"],
        before["section"],
        NOTE,
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"tags": "fine, " + "x" * 65}, "tags", "is 65 characters long; at most 64"),
        ({"tags": "bell\u0007tag"}, "tags", "control character"),
        ({"title": "bell\u0007"}, "title", "The title contains a control character."),
        ({"title": "t" * 1001}, "title", "at most 1000"),
        ({"section": "s" * 301}, "section", "at most 300"),
        ({"note": "n" * 10_001}, "note", "at most 10000"),
        ({"tags": ", ".join(f"t{n}" for n in range(101))}, "tags", "at most 100 tags"),
    ],
)
def test_a_refused_value_shows_the_form_again_with_the_message(
    signed_in: TestClient,
    fresh_archive: Archive,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    link_id = fresh_archive.ids["topic6"]
    before = api_link(signed_in, link_id)
    sent = {"title": "Kept as typed", "section": "Typed", "tags": "typed", "note": "typed note"}
    refused = post_edit(signed_in, link_id, **(sent | fields))
    assert refused.status_code == 422
    errors = dict(FIELD_ERROR.findall(refused.text))
    assert list(errors) == [field]
    assert message in html.unescape(errors[field])
    assert "Nothing was saved" in refused.text
    # What was typed is still in the form, to correct.
    for name in ("title", "section", "tags"):
        value = html.escape((sent | fields)[name])
        assert f'name="{name}" type="text" value="{value}"' in refused.text
    assert html.escape((sent | fields)["note"]) in refused.text
    assert api_link(signed_in, link_id) == before


def test_every_refused_field_is_named_at_once(
    signed_in: TestClient, fresh_archive: Archive
) -> None:
    link_id = fresh_archive.ids["topic6"]
    refused = post_edit(signed_in, link_id, title="a\u0000b", tags="x" * 70, note="n" * 10_001)
    assert refused.status_code == 422
    assert set(dict(FIELD_ERROR.findall(refused.text))) == {"title", "tags", "note"}
    # The section was not sent: the form shows the link's own.
    assert 'name="section" type="text" value="Interpreters"' in refused.text


def test_an_edit_survives_a_refresh_of_the_page(tmp_path: Path, local_site: LocalSite) -> None:
    """The page changes (a new title, new text); the refresh stores a new snapshot, and
    what the owner set still wins everywhere."""
    url_path = "/zebra.html"
    local_site.route(url_path, pages.article("Zebra notes", pages.filler("zebra stripes")).encode())
    settings = make_settings(tmp_path / "data", api_token=TOKEN, secret_key=SECRET_KEY)
    set_up_owner(settings)
    with (
        LiveServer(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
    ):
        added = client.post("/api/links", json={"urls": [local_site.url(url_path)]}, headers=AUTH)
        link_id = added.json()["ids"][0]
        first = _poll(client, link_id, lambda body: body["status"] == "ok")
        assert first["title"] == "Zebra notes"

        sign_in_ok(client)
        form = client.get(f"/links/{link_id}/edit").text
        data = {
            "csrftoken": csrf_from(form),
            "title": "My own zebra title",
            "section": "Animals",
            "tags": "stripes",
            "note": "Kept for the okapi comparison.",
        }
        assert client.post(f"/links/{link_id}/edit", data=data).status_code == 303

        new_page = pages.article("Zebra notes, second edition", pages.filler("okapi legs"))
        local_site.route(url_path, new_page.encode())
        assert client.post(f"/api/links/{link_id}/refresh", headers=AUTH).status_code == 202
        again = _poll(client, link_id, lambda body: body["checked_at"] != first["checked_at"])
        assert "okapi legs" in again["text"]  # the new copy...
        assert (again["title"], again["section"], again["tags"], again["note"]) == (
            "My own zebra title",  # ...under the owner's title
            "Animals",
            ["stripes"],
            "Kept for the okapi comparison.",
        )
        reader = client.get(f"/links/{link_id}").text
        assert '<h1 id="reader-title">My own zebra title</h1>' in reader
        assert "Kept for the okapi comparison." in reader
        found = client.get("/api/search", params={"q": "okapi legs"}).json()["results"]
        assert [(hit["id"], hit["title"]) for hit in found] == [(link_id, "My own zebra title")]
        assert hit_ids(client, "tag:stripes") == [link_id]


def _poll(client: httpx.Client, link_id: int, done: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = api_link(client, link_id)
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting on link {link_id}: {body}")
        time.sleep(0.1)


# -- private mode --------------------------------------------------------------------------


def test_in_private_mode_a_stranger_signs_in_and_comes_back_to_the_form(
    fresh_archive: Archive,
) -> None:
    link_id = fresh_archive.ids["topic9"]
    with TestClient(curation_app(fresh_archive, private=True)) as client:
        for action in ("edit", "delete"):
            asked = client.get(f"/links/{link_id}/{action}", follow_redirects=False)
            assert asked.status_code == 303
            assert asked.headers["location"] == f"/signin?next=%2Flinks%2F{link_id}%2F{action}"
        page = client.get(f"/links/{link_id}/edit")  # followed to the sign-in page
        assert page.url.path == "/signin"
        data = {
            "csrftoken": csrf_from(page.text),
            "password": PASSWORD,
            "next": f"/links/{link_id}/edit",
        }
        back = client.post("/signin", data=data)
        assert back.url.path == f"/links/{link_id}/edit" and back.status_code == 200
        assert '<button type="submit">Save</button>' in back.text
