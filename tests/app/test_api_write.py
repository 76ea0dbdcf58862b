"""The write API: bearer token, 401/403, and archiving that really runs in the background."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import TOKEN, Archive, LiveServer, make_settings
from tests.support.site import LocalSite

ARTICLE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Zebrafish bytecode notes</title></head><body><article>
<h1>Zebrafish bytecode notes</h1>
<p>The zebrafish interpreter keeps every opcode in a small table, and this paragraph is long
enough for the extractor to treat it as the main text of the page rather than boilerplate.</p>
<p>A second paragraph explains how the quaggamatic evaluation loop dispatches each opcode to
its handler, with a few more words so the article reads like a real one.</p>
</article></body></html>"""


@pytest.fixture
def site(local_site: LocalSite) -> LocalSite:
    local_site.route("/article.html", ARTICLE)
    return local_site


def _auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _poll(client: httpx.Client, path: str, done: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(path).json()
        if done(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting on {path}: {body}")
        time.sleep(0.1)


def test_add_links_archives_them_in_the_background(fresh_archive: Archive, site: LocalSite) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        url = site.url("/article.html")
        response = client.post(
            "/api/links", json={"urls": [url, url], "section": "Added"}, headers=_auth()
        )
        assert response.status_code == 202
        ids = response.json()["ids"]
        assert len(ids) == 2 and ids[0] == ids[1]

        body = _poll(client, f"/api/links/{ids[0]}", lambda b: b["status"] != "pending")
        assert body["status"] == "ok", body
        assert body["section"] == "Added"
        assert "quaggamatic" in body["text"]

        found = _poll(client, "/api/search?q=quaggamatic", lambda b: b["total"] == 1, timeout=20)
        assert found["results"][0]["id"] == ids[0]


def test_refresh_fetches_the_link_again(fresh_archive: Archive, site: LocalSite) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        added = client.post(
            "/api/links", json={"urls": [site.url("/article.html")]}, headers=_auth()
        ).json()
        link_id = added["ids"][0]
        first = _poll(client, f"/api/links/{link_id}", lambda b: b["status"] == "ok")
        hits_before = site.hits("/article.html")

        response = client.post(f"/api/links/{link_id}/refresh", headers=_auth())
        assert response.status_code == 202
        assert response.json() == {"ids": [link_id]}
        again = _poll(
            client, f"/api/links/{link_id}", lambda b: b["checked_at"] != first["checked_at"]
        )
        assert again["status"] == "ok"
        assert site.hits("/article.html") == hits_before + 1


def test_refresh_of_a_missing_link_is_404(fresh_archive: Archive) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with TestClient(app) as client:
        response = client.post("/api/links/424242/refresh", headers=_auth())
    assert response.status_code == 404
    assert response.json() == {"detail": "no link with id 424242"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer "},
    ],
)
def test_wrong_or_missing_token_is_401_and_changes_nothing(
    fresh_archive: Archive, headers: dict[str, str]
) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with TestClient(app) as client:
        before = client.get("/api/links").json()["total"]
        link_before = client.get("/api/links/1").json()
        response = client.post(
            "/api/links", json={"urls": ["https://new.example/"]}, headers=headers
        )
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json() == {"detail": "missing or wrong bearer token"}
        refresh = client.post("/api/links/1/refresh", headers=headers)
        assert refresh.status_code == 401
        assert client.get("/api/links").json()["total"] == before
        assert client.get("/api/links/1").json() == link_before


def test_write_api_is_off_without_a_token(fresh_archive: Archive) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=None))
    with TestClient(app) as client:
        for path in ("/api/links", "/api/links/1/refresh"):
            response = client.post(path, json={"urls": ["https://new.example/"]}, headers=_auth())
            assert response.status_code == 403
            detail = response.json()["detail"]
            # It says how to set one up.
            assert detail.startswith("write API is disabled: no password or API token")
            assert "linkvault passwd" in detail and "linkvault token create" in detail
            assert "LINKVAULT_API_TOKEN" in detail


def test_invalid_urls_are_400_naming_them(fresh_archive: Archive) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with TestClient(app) as client:
        before = client.get("/api/links").json()["total"]
        response = client.post(
            "/api/links",
            json={"urls": ["https://fine.example/", "javascript:alert(1)", "not a url"]},
            headers=_auth(),
        )
        assert response.status_code == 400
        detail = response.json()["detail"]
        assert "javascript:alert(1)" in detail and "not a url" in detail
        assert "fine.example" not in detail
        # All or nothing: the valid URL was not added either.
        assert client.get("/api/links").json()["total"] == before


@pytest.mark.parametrize(
    "body",
    [{}, {"urls": []}, {"urls": "https://a.example/"}, {"urls": [1, 2]}, {"urls": ["x"] * 1001}],
)
def test_malformed_bodies_are_422(fresh_archive: Archive, body: dict[str, Any]) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with TestClient(app) as client:
        response = client.post("/api/links", json=body, headers=_auth())
    assert response.status_code == 422
    assert "detail" in response.json()


def test_non_json_body_is_422_not_500(fresh_archive: Archive) -> None:
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    with TestClient(app) as client:
        response = client.post(
            "/api/links",
            content=b"{not json",
            headers={**_auth(), "Content-Type": "application/json"},
        )
    assert response.status_code == 422


def test_links_added_while_the_network_is_down_are_marked_nothing(fresh_archive: Archive) -> None:
    """Issue 13 through the write API: names that cannot resolve on every host tried look like
    a local outage; the background job records inconclusive checks and changes no status."""
    app = create_app(make_settings(fresh_archive.data_dir, api_token=TOKEN))
    urls = [f"http://outage-{n}.invalid/page" for n in range(4)]
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/api/links", json={"urls": urls}, headers=_auth())
        assert response.status_code == 202
        ids = response.json()["ids"]
        for link_id in ids:
            checks = _poll(client, f"/api/links/{link_id}/checks", lambda body: body["items"] != [])
            assert [check["status"] for check in checks["items"]] == ["inconclusive"]
            assert client.get(f"/api/links/{link_id}").json()["status"] == "pending"
