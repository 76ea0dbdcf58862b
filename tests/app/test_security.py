"""Security headers on every kind of response, and the docs page's narrower exception."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from app.http.security import CSP
from app.main import create_app
from tests.app._archive import Archive


def assert_secure(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_the_policy_is_strict() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert directives == {
        "default-src": "'none'",
        "style-src": "'self'",
        "img-src": "'self'",
        # The web app manifest (installing linkvault, the share sheet's target).
        "manifest-src": "'self'",
        "form-action": "'self'",
        "base-uri": "'none'",
        "frame-ancestors": "'none'",
    }


@pytest.mark.parametrize(
    ("path", "status", "kind"),
    [
        ("/api/search?q=interpreter", 200, "application/json"),
        ("/api/search?q=%22unbalanced", None, "application/json"),
        ("/api/search?page=0", 422, "application/json"),
        ("/api/links/999999", 404, "application/json"),
        ("/api/links/abc", 422, "application/json"),
        ("/api/stats", 200, "application/json"),
        ("/healthz", 200, "application/json"),
        ("/openapi.json", 200, "application/json"),
        ("/", 200, "text/html"),
        ("/?q=interpreter", 200, "text/html"),
        ("/links/1", 200, "text/html"),
        ("/links/999999", 404, "text/html"),
        ("/links/abc", 404, "text/html"),
        ("/static/style.css", 200, "text/css"),
        ("/static/missing.css", 404, None),
        ("/no/such/page", 404, "application/json"),
    ],
)
def test_every_response_carries_the_headers(
    client: TestClient, path: str, status: int | None, kind: str | None
) -> None:
    response = client.get(path)
    if status is not None:
        assert response.status_code == status
    if kind is not None:
        assert response.headers["content-type"].startswith(kind)
    assert_secure(response)


def test_method_not_allowed_and_write_errors_carry_the_headers(client: TestClient) -> None:
    assert_secure(client.delete("/api/links/1"))
    assert_secure(client.post("/api/links", json={"urls": ["https://a.example/"]}))


def test_html_404_for_browsers(client: TestClient) -> None:
    response = client.get("/no/such/page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no page at this address." in response.text
    assert_secure(response)


def test_unhandled_errors_are_500_with_the_headers(archive: Archive) -> None:
    app = create_app(archive.settings())

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/boom")
        assert response.status_code == 500
        assert response.json() == {"detail": "internal server error"}
        assert_secure(response)
        page = client.get("/boom", headers={"Accept": "text/html"})
    assert page.status_code == 500
    assert "secret internals" not in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert_secure(page)


def test_docs_page_allows_only_its_own_files_and_its_inline_script(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"].startswith("'self' 'sha256-")
    assert "'unsafe-inline'" not in policy
    # Swagger UI's stylesheet inlines its icons as data: URLs; nothing else is let in.
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["connect-src"] == "'self'"
    assert "http:" not in policy and "https:" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy


def test_docs_page_names_no_other_host(client: TestClient) -> None:
    page = client.get("/docs").text
    addresses = re.findall(r"""(?:src|href|url)\s*[=:]\s*["']([^"']+)["']""", page)
    assert sorted(addresses) == [
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/openapi.json",
        "/static/favicon.svg",
    ]
    assert "http://" not in page and "https://" not in page


@pytest.mark.parametrize(
    ("asset", "kind", "starts"),
    [
        ("swagger-ui-bundle.js", "text/javascript", b""),
        ("swagger-ui.css", "text/css", b""),
        ("favicon-32x32.png", "image/png", b"\x89PNG"),
    ],
)
def test_swagger_ui_files_are_served_from_here(
    client: TestClient, asset: str, kind: str, starts: bytes
) -> None:
    response = client.get(f"/docs/assets/{asset}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == kind
    assert response.content.startswith(starts)
    assert len(response.content) > 1000
    assert_secure(response)
    if asset.endswith(".js"):
        assert b"SwaggerUIBundle" in response.content
    assert client.get("/docs/assets/no-such-file.js").status_code == 404


def test_openapi_describes_every_field(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    ours = [
        "SearchResponse", "SearchResult", "SearchFacets", "LinkList", "LinkSummary",
        "LinkDetail", "Stats", "DeadLink", "Health", "AddLinks", "Accepted",
    ]  # fmt: skip
    for name in ours:
        for field, spec in schemas[name]["properties"].items():
            assert spec.get("description"), f"{name}.{field} has no description"
    assert "/redoc" not in client.get("/openapi.json").json()["paths"]
