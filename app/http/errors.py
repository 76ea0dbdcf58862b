"""Errors: JSON `{"detail": ...}` for the API, a small page for browsers, never a traceback."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.http.security import apply_security_headers
from app.http.web.routes import templates
from app.http.web.state import SearchState
from index import IndexUnavailable, SearchBusy

log = logging.getLogger("linkvault.errors")

_JSON_PREFIXES = ("/api/", "/healthz", "/openapi.json", "/docs")


def wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(_JSON_PREFIXES):
        return False
    if path in ("/", "/signin", "/signout") or path.startswith("/links/"):
        return True
    return "text/html" in request.headers.get("accept", "")


def _page(request: Request, code: int, message: str) -> Response:
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "code": code,
            "title": HTTPStatus(code).phrase,
            "message": message,
            "state": SearchState(),
        },
        status_code=code,
    )


def error_response(
    request: Request, code: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The error as a page for browsers, as JSON `{"detail": message}` for the API."""
    response = (
        _page(request, code, message)
        if wants_html(request)
        else JSONResponse({"detail": message}, status_code=code)
    )
    response.headers.update(headers or {})
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if wants_html(request):
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":  # Starlette's, for no route
            message = "There is no page at this address."
        response = _page(request, exc.status_code, message)
        response.headers.update(exc.headers or {})
        return response
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_html(request):
        return _page(request, 400, "Some of the parameters in this address are not valid.")
    # Inputs are not echoed back: a 10 kB query would come back in every error.
    errors = [
        {key: value for key, value in error.items() if key not in ("input", "ctx", "url")}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def server_error(request: Request, exc: Exception) -> Response:
    # Runs in Starlette's outermost middleware, outside SecurityHeadersMiddleware.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response: Response
    if wants_html(request):
        response = _page(request, 500, "Something went wrong on our side. Please try again.")
    else:
        response = JSONResponse({"detail": "internal server error"}, status_code=500)
    apply_security_headers(response.headers, request.url.path)
    return response


def _unavailable(request: Request, message: str, retry_after: int) -> Response:
    return error_response(request, 503, message, {"Retry-After": str(retry_after)})


async def index_unavailable(request: Request, exc: Exception) -> Response:
    # Any route that reads the index (stats, the home page, a link's page) may meet a busy or
    # broken index: that is a 503 saying so, not an internal error. Unavailable is mostly
    # passing too (PostgreSQL restarting, a rebuild finishing), so both say when to retry.
    assert isinstance(exc, IndexUnavailable)
    if isinstance(exc, SearchBusy):
        return _unavailable(request, "The server is busy; please try again in a moment.", 2)
    log.warning("index unavailable on %s: %s", request.url.path, exc)
    return _unavailable(request, str(exc), 5)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    # The database went away (PostgreSQL restarting, the network to it down) or SQLite kept
    # its write lock past the busy timeout: the request may well work in a moment.
    log.warning("database unavailable on %s: %s", request.url.path, exc)
    message = "The database does not answer; please try again in a moment."
    return _unavailable(request, message, 5)


def install(app: FastAPI) -> None:
    app.add_exception_handler(IndexUnavailable, index_unavailable)
    app.add_exception_handler(OperationalError, database_unavailable)
    app.add_exception_handler(InterfaceError, database_unavailable)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, server_error)
