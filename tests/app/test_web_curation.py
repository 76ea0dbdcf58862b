"""Editing and deleting a link from its reader page (app/http/web/routes_curation.py), through
the forms as a browser sends them: signed in or not, the CSRF token, bad values (422 with the
message next to the field), unknown ids, the search following an edit and a removal on both
backends, the stats and every export after a removal, an edit surviving a refresh of the
page, and a locked index warned about rather than failing."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.http.web.templating import tag_search
from app.main import create_app
from app.services import Vault
from app.services.exporting import ExportFormat, export
from index import SearchIndex
from index.whoosh import Store
from tests.app._archive import (
    INTERNALS,
    LONG_READ,
    NOTE,
    TOKEN,
    XSS_NOTE,
    XSS_TAG,
    Archive,
    LiveServer,
    build_archive,
    make_settings,
)
from tests.app._auth import PASSWORD, SECRET_KEY, csrf_from, set_up_owner, sign_in_ok
from tests.support import pages
from tests.support.site import LocalSite

AUTH = {"Authorization": f"Bearer {TOKEN}"}
FIELD_ERROR = re.compile(r'<p class="field-error" id="edit-(\w+)-error">([^<]*)</p>')


def _app(archive: Archive, **overrides: Any) -> FastAPI:
    settings = archive.settings(secret_key=SECRET_KEY, api_token=TOKEN, **overrides)
    set_up_owner(settings)
    return create_app(settings)


@pytest.fixture
def curated(search_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Archive:
    """A private copy of the fixture archive, on this module's search backend."""
    database_url = None
    if search_backend == "postgres":
        database_url = request.getfixturevalue("postgres_server").database()
    return build_archive(
        tmp_path / "data", database_url=database_url, search_backend=search_backend
    )


@pytest.fixture
def owner(curated: Archive) -> Iterator[TestClient]:
    """The signed-in owner, on both backends."""
    with TestClient(_app(curated), follow_redirects=False) as client:
        sign_in_ok(client)
        yield client


@pytest.fixture
def app(fresh_archive: Archive) -> FastAPI:
    """The app over a private copy on SQLite and Whoosh, for what needs no search."""
    return _app(fresh_archive)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        sign_in_ok(client)
        yield client


@pytest.fixture
def stranger(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _token(client: TestClient, link_id: int) -> str:
    page = client.get(f"/links/{link_id}/edit")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def _edit(client: TestClient, link_id: int, **fields: str) -> httpx.Response:
    data = {"csrftoken": _token(client, link_id), **fields}
    return client.post(f"/links/{link_id}/edit", data=data)


def _delete(client: TestClient, link_id: int) -> httpx.Response:
    data = {"csrftoken": _token(client, link_id)}
    return client.post(f"/links/{link_id}/delete", data=data)


def _api_link(client: TestClient | httpx.Client, link_id: int) -> dict[str, Any]:
    response = client.get(f"/api/links/{link_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _hit_ids(client: TestClient | httpx.Client, q: str) -> list[int]:
    response = client.get("/api/search", params={"q": q, "per_page": 50})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["results"]]


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
    before = _api_link(stranger, link_id)
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
    assert _api_link(stranger, link_id) == before


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_a_post_without_its_csrf_token_is_403(
    signed_in: TestClient, fresh_archive: Archive, action: str
) -> None:
    link_id = fresh_archive.ids["topic4"]
    before = _api_link(signed_in, link_id)
    for token in (None, "guessed", csrf_from(signed_in.get("/").text) + "x"):
        data = {"title": "Forged"} | ({} if token is None else {"csrftoken": token})
        refused = signed_in.post(f"/links/{link_id}/{action}", data=data)
        assert refused.status_code == 403, token
        assert "did not come from this site" in refused.text
    assert _api_link(signed_in, link_id) == before


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
    saved = _edit(
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
    body = _api_link(owner, link_id)
    assert (body["title"], body["section"], body["tags"], body["note"]) == (
        "Refcounts, explained by a wombat",
        "Favourites",
        ["Wombat lore", "refcounting"],
        "Read it twice.\nThe quolltastic part is at the end.",
    )
    # The index followed: by tag (whole, any case), by a word of the note, by the new title.
    assert _hit_ids(owner, 'tag:"wombat lore"') == [link_id]
    assert _hit_ids(owner, "quolltastic") == [link_id]
    assert _hit_ids(owner, "title:wombat") == [link_id]
    results = owner.get("/", params={"q": "tag:refcounting"}).text
    assert "Refcounts, explained by a wombat" in results

    # Emptied, the title is the page's own again; the tags and note clear.
    cleared = _edit(owner, link_id, title="", section="Favourites", tags=" , ", note="")
    assert cleared.status_code == 303
    body = _api_link(owner, link_id)
    assert body["title"] == "Python internals: reference counting"
    assert (body["tags"], body["note"]) == ([], None)
    assert _hit_ids(owner, 'tag:"wombat lore"') == [] and _hit_ids(owner, "quolltastic") == []


def test_a_field_not_sent_stays_as_it_is(signed_in: TestClient, fresh_archive: Archive) -> None:
    link_id = fresh_archive.ids["topic1"]
    before = _api_link(signed_in, link_id)
    assert _edit(signed_in, link_id, tags="only tags").status_code == 303
    after = _api_link(signed_in, link_id)
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
    before = _api_link(signed_in, link_id)
    sent = {"title": "Kept as typed", "section": "Typed", "tags": "typed", "note": "typed note"}
    refused = _edit(signed_in, link_id, **(sent | fields))
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
    assert _api_link(signed_in, link_id) == before


def test_every_refused_field_is_named_at_once(
    signed_in: TestClient, fresh_archive: Archive
) -> None:
    link_id = fresh_archive.ids["topic6"]
    refused = _edit(signed_in, link_id, title="a\u0000b", tags="x" * 70, note="n" * 10_001)
    assert refused.status_code == 422
    assert set(dict(FIELD_ERROR.findall(refused.text))) == {"title", "tags", "note"}


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
        assert _hit_ids(client, "tag:stripes") == [link_id]


def _poll(client: httpx.Client, link_id: int, done: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = _api_link(client, link_id)
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting on link {link_id}: {body}")
        time.sleep(0.1)


# -- deleting ------------------------------------------------------------------------------


def test_the_confirmation_says_what_goes(signed_in: TestClient, fresh_archive: Archive) -> None:
    link_id = fresh_archive.ids["dead"]
    page = signed_in.get(f"/links/{link_id}/delete")
    assert page.status_code == 200
    text = page.text
    assert "Delete this link?" in text
    assert '<p class="doomed-title">Old bytecode notes</p>' in text
    assert "https://gone.example/bytecode-notes" in text
    assert "1 archived copy" in text
    assert "This cannot be undone." in text
    assert f'action="/links/{link_id}/delete" method="post"' in text
    assert '<button type="submit" class="danger-button">Delete for good</button>' in text
    # Opening it removes nothing.
    assert _api_link(signed_in, link_id)["url"] == "https://gone.example/bytecode-notes"


def test_a_deleted_link_is_gone_from_search_stats_and_exports(
    owner: TestClient, curated: Archive, tmp_path: Path
) -> None:
    link_id = curated.ids["topic0"]  # "frames"
    url = _api_link(owner, link_id)["url"]
    stats = owner.get("/api/stats").json()
    assert link_id in _hit_ids(owner, "frames")
    assert link_id in _hit_ids(owner, f'tag:"{INTERNALS}"')

    removed = _delete(owner, link_id)
    assert removed.status_code == 303, removed.text
    location = urlsplit(removed.headers["location"])
    assert location.path == "/" and list(parse_qs(location.query)) == ["removed"]
    start = owner.get(removed.headers["location"])
    assert (
        '<p class="notice notice-info" role="status">Removed “Python internals: frames”.</p>'
        in (start.text)
    )

    assert owner.get(f"/links/{link_id}").status_code == 404
    assert owner.get(f"/links/{link_id}/delete").status_code == 404
    assert owner.get(f"/api/links/{link_id}").status_code == 404
    assert link_id not in _hit_ids(owner, "frames")
    assert link_id not in _hit_ids(owner, f'tag:"{INTERNALS}"')
    after = owner.get("/api/stats").json()
    assert after["links"] == stats["links"] - 1
    assert after["documents_indexed"] == stats["documents_indexed"] - 1
    assert url not in owner.get("/", params={"section": "Interpreters"}).text

    vault = Vault(curated.settings())
    try:
        for format_ in (ExportFormat.MARKDOWN, ExportFormat.JSON, ExportFormat.NETSCAPE):
            out = tmp_path / f"export.{format_.value}"
            export(vault, format_, out)
            written = out.read_text(encoding="utf-8")
            assert "https://docs.python.org/python/1" in written, format_  # a link kept
            assert url not in written, format_
    finally:
        vault.close()
    # Once is enough: the form of a link that is gone is a 404.
    token = csrf_from(start.text)
    assert owner.post(f"/links/{link_id}/delete", data={"csrftoken": token}).status_code == 404


@pytest.mark.parametrize(
    "removed", ["1", "Your password expired, call 555", "WyJYIiwgZmFsc2Vd.forged", "x" * 5000]
)
def test_the_start_page_repeats_only_what_linkvault_signed(
    stranger: TestClient, removed: str
) -> None:
    page = stranger.get("/", params={"removed": removed})
    assert page.status_code == 200
    assert "Removed" not in page.text.split("<main", 1)[1]
    assert 'role="status"' not in page.text


def test_a_signed_notice_from_one_removal_names_only_that_link(
    signed_in: TestClient, fresh_archive: Archive
) -> None:
    location = _delete(signed_in, fresh_archive.ids["xss"]).headers["location"]
    page = signed_in.get(location).text
    assert "<script>alert(1)</script>" not in page  # the hostile title, escaped
    assert html.escape("Removed “<script>alert(1)</script> Hostile", quote=False) in page
    # Another server's secret does not sign for this one.
    token = parse_qs(urlsplit(location).query)["removed"][0]
    other = build_archive(fresh_archive.data_dir.parent / "other")
    with TestClient(create_app(other.settings(secret_key=SECRET_KEY + "-other"))) as client:
        assert "Removed" not in client.get("/", params={"removed": token}).text


# -- the index locked by another writer ----------------------------------------------------


def test_a_locked_index_is_a_warning_and_the_change_stands(
    app: FastAPI, signed_in: TestClient, fresh_archive: Archive
) -> None:
    folder = fresh_archive.data_dir / "index"
    vault = app.state.vault
    patient = vault.index
    # Another writer holds the index longer than this one waits.
    vault.__dict__["index"] = SearchIndex(folder, lock_timeout=0.2)
    patient.close()
    edited_id, removed_id = fresh_archive.ids["topic7"], fresh_archive.ids["topic8"]
    edit_token, delete_token = _token(signed_in, edited_id), _token(signed_in, removed_id)
    with Store(folder).lock(5):
        edited = signed_in.post(
            f"/links/{edited_id}/edit",
            data={"csrftoken": edit_token, "title": "Saved while locked", "tags": "locked"},
        )
        removed = signed_in.post(f"/links/{removed_id}/delete", data={"csrftoken": delete_token})
    assert edited.status_code == 303
    assert edited.headers["location"] == f"/links/{edited_id}?edited=index"
    reader = signed_in.get(edited.headers["location"]).text
    assert '<p class="notice notice-warn" role="status">Saved. The search index was busy' in reader
    assert _api_link(signed_in, edited_id)["title"] == "Saved while locked"
    assert removed.status_code == 303
    start = signed_in.get(removed.headers["location"]).text
    assert "Removed “Python internals: strings”." in start
    assert "The search index was busy" in start
    assert signed_in.get(f"/api/links/{removed_id}").status_code == 404


# -- private mode --------------------------------------------------------------------------


def test_in_private_mode_a_stranger_signs_in_and_comes_back_to_the_form(
    fresh_archive: Archive,
) -> None:
    link_id = fresh_archive.ids["topic9"]
    with TestClient(_app(fresh_archive, private=True)) as client:
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
