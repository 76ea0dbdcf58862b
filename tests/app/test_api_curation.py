"""The curation routes on both backends: DELETE /api/links/{id} (the link gone from search,
lists, sections and stats at once), PATCH /api/links/{id} (the index following at once), bad
input as a 4xx with a message, and GET /api/links?tag=."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import TOKEN, Archive, build_archive

AUTH = {"Authorization": f"Bearer {TOKEN}"}


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
def api(curated: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(curated.settings(api_token=TOKEN))) as client:
        yield client


def _all_ids(api: TestClient) -> list[int]:
    return [item["id"] for item in api.get("/api/links", params={"per_page": 500}).json()["items"]]


def _search(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_deleted_link_is_gone_from_everything_at_once(api: TestClient, curated: Archive) -> None:
    link_id = curated.ids["topic0"]  # "frames", in Interpreters, on akaptur.com
    url = api.get(f"/api/links/{link_id}").json()["url"]
    stats = api.get("/api/stats").json()
    found = _search(api, q="frames")
    assert link_id in [hit["id"] for hit in found["results"]]
    sections = _search(api, q="interpreter", per_page=1)["facets"]["section"]
    assert url in api.get("/", params={"section": "Interpreters"}).text

    assert api.delete(f"/api/links/{link_id}", headers=AUTH).status_code == 204

    assert api.get(f"/api/links/{link_id}").status_code == 404
    assert api.get(f"/links/{link_id}").status_code == 404
    assert api.get(f"/api/links/{link_id}/snapshots").status_code == 404
    assert link_id not in _all_ids(api)
    assert api.get("/api/links").json()["total"] == stats["links"] - 1
    after = api.get("/api/stats").json()
    assert after["links"] == stats["links"] - 1
    assert after["counts"]["ok"] == stats["counts"]["ok"] - 1
    assert after["documents_indexed"] == stats["documents_indexed"] - 1
    assert link_id not in [hit["id"] for hit in _search(api, q="frames")["results"]]
    facets = _search(api, q="interpreter", per_page=1)["facets"]["section"]
    assert facets["Interpreters"] == sections["Interpreters"] - 1
    assert url not in api.get("/", params={"section": "Interpreters"}).text
    home = api.get("/").text
    assert "Python internals: frames" not in home
    # Once is enough: a second delete finds nothing.
    assert api.delete(f"/api/links/{link_id}", headers=AUTH).status_code == 404


def test_a_dead_link_with_its_copy_can_be_deleted(api: TestClient, curated: Archive) -> None:
    dead = curated.ids["dead"]
    assert _search(api, q="dodoword")["total"] == 1
    assert api.delete(f"/api/links/{dead}", headers=AUTH).status_code == 204
    assert _search(api, q="dodoword")["total"] == 0
    assert api.get("/api/stats").json()["dead"] == []


def test_an_edit_shows_at_once_in_the_link_and_in_search(api: TestClient, curated: Archive) -> None:
    link_id = curated.ids["topic1"]  # "code objects", in Bytecode
    response = api.patch(
        f"/api/links/{link_id}",
        json={
            "title": "Quokkamatic code objects",
            "section": "Favourites / Internals",
            "tags": ["CPython", "code", "cpython"],
            "note": "Read after the frames one.\nTwice.",
        },
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "Quokkamatic code objects"
    assert body["section"] == "Favourites / Internals"
    assert body["tags"] == ["CPython", "code"]
    assert body["note"] == "Read after the frames one.\nTwice."
    assert body["text"].startswith("How the CPython interpreter handles code objects.")
    assert api.get(f"/api/links/{link_id}").json() == body

    found = _search(api, q="quokkamatic")
    assert [(hit["id"], hit["title"], hit["section"]) for hit in found["results"]] == [
        (link_id, "Quokkamatic code objects", "Favourites / Internals")
    ]
    listed = api.get("/api/links", params={"per_page": 500}).json()["items"]
    item = next(item for item in listed if item["id"] == link_id)
    assert (item["tags"], item["note"]) == (
        ["CPython", "code"],
        "Read after the frames one.\nTwice.",
    )

    # Only what is sent changes; "" and null clear.
    cleared = api.patch(
        f"/api/links/{link_id}", json={"title": "", "note": None}, headers=AUTH
    ).json()
    assert cleared["title"] == "Python internals: code objects"  # the page's own again
    assert cleared["note"] is None
    assert (cleared["section"], cleared["tags"]) == ("Favourites / Internals", ["CPython", "code"])
    assert api.patch(f"/api/links/{link_id}", json={}, headers=AUTH).json() == cleared
    assert (
        api.patch(f"/api/links/{link_id}", json={"tags": None}, headers=AUTH).json()["tags"] == []
    )
    assert _search(api, q="quokkamatic")["total"] == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"tags": [""]}, "a tag cannot be empty"),
        ({"tags": ["ok", "   "]}, "a tag cannot be empty"),
        ({"tags": ["x" * 65]}, "65 characters long; at most 64"),
        ({"tags": ["bad\u0000tag"]}, "control character"),
        ({"tags": ["new\nline"]}, "control character"),
        ({"tags": ["a,b"]}, "contains a comma"),
        ({"title": "bell\u0007"}, "control character"),
        ({"note": "n" * 10_001}, "at most 10000"),
        ({"tags": [f"t{n}" for n in range(101)]}, "at most 100 items"),
    ],
)
def test_an_invalid_value_is_a_422_with_a_message(
    api: TestClient, curated: Archive, body: dict[str, Any], message: str
) -> None:
    link_id = curated.ids["topic2"]
    before = api.get(f"/api/links/{link_id}").json()
    response = api.patch(f"/api/links/{link_id}", json=body, headers=AUTH)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert message in problem["msg"]
    assert problem["loc"][:2] == ["body", next(iter(body))]
    assert "input" not in problem  # not echoed back
    assert api.get(f"/api/links/{link_id}").json() == before


@pytest.mark.parametrize(
    "body",
    [
        {"tags": "python"},
        {"tags": [1, 2]},
        {"tags": [["nested"]]},
        {"title": 5},
        {"note": ["a"]},
        {"colour": "red"},
        ["not", "an", "object"],
    ],
)
def test_wrong_types_are_a_422(api: TestClient, curated: Archive, body: Any) -> None:
    response = api.patch(f"/api/links/{curated.ids['topic2']}", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_unknown_links_and_missing_tokens(api: TestClient, curated: Archive) -> None:
    assert api.delete("/api/links/999999", headers=AUTH).status_code == 404
    missing = api.patch("/api/links/999999", json={"title": "x"}, headers=AUTH)
    assert missing.status_code == 404 and missing.json()["detail"] == "no link with id 999999"
    link_id = curated.ids["topic3"]
    assert api.delete(f"/api/links/{link_id}").status_code == 401
    assert api.patch(f"/api/links/{link_id}", json={"title": "x"}).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert api.delete(f"/api/links/{link_id}", headers=wrong).status_code == 401
    assert api.get(f"/api/links/{link_id}").status_code == 200


def test_writes_are_off_without_a_token(curated: Archive) -> None:
    with TestClient(create_app(curated.settings())) as client:
        link_id = curated.ids["topic3"]
        assert client.delete(f"/api/links/{link_id}", headers=AUTH).status_code == 403
        assert client.patch(f"/api/links/{link_id}", json={}, headers=AUTH).status_code == 403


def test_links_filter_by_tag_whole_and_whatever_its_case(api: TestClient, curated: Archive) -> None:
    tagged = {
        curated.ids["topic4"]: ["Python", "gc"],
        curated.ids["topic5"]: ["python"],
        curated.ids["topic6"]: ["pythonic", 'odd "quoted" tag'],
        curated.ids["dead"]: ["GC"],
    }
    for link_id, tags in tagged.items():
        assert api.patch(f"/api/links/{link_id}", json={"tags": tags}, headers=AUTH).is_success

    def ids(tag: str, **params: Any) -> tuple[int, list[int]]:
        body = api.get("/api/links", params={"tag": tag, **params}).json()
        return body["total"], [item["id"] for item in body["items"]]

    assert ids("PYTHON") == (2, [curated.ids["topic4"], curated.ids["topic5"]])
    assert ids("gc") == (2, [curated.ids["topic4"], curated.ids["dead"]])
    assert ids("gc", status="dead") == (1, [curated.ids["dead"]])
    assert ids('odd "quoted" tag') == (1, [curated.ids["topic6"]])
    assert ids("pyth") == (0, []) and ids("%") == (0, [])
    assert ids("python", per_page=1, page=2) == (2, [curated.ids["topic5"]])
    first = api.get("/api/links", params={"tag": "python"}).json()["items"][0]
    assert first["tags"] == ["Python", "gc"]
    assert api.get("/api/links", params={"tag": "x" * 201}).status_code == 422
