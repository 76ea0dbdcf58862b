"""GET /api/links, GET /api/links/{id}, GET /api/stats and GET /healthz."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import TOPICS, XSS_TEXT, XSS_TITLE, Archive, make_settings

ALL_LINKS = len(TOPICS) + 5


def test_links_lists_every_link_in_order(client: TestClient) -> None:
    body = client.get("/api/links").json()
    assert (body["total"], body["page"], body["per_page"]) == (ALL_LINKS, 1, 50)
    ids = [item["id"] for item in body["items"]]
    assert ids == sorted(ids) and len(ids) == ALL_LINKS
    assert set(body["items"][0]) == {
        "id", "url", "title", "section", "status", "archived_at", "tags", "note", "shelved",
    }  # fmt: skip


def test_links_paginate_and_filter_by_status(client: TestClient, archive: Archive) -> None:
    first = client.get("/api/links", params={"per_page": 10, "page": 1}).json()
    third = client.get("/api/links", params={"per_page": 10, "page": 3}).json()
    assert len(first["items"]) == 10 and len(third["items"]) == ALL_LINKS - 20
    assert first["items"][0]["id"] not in {item["id"] for item in third["items"]}

    dead = client.get("/api/links", params={"status": "dead"}).json()
    assert dead["total"] == 1
    assert dead["items"][0]["id"] == archive.ids["dead"]
    assert client.get("/api/links", params={"status": "ok"}).json()["total"] == len(TOPICS) + 1


@pytest.mark.parametrize(
    "params", [{"status": "bogus"}, {"page": "0"}, {"per_page": "100000"}, {"page": "x"}]
)
def test_links_reject_bad_parameters(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/links", params=params)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_link_detail_has_the_full_text(client: TestClient, archive: Archive) -> None:
    link_id = archive.ids["topic0"]
    body = client.get(f"/api/links/{link_id}").json()
    expected = {
        "id", "url", "final_url", "title", "section", "status", "http_status", "error",
        "content_type", "author", "published", "language", "archived_at", "checked_at", "text",
        "tags", "note", "shelved",
    }  # fmt: skip
    assert expected <= set(body)
    assert body["shelved"] is False
    assert body["id"] == link_id
    assert body["title"] == "Python internals: frames"
    assert body["author"] == "Allison Kaptur"
    assert body["content_type"] == "text/html"
    assert body["published"] == "2016-04-01"
    assert body["text"].startswith("How the CPython interpreter handles frames.")
    assert body["status"] == "ok" and body["error"] is None


def test_link_detail_of_a_dead_and_a_never_archived_link(
    client: TestClient, archive: Archive
) -> None:
    dead = client.get(f"/api/links/{archive.ids['dead']}").json()
    assert dead["status"] == "dead"
    assert dead["error"] == "HTTP 404 Not Found"
    assert dead["http_status"] == 404
    assert "dodoword" in dead["text"]  # the last good copy stays

    failed = client.get(f"/api/links/{archive.ids['failed']}").json()
    assert failed["status"] == "failed"
    assert failed["text"] is None and failed["final_url"] is None


def test_link_detail_returns_raw_text_as_json_data(client: TestClient, archive: Archive) -> None:
    # JSON is data, not markup: the text comes back as it was archived.
    body = client.get(f"/api/links/{archive.ids['xss']}").json()
    assert body["title"] == XSS_TITLE
    assert body["text"] == XSS_TEXT


@pytest.mark.parametrize("path", ["/api/links/999999", "/api/links/0", "/api/links/-1"])
def test_unknown_links_are_json_errors(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (404, 422)
    assert "detail" in response.json()
    if path.endswith("999999"):
        assert response.status_code == 404
        assert response.json() == {"detail": "no link with id 999999"}


@pytest.mark.parametrize("path", ["/api/links/abc", "/api/links/1.5", "/api/links/" + "9" * 40])
def test_non_numeric_or_huge_ids_are_422_not_500(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_stats_counts_everything(client: TestClient, archive: Archive) -> None:
    body = client.get("/api/stats").json()
    assert body["links"] == ALL_LINKS
    assert body["counts"] == {
        "pending": 1, "ok": len(TOPICS) + 1, "failed": 1, "dead": 1, "blocked": 1,
        "unsupported": 0,
    }  # fmt: skip
    assert body["documents_indexed"] == len(TOPICS) + 2
    assert body["index_size_bytes"] > 0
    assert [(d["id"], d["error"]) for d in body["dead"]] == [
        (archive.ids["dead"], "HTTP 404 Not Found")
    ]
    assert body["dead"][0]["since"].startswith("2024-03-31")
    assert body["queue"] == {"queued": 0, "leased": 0, "expired": 0}  # no workers in use


def test_healthz_ok(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.head("/healthz").status_code == 200


def test_healthz_503_when_the_index_is_gone(fresh_archive: Archive) -> None:
    app = create_app(make_settings(fresh_archive.data_dir))
    with TestClient(app) as test_client:
        assert test_client.get("/healthz").status_code == 200
        app.state.vault.index.close()
        shutil.rmtree(fresh_archive.data_dir / "index")
        (fresh_archive.data_dir / "index").write_text("not a folder")
        response = test_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_503_when_the_database_is_unreachable(fresh_archive: Archive) -> None:
    settings = make_settings(
        fresh_archive.data_dir,
        database_url=f"sqlite:///{fresh_archive.data_dir}/missing-dir/nested/db.sqlite",
    )
    app = create_app(settings)
    # No lifespan: the store cannot even be created, which /healthz must report, not raise.
    response = TestClient(app, raise_server_exceptions=False).get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "detail": "database does not answer"}
