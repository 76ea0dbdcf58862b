"""Deleting a link from its reader page (app/http/web/routes_curation.py): the confirmation,
the link gone from search (both backends), stats and every export, the start page's signed
"Removed" notice, and a locked index warned about rather than failing."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.services import Vault
from app.services.exporting import ExportFormat, export
from index import SearchIndex
from index.whoosh import Store
from tests.app._archive import INTERNALS, Archive, build_archive
from tests.app._auth import SECRET_KEY, csrf_from
from tests.app._web_forms import (
    api_link,
    form_token,
    hit_ids,
    post_delete,
)
from tests.app._web_forms import app as app  # the fixtures, shared
from tests.app._web_forms import curated as curated
from tests.app._web_forms import owner as owner
from tests.app._web_forms import signed_in as signed_in
from tests.app._web_forms import stranger as stranger


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
    assert api_link(signed_in, link_id)["url"] == "https://gone.example/bytecode-notes"


def test_a_deleted_link_is_gone_from_search_stats_and_exports(
    owner: TestClient, curated: Archive, tmp_path: Path
) -> None:
    link_id = curated.ids["topic0"]  # "frames"
    url = api_link(owner, link_id)["url"]
    stats = owner.get("/api/stats").json()
    assert link_id in hit_ids(owner, "frames")
    assert link_id in hit_ids(owner, f'tag:"{INTERNALS}"')

    removed = post_delete(owner, link_id)
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
    assert link_id not in hit_ids(owner, "frames")
    assert link_id not in hit_ids(owner, f'tag:"{INTERNALS}"')
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
    location = post_delete(signed_in, fresh_archive.ids["xss"]).headers["location"]
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
    edit_token, delete_token = form_token(signed_in, edited_id), form_token(signed_in, removed_id)
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
    assert api_link(signed_in, edited_id)["title"] == "Saved while locked"
    assert removed.status_code == 303
    start = signed_in.get(removed.headers["location"]).text
    assert "Removed “Python internals: strings”." in start
    assert "The search index was busy" in start
    assert signed_in.get(f"/api/links/{removed_id}").status_code == 404
