"""The running API, fuzzed from its own OpenAPI schema with schemathesis: no 5xx, ever, and
every response (status code, content type, headers, body) as /openapi.json documents it.

Requests go over real HTTP to uvicorn on 127.0.0.1. Schemathesis' pytest integration
(`schemathesis.pytest.from_fixture`) does not work with pytest 9 (it sets a private
attribute pytest no longer has), so each operation gets a plain test that draws cases from
`APIOperation.as_strategy()` inside `@given`, sends them with `case.call()` and checks the
response with `case.validate_response()` (schemathesis' default checks). Write routes are
fuzzed on a private copy of the archive with a token; test_raw_requests sends what no schema
describes (invalid UTF-8, lone surrogates, nesting, megabytes).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.schemas import OpenApiSchema

from app.main import create_app
from tests.app._archive import TOKEN, Archive, LiveServer, build_archive, make_settings

# Every operation of /openapi.json; test_every_operation_is_fuzzed keeps the list complete.
OPERATIONS = [
    ("GET", "/api/search"),
    ("GET", "/api/links"),
    ("POST", "/api/links"),
    ("POST", "/api/import"),
    ("GET", "/api/links/{link_id}"),
    ("POST", "/api/links/{link_id}/refresh"),
    ("GET", "/api/links/{link_id}/snapshots"),
    ("GET", "/api/links/{link_id}/snapshots/{snapshot_id}"),
    ("GET", "/api/links/{link_id}/checks"),
    ("GET", "/api/links/{link_id}/diff"),
    ("GET", "/api/lists"),
    ("GET", "/api/stats"),
    ("GET", "/healthz"),
    ("GET", "/images/{sha256}"),
    ("PATCH", "/api/links/{link_id}"),
    # Last: on the writable server it removes the links the other operations aim at.
    ("DELETE", "/api/links/{link_id}"),
]
# Operations without any input have nothing to make invalid; /images takes any string (a
# 404 for what is not the SHA-256 of an archived image), so nothing there is invalid either.
NO_INPUT = {
    ("GET", "/api/lists"),
    ("GET", "/api/stats"),
    ("GET", "/healthz"),
    ("GET", "/images/{sha256}"),
}
CASES = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or (method, path) not in NO_INPUT
]
# Requests whose target is longer than this may be refused by uvicorn: see _refused_by_uvicorn.
MAX_REQUEST_TARGET = 65_000
# Schemathesis' positive_data_acceptance check expects a schema-valid request to succeed,
# but a request can be well formed and still meaningless: a query that cannot be run (a
# 2-letter prefix*, 70 words), date_from after date_to, a URL that is a string but not an
# http(s) URL. The API documents a 400 for exactly those, so a 400 is accepted here too;
# status_code_conformance still fails any 400 on an operation that does not document it.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404"]}
        }
    }
)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Runtime budget: 11 operations x 2 modes x 2 servers x each search backend.
FUZZ = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class NoFetching:
    """Stands in for app.http.jobs.ArchiveJobs on the writable server: the write routes run for
    real (validation, storage, ids), but fuzzed URLs are never fetched from the Internet."""

    def __init__(self) -> None:
        self.archived: list[int] = []
        self.refreshed: list[int] = []

    def archive_new(self, link_ids: Sequence[int]) -> None:
        self.archived.extend(link_ids)

    def refresh(self, link_id: int) -> None:
        self.refreshed.append(link_id)


class Target:
    """A live server, its schema as served, and a requests session that only goes there."""

    def __init__(self, server: LiveServer, archive: Archive, headers: dict[str, str]) -> None:
        self.server = server
        self.archive = archive
        self.headers = headers
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy variables: 127.0.0.1 and nothing else
        served = self.session.get(f"{server.url}/openapi.json", timeout=30)
        served.raise_for_status()
        self.schema: OpenApiSchema = schemathesis.openapi.from_dict(served.json(), config=CONFIG)

    def fuzz(self, method: str, path: str, mode: GenerationMode) -> None:
        operation = self.schema[path][method]
        strategy = _cases(operation, mode, self.archive)

        @FUZZ
        @given(case=strategy)
        def run(case: Case) -> None:
            response = case.call(
                base_url=self.server.url, session=self.session, headers=self.headers
            )
            if _refused_by_uvicorn(response) or _file_refused(operation, response):
                return
            case.validate_response(response, headers=self.headers)

        run()


def _refused_by_uvicorn(response: Any) -> bool:
    """uvicorn (httptools) refuses a request target longer than 64 kB with a plain-text 400
    before the app sees it. The schema allows `q` up to 20,000 characters, and a string of
    4-byte characters that long is 240 kB once percent-encoded: the request is schema-valid,
    but the answer is the HTTP server's, not the app's, so the schema checks do not apply.
    It must still be a 400, never a 5xx."""
    if len(response.request.url) <= MAX_REQUEST_TARGET:
        return False
    assert response.status_code == 400, response.status_code
    assert response.text == "Invalid HTTP request received."
    return True


def _file_refused(operation: Any, response: Any) -> bool:
    """POST /api/import takes any file the schema can describe (`format: binary`), but most
    random bytes are no list: a documented 422 that says why, not FastAPI's validation error
    (a list). positive_data_acceptance cannot tell the two apart."""
    if (operation.method.upper(), operation.path) != ("POST", "/api/import"):
        return False
    if response.status_code != 422:
        return False
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail, detail
    return True


def _cases(operation: Any, mode: GenerationMode, archive: Archive) -> st.SearchStrategy[Case]:
    """Schemathesis' cases, and in positive mode also cases aimed at links and snapshots that
    exist (random ids almost always hit a 404) and at bodies with real URLs in them."""
    generated = operation.as_strategy(mode)
    if mode is not GenerationMode.POSITIVE:
        return generated
    names = {parameter.name for parameter in operation.path_parameters}
    extra: list[st.SearchStrategy[Case]] = []
    if names:
        ids = st.sampled_from(sorted(archive.ids.values()))
        small = st.integers(1, 40)
        fixed = st.fixed_dictionaries(
            {name: ids if name == "link_id" else small for name in sorted(names)}
        )
        extra.append(fixed.flatmap(lambda params: operation.as_strategy(path_parameters=params)))
    if operation.method.upper() == "POST" and operation.path == "/api/links":
        bodies = st.fixed_dictionaries(
            {"urls": st.lists(_URLS, min_size=1, max_size=5)},
            optional={"section": st.none() | st.text(max_size=40)},
        )
        extra.append(bodies.flatmap(lambda body: operation.as_strategy(body=body)))
    return st.one_of(generated, *extra)


# http(s) URLs that the API accepts (fetched by nobody: see NoFetching), and near misses.
_URLS = st.one_of(
    st.builds(
        "{}://{}.example/{}".format,
        st.sampled_from(["http", "https", "HTTPS"]),
        st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True),
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20),
    ),
    st.sampled_from(
        [
            "https://example.org/?utm_source=x#frag",
            "https://Bücher.example/ä",
            "http://[::1]:8080/",
            "ftp://example.org/",
            "javascript:alert(1)",
            "https://exa mple.org/",
            "",
        ]
    ),
)


@pytest.fixture(scope="module")
def read_only(live_server: LiveServer, archive: Archive) -> Iterator[Target]:
    """The shared fixture archive, no token configured: write routes answer 403."""
    target = Target(live_server, archive, headers={})
    yield target
    target.session.close()


@pytest.fixture(scope="module")
def writable(
    archive: Archive, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Target, NoFetching]]:
    """A private copy of the fixture archive, on the same search backend, with a token: the
    write routes really write."""
    folder = tmp_path_factory.mktemp("fuzz-write") / "data"
    backend = getattr(archive, "search_backend", "whoosh")
    if backend == "whoosh":
        private = build_archive(folder)
        settings = make_settings(private.data_dir, api_token=TOKEN)
    else:
        database_url = request.getfixturevalue("postgres_server").database()
        private = build_archive(folder, database_url=database_url, search_backend=backend)
        settings = private.settings(api_token=TOKEN)
    app = create_app(settings)
    jobs = NoFetching()
    app.state.jobs = jobs
    with LiveServer(app) as server:
        target = Target(server, private, headers=AUTH)
        yield target, jobs
        target.session.close()


def test_every_operation_is_fuzzed(read_only: Target) -> None:
    served = set()
    for result in read_only.schema.get_all_operations():
        assert isinstance(result, Ok), result  # Err: an operation schemathesis cannot read
        operation = result.ok()
        served.add((operation.method.upper(), operation.path))
    assert served == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_read_only_api(read_only: Target, method: str, path: str, mode: GenerationMode) -> None:
    read_only.fuzz(method, path, mode)


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_writable_api(
    writable: tuple[Target, NoFetching], method: str, path: str, mode: GenerationMode
) -> None:
    target, _jobs = writable
    target.fuzz(method, path, mode)


# What a schema cannot describe: bytes that are not UTF-8, escapes of lone surrogates, deep
# nesting, megabytes, ids past the database's integers, the wrong content type.
RAW = [
    ("GET", "/api/search?q=%FF%FEquote&section=%C0%AF&domain=%ED%A0%80", None, {}),
    ("GET", "/api/search?q=%00%01&page=1e3&per_page=-0&date_from=%FF", None, {}),
    ("GET", "/api/search?q=tag%3A%FF%00&tag=%ED%A0%80", None, {}),
    ("GET", "/api/links?status=%FF&page=99999999999999999999", None, {}),
    ("GET", "/api/links/%FF", None, {}),
    ("GET", "/api/links/2147483648", None, {}),
    ("GET", "/api/links/99999999999999999999999999/checks", None, {}),
    ("GET", "/api/links/1/diff?from=2147483648&to=%00", None, {}),
    ("POST", "/api/links", b'{"urls": ["https://a.example/\\ud800"]}', {}),
    ("POST", "/api/links", b'{"urls": ["https://a.example/"], "section": "\\udcff"}', {}),
    ("POST", "/api/links", b'{"urls": ["https://a.example/x"], "section": "\\u0000"}', {}),
    ("POST", "/api/links", b'{"urls": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", {}),
    ("POST", "/api/links", b"\xff\xfe{\x00", {}),
    ("POST", "/api/links", b'{"urls": ["https://a.example/' + b"a" * 2_000_000 + b'"]}', {}),
    ("POST", "/api/links", b'{"urls": ["https://a.example/"]}', {"Content-Type": "text/plain"}),
    ("POST", "/api/links/1/refresh", b"\x00" * 1000, {"Content-Type": "application/json"}),
    ("POST", "/api/import", b"\xff\xfe", {"Content-Type": "multipart/form-data; boundary=b"}),
    ("POST", "/api/import", b"--b\r\n\r\n", {"Content-Type": "multipart/form-data"}),
    (
        "POST",
        "/api/import",
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="\xff\xfe.csv"\r\n\r\n'
        + b"\xed\xa0\x80https://a.example/\r\n--b--\r\n",
        {"Content-Type": "multipart/form-data; boundary=b"},
    ),
    (
        "POST",
        "/api/import",
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="'
        + b"a" * 100_000
        + b'"\r\n\r\nhttps://a.example/\r\n--b--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b"},
    ),
    ("POST", "/api/links/1/refresh", None, {"Authorization": "Bearer \xff\xfe"}),
    ("GET", "/?q=%FF%ED%A0%80&page=99999999999999999999&section=%00", None, {}),
    ("GET", "/?tag=%FF%ED%A0%80%00", None, {}),
    ("GET", "/links/%ED%A0%80", None, {}),
    ("GET", "/links/99999999999999999999", None, {}),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers"), RAW, ids=[f"{m} {p[:40]}" for m, p, _, _ in RAW]
)
def test_raw_requests(
    writable: tuple[Target, NoFetching],
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
) -> None:
    target, _jobs = writable
    sent = {"Content-Type": "application/json", **AUTH, **headers}
    response = target.session.request(
        method, target.server.url + path, data=body, headers=sent, timeout=60
    )
    assert response.status_code < 500, response.text[:500]
    if path.startswith("/api/"):
        assert response.headers["content-type"] == "application/json"
        if response.status_code >= 400:
            assert response.json()["detail"]
    else:
        assert response.headers["content-type"].startswith("text/html")
