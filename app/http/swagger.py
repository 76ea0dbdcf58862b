"""The API docs page, /docs: Swagger UI served from this server, never from a CDN.

Its script and styles are the files of the swagger-ui-py distribution (pinned in
requirements/), mounted under SWAGGER_ASSETS, so the docs work on a machine without internet
and the page's Content-Security-Policy names no other host (app/http/security.py).
swagger-ui-py ships Swagger UI 5, which renders the OpenAPI 3.1 that FastAPI writes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.http.security import docs_csp

DOCS_PATH = "/docs"
# Under /docs, so private mode closes the assets exactly as it closes the page.
SWAGGER_ASSETS = "/docs/assets"


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's dist files inside the installed swagger-ui-py package.

    Found without importing the package: its __init__ loads adapters for other frameworks.
    """
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("swagger-ui-py is not installed: run `make install`")
    return Path(spec.origin).parent / "static"


def docs_page() -> HTMLResponse:
    """Swagger UI's page for /openapi.json, with the policy that lets only it run."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="linkvault API",
        swagger_js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
        swagger_favicon_url="/static/favicon.svg",
    )
    page.headers["Content-Security-Policy"] = docs_csp(bytes(page.body).decode())
    return page


def add_docs(app: FastAPI) -> None:
    """Mounts Swagger UI's files and adds the /docs page (left out of the schema)."""
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_ui_dir()), name="swagger-ui")
    app.add_api_route(DOCS_PATH, docs_page, include_in_schema=False, methods=["GET"])
