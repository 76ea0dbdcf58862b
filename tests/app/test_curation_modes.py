"""Edit, tag, search and delete through the API in both modes (open to readers, and private)
on both search backends: what the owner sets is found at once, what is deleted is gone at
once, and in private mode a stranger reads nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import Archive
from tests.app._auth import SECRET_KEY, set_up_owner


def _ids(client: TestClient, q: str, **auth: str) -> list[int]:
    response = client.get("/api/search", params={"q": q}, headers=auth)
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["results"]]


@pytest.mark.parametrize("private", [False, True], ids=["open", "private"])
def test_edit_search_delete(archive: Archive, private: bool) -> None:
    token = set_up_owner(archive.settings(), token_name=f"curation-{private}")
    auth = {"Authorization": f"Bearer {token}"}
    settings = archive.settings(secret_key=SECRET_KEY, private=private)
    with TestClient(create_app(settings)) as client:
        stranger = client.get("/api/search", params={"q": "interpreter"})
        assert stranger.status_code == (401 if private else 200)

        candidates = _ids(client, "interpreter", **auth)
        link_id = candidates[0] if not private else candidates[1]
        tag, word = f"mode {str(private).lower()}", f"quokkanote{int(private)}"
        edited = client.patch(
            f"/api/links/{link_id}", json={"tags": [tag.upper()], "note": word}, headers=auth
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["tags"] == [tag.upper()] and edited.json()["note"] == word

        assert _ids(client, f'tag:"{tag}"', **auth) == [link_id]
        assert _ids(client, word, **auth) == [link_id]
        facets = client.get("/api/search", params={"q": "interpreter"}, headers=auth).json()
        assert facets["facets"]["tag"][tag] == 1
        listed = client.get("/api/links", params={"tag": tag}, headers=auth).json()
        assert [item["id"] for item in listed["items"]] == [link_id]

        bad = client.patch(f"/api/links/{link_id}", json={"tags": [""]}, headers=auth)
        assert bad.status_code == 422 and "empty" in bad.text
        assert (
            client.patch("/api/links/999999", json={"note": "x"}, headers=auth).status_code == 404
        )

        if private:
            assert client.delete(f"/api/links/{link_id}").status_code == 401
        assert client.delete(f"/api/links/{link_id}", headers=auth).status_code == 204
        assert client.delete(f"/api/links/{link_id}", headers=auth).status_code == 404
        assert _ids(client, f'tag:"{tag}"', **auth) == []
        assert _ids(client, word, **auth) == []
        assert link_id not in _ids(client, "interpreter", **auth)
        assert client.get(f"/api/links/{link_id}", headers=auth).status_code == 404
