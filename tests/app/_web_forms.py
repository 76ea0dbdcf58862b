"""Helpers for the tests of the reader page's forms (test_web_curation.py,
test_web_removal.py): the app with an owner, clients signed in or not, and the forms posted
with their CSRF token as a browser posts them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import TOKEN, Archive, build_archive
from tests.app._auth import SECRET_KEY, csrf_from, set_up_owner, sign_in_ok

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def curation_app(archive: Archive, **overrides: Any) -> FastAPI:
    """The app over `archive`, whose owner has the password of tests/app/_auth.py."""
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
    with TestClient(curation_app(curated), follow_redirects=False) as client:
        sign_in_ok(client)
        yield client


@pytest.fixture
def app(fresh_archive: Archive) -> FastAPI:
    """The app over a private copy on SQLite and Whoosh, for what needs no search."""
    return curation_app(fresh_archive)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        sign_in_ok(client)
        yield client


@pytest.fixture
def stranger(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def form_token(client: TestClient, link_id: int) -> str:
    page = client.get(f"/links/{link_id}/edit")
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def post_edit(client: TestClient, link_id: int, **fields: str) -> httpx.Response:
    data = {"csrftoken": form_token(client, link_id), **fields}
    return client.post(f"/links/{link_id}/edit", data=data)


def post_delete(client: TestClient, link_id: int) -> httpx.Response:
    data = {"csrftoken": form_token(client, link_id)}
    return client.post(f"/links/{link_id}/delete", data=data)


def api_link(client: TestClient | httpx.Client, link_id: int) -> dict[str, Any]:
    response = client.get(f"/api/links/{link_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def hit_ids(client: TestClient | httpx.Client, q: str) -> list[int]:
    response = client.get("/api/search", params={"q": q, "per_page": 50})
    assert response.status_code == 200, response.text
    return [hit["id"] for hit in response.json()["results"]]
