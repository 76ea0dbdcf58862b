"""Private mode (LINKVAULT_PRIVATE=true): the whole route table is walked, every route and
method, mounts included, so a route added later cannot be left open by accident. Only
/healthz, the sign-in page and /static answer a stranger; the API says 401 with a JSON
`detail`, pages send the browser to sign in and back."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.http.private import is_open
from app.main import create_app
from app.settings import Settings
from archiver.models import Image, utcnow
from tests.app._archive import Archive, build_archive, make_settings
from tests.app._auth import PASSWORD, SECRET_KEY, set_up_owner, sign_in_ok

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
OPEN = {"/healthz", "/signin", "/static/style.css", "/static/favicon.svg"}
# Path parameters, by name, as a real request would fill them.
SAMPLES = {"sha256": "0" * 64}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return build_archive(tmp_path_factory.mktemp("private") / "data")


@pytest.fixture(scope="module")
def app(archive: Archive) -> FastAPI:
    settings = archive.settings(private=True, secret_key=SECRET_KEY, api_token="env-token-123")
    return create_app(settings)


@pytest.fixture(scope="module")
def token(archive: Archive) -> str:
    return set_up_owner(archive.settings(), token_name="reader")


@pytest.fixture(scope="module")
def client(app: FastAPI, token: str) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def _walk(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, into included routers and mounts."""
    for route in routes:
        router = getattr(route, "original_router", None)
        if router is not None:  # an included router, kept whole by newer FastAPI
            yield from _walk(router.routes, prefix + getattr(route.include_context, "prefix", ""))
        elif getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)
        elif hasattr(route, "app") and hasattr(route, "path"):  # a mount: /static
            yield prefix + route.path + "/style.css", set(ALL_METHODS)
            yield prefix + route.path + "/no-such-file", set(ALL_METHODS)
        else:
            raise AssertionError(f"a route of a kind the walk does not know: {route!r}")


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: SAMPLES.get(m[1], "1"), path)


def requests_to_try(app: FastAPI) -> list[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path, methods in _walk(app.routes):
        # Every method, not only the route's own: a 405 would say the path exists.
        for method in ALL_METHODS:
            found.add((method, _concrete(path)))
        assert methods
    for path in ("/no/such/page", "/api/no-such-route", "/links/1/nothing", "/favicon.ico"):
        found.update((method, path) for method in ALL_METHODS)
    return sorted(found)


def test_the_walk_sees_the_whole_app(app: FastAPI) -> None:
    paths = {path for _, path in requests_to_try(app)}
    for expected in (
        "/",
        "/api/search",
        "/api/links",
        "/api/links/1",
        "/api/links/1/refresh",
        "/api/import",
        "/add/import",
        "/api/stats",
        "/images/" + "0" * 64,
        "/links/1",
        "/links/1.md",
        "/docs",
        "/docs/assets/style.css",  # the mount of Swagger UI's files
        "/openapi.json",
        "/signin",
        "/signout",
        "/healthz",
        "/static/style.css",
    ):
        assert expected in paths
    assert len(paths) >= 20


def test_every_route_but_the_open_ones_is_closed(app: FastAPI, client: TestClient) -> None:
    open_answers: dict[tuple[str, str], int] = {}
    for method, path in requests_to_try(app):
        response = client.request(method, path)
        if path in OPEN or (is_open(path) and path.startswith("/static/")):
            open_answers[(method, path)] = response.status_code
            continue
        where = f"{method} {path}"
        if path.startswith(("/api/", "/images/", "/openapi.json")):
            assert response.status_code == 401, where
            assert response.headers["www-authenticate"].startswith("Bearer"), where
            if method != "HEAD":
                assert "sign in" in response.json()["detail"], where
        else:
            assert response.status_code == 303, where
            location = urlsplit(response.headers["location"])
            assert location.path == "/signin", where
            if method in ("GET", "HEAD"):
                assert parse_qs(location.query)["next"] == [path], where
        # Nothing of the archive in the refusal.
        assert "Python internals" not in response.text, where
    # The open paths answer as they would anyway.
    assert open_answers[("GET", "/healthz")] == 200
    assert open_answers[("HEAD", "/healthz")] == 200
    assert open_answers[("GET", "/signin")] == 200
    assert open_answers[("GET", "/static/style.css")] == 200
    assert open_answers[("GET", "/static/no-such-file")] == 404


def test_swagger_ui_files_are_as_closed_as_docs(client: TestClient) -> None:
    for path in ("/docs", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert urlsplit(response.headers["location"]).path == "/signin", path


def test_the_query_comes_back_too(client: TestClient) -> None:
    response = client.get("/?q=frames&section=Memory")
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["next"] == [
        "/?q=frames&section=Memory"
    ]


def test_a_token_or_a_session_opens_everything(app: FastAPI, token: str) -> None:
    with TestClient(app, follow_redirects=False) as client:
        for bearer in (token, "env-token-123"):
            headers = {"Authorization": f"Bearer {bearer}"}
            assert client.get("/api/links", headers=headers).status_code == 200
            assert client.get("/api/search?q=interpreter", headers=headers).status_code == 200
            assert client.get("/openapi.json", headers=headers).status_code == 200
            assert client.get("/no/such/page", headers=headers).status_code == 404
        assert client.get("/api/links", headers={"Authorization": "Bearer no"}).status_code == 401
        # No shared cache may keep what only a caller sees.
        answer = client.get("/api/links", headers={"Authorization": f"Bearer {token}"})
        assert answer.headers["cache-control"] == "private"

        response = client.get("/links/1")
        assert response.status_code == 303
        sign_in_ok(client)
        assert client.get("/links/1").status_code == 200
        assert "Python internals" in client.get("/").text
        assert client.get("/api/stats").status_code == 200
        assert client.get("/docs").status_code == 200
        assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_signing_in_comes_back_to_the_page_asked_for(app: FastAPI, token: str) -> None:
    with TestClient(app) as client:
        page = client.get("/links/2?q=frames")  # followed to the sign-in page
        assert page.url.path == "/signin"
        form = re.search(r'name="next" value="([^"]+)"', page.text)
        assert form is not None and form[1] == "/links/2?q=frames"
        csrf = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
        assert csrf is not None
        back = client.post(
            "/signin", data={"csrftoken": csrf[1], "password": PASSWORD, "next": form[1]}
        )
        assert back.url.path == "/links/2" and back.url.query == b"q=frames"
        assert back.status_code == 200


def test_public_mode_keeps_reading_open(tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "data")
    with TestClient(create_app(archive.settings()), follow_redirects=False) as client:
        assert client.get("/").status_code == 200
        assert client.get("/api/links").status_code == 200
        assert client.get("/openapi.json").status_code == 200


def test_archived_images_are_kept_from_shared_caches(app: FastAPI, token: str) -> None:
    data = b"\x89PNG\r\n\x1a\n-not-really-a-png-but-stored-as-one"
    digest = hashlib.sha256(data).hexdigest()
    with TestClient(app, follow_redirects=False) as client:
        with app.state.vault.store.session() as session:
            session.add(
                Image(
                    sha256=digest,
                    content_type="image/png",
                    size=len(data),
                    url="https://example.org/figure.png",
                    fetched_at=utcnow(),
                    data=data,
                )
            )
        assert client.get(f"/images/{digest}").status_code == 401
        shown = client.get(f"/images/{digest}", headers={"Authorization": f"Bearer {token}"})
    assert shown.status_code == 200 and shown.content == data
    # Public mode says `public`: here only the browser that asked may keep it.
    assert shown.headers["cache-control"] == "private, max-age=31536000, immutable"


def test_without_a_database_the_health_check_still_reports_and_nothing_opens(
    tmp_path: Path,
) -> None:
    settings = archive_settings_without_database(tmp_path)
    client = TestClient(create_app(settings), raise_server_exceptions=False)
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json() == {"status": "unavailable", "detail": "database does not answer"}
    for path in ("/", "/api/links", "/signin"):
        response = client.get(path, headers={"Authorization": "Bearer env-token-123"})
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "5"


def archive_settings_without_database(tmp_path: Path) -> Settings:
    # The key is unset, so it must come from a database that cannot even be opened.
    return make_settings(
        tmp_path,
        private=True,
        api_token="env-token-123",
        database_url=f"sqlite:///{tmp_path}/missing-dir/nested/db.sqlite",
    )
