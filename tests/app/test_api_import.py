"""`POST /api/import` under real uvicorn: a multipart upload with a token or a signed-in
session (and its CSRF token), the summary as JSON, the new links archived in the background,
clear 4xx answers for bad input with nothing imported, and the route's own size limit."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from tests.app._archive import TOKEN, LiveServer, make_settings
from tests.app._auth import SECRET_KEY, csrf_from, set_up_owner, sign_in_ok
from tests.support.site import LocalSite

POCKET_HEADER = "title,url,time_added,tags,status\n"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ARTICLE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Gnu import notes</title></head><body><article><h1>Gnu import notes</h1>
<p>The wildebeest importer reads every row of the export, and this paragraph is long enough
for the extractor to treat it as the main text of the page rather than boilerplate.</p>
</article></body></html>"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("import") / "data"
    settings = make_settings(
        data,
        api_token=TOKEN,
        secret_key=SECRET_KEY,
        # The general limit stays small; the import route has its own.
        max_request_bytes=64 * 1024,
        max_import_bytes=1024 * 1024,
    )
    set_up_owner(settings)
    with LiveServer(create_app(settings)) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as opened:
        yield opened


def _pocket(prefix: str, rows: int) -> bytes:
    lines = [POCKET_HEADER]
    row = "Entry {n},https://{prefix}.example/{n},1700000000,a|b,unread\n"
    lines += [row.format(n=n, prefix=prefix) for n in range(rows)]
    return "".join(lines).encode()


def _upload(
    client: httpx.Client,
    body: bytes,
    name: str = "part_000000.csv",
    headers: dict[str, str] | None = None,
    **fields: str,
) -> httpx.Response:
    return client.post(
        "/api/import",
        files={"file": (name, body, "text/csv")},
        data={"archive": "false", **fields},
        headers=AUTH if headers is None else headers,
    )


def _total(client: httpx.Client) -> int:
    total: int = client.get("/api/links").json()["total"]
    return total


def test_an_upload_answers_with_the_summary(client: httpx.Client) -> None:
    body = _pocket("summary", 3) + b"No URL,,1700000000,,unread\n"
    response = _upload(client, body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["source"] == "part_000000.csv" and answer["format"] == "pocket"
    assert (answer["added"], answer["already_present"], answer["archiving"]) == (3, 0, False)
    assert answer["skipped"] == [
        {"source": "part_000000.csv", "line": 5, "reason": "row without a URL skipped"}
    ]
    assert len(answer["link_ids"]) == 3
    link = client.get(f"/api/links/{answer['link_ids'][0]}").json()
    assert (link["title"], link["tags"], link["status"]) == ("Entry 0", ["a", "b"], "pending")

    again = _upload(client, _pocket("summary", 4)).json()
    assert (again["added"], again["already_present"]) == (1, 3)
    assert again["link_ids"][:3] == answer["link_ids"]


def test_a_forced_format_and_a_netscape_file(client: httpx.Client) -> None:
    page = b'<DL><p><DT><A HREF="https://forced.example/a" TAGS="x">A</A></DL>'
    response = _upload(client, page, name="export.txt", format="bookmarks")
    assert response.status_code == 200, response.text
    assert (response.json()["format"], response.json()["added"]) == ("bookmarks", 1)


@pytest.mark.parametrize(
    ("body", "fields", "message"),
    [
        (b"https://a.example/\n", {"format": "delicious"}, "unknown format 'delicious'; one of"),
        (b"https://a.example/\n", {"archive": "maybe"}, "`archive` must be true or false"),
        (b'{"items": [{"url": "https://a.example/"}]}', {}, "a JSON file of no format"),
        (b'{"roots": []}', {"format": "chrome"}, "not a Chrome bookmarks file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64, {}, "upload"),
        (
            json.dumps({"format": "linkvault-export", "version": 1, "links": []}).encode(),
            {},
            "is a linkvault JSON export: restore it with `linkvault archive",
        ),
    ],
)
def test_bad_input_is_a_clear_422_and_nothing_is_imported(
    client: httpx.Client, body: bytes, fields: dict[str, str], message: str
) -> None:
    before = _total(client)
    response = _upload(client, body, name="upload.json", **fields)
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert _total(client) == before


def test_no_file_and_a_broken_body_are_4xx(client: httpx.Client) -> None:
    no_file = client.post("/api/import", data={"format": "auto"}, headers=AUTH)
    assert no_file.status_code == 422
    assert "multipart/form-data field `file`" in no_file.json()["detail"]
    as_json = client.post("/api/import", json={"file": "x"}, headers=AUTH)
    assert as_json.status_code == 422
    broken = client.post(
        "/api/import",
        content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nab',
        headers={**AUTH, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert broken.status_code in (400, 422), broken.text
    two_files = client.post(
        "/api/import",
        files=[("file", ("a.txt", b"https://a.example/")), ("other", ("b.txt", b"x"))],
        headers=AUTH,
    )
    assert two_files.status_code == 400, two_files.text


def test_writers_only(client: httpx.Client, server: LiveServer) -> None:
    anonymous = _upload(client, _pocket("anon", 1), headers={})
    assert anonymous.status_code == 401
    wrong = _upload(client, _pocket("anon", 1), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401

    with httpx.Client(base_url=server.url, timeout=30) as browser:
        sign_in_ok(browser)
        no_token = _upload(browser, _pocket("session", 2), headers={})
        assert no_token.status_code == 403, no_token.text
        with_token = _upload(
            browser, _pocket("session", 2), headers={"x-csrftoken": browser.cookies["csrftoken"]}
        )
        assert with_token.status_code == 200, with_token.text
        assert with_token.json()["added"] == 2
        # The token as the form's first field, as the /add page's upload form sends it.
        in_form = _upload(
            browser,
            _pocket("form", 1),
            headers={},
            csrftoken=browser.cookies["csrftoken"],
        )
        assert in_form.status_code == 200, in_form.text
        wrong_field = _upload(browser, _pocket("form", 1), headers={}, csrftoken="forged")
        assert wrong_field.status_code == 403, wrong_field.text
    assert _total(client) >= 3


def test_the_add_page_imports_an_uploaded_file(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        sign_in_ok(browser)
        page = browser.get("/add")
        assert 'action="/add/import#import"' in page.text
        body = _pocket("webform", 2) + b"No URL,,1700000000,,unread\n"
        response = browser.post(
            "/add/import",
            data={"csrftoken": csrf_from(page.text), "format": "auto"},
            files={"file": ("pocket.csv", body, "text/csv")},
        )
        assert response.status_code == 200, response.text
        assert (
            "Imported pocket.csv (Pocket CSV): 2 added, 0 already present, 1 skipped"
            in response.text
        )
        assert "pocket.csv:4: row without a URL skipped" in response.text

        refused = browser.post(
            "/add/import",
            data={"csrftoken": csrf_from(page.text)},
            files={"file": ("x.json", b'{"a": "https://a.example/"}', "application/json")},
        )
        assert refused.status_code == 422
        assert "Nothing was imported: x.json: a JSON file of no format" in refused.text


def test_the_import_route_has_its_own_size_limit(client: httpx.Client) -> None:
    # 200 kB: over LINKVAULT_MAX_REQUEST_BYTES (64 kB), under LINKVAULT_MAX_IMPORT_BYTES.
    rows = 2500
    body = _pocket("sized", rows)
    assert 64 * 1024 < len(body) < 1024 * 1024
    response = _upload(client, body)
    assert response.status_code == 200, response.text
    assert response.json()["added"] == rows
    elsewhere = client.post("/api/links", json={"urls": ["https://a.example/" + "a" * 70_000]})
    assert elsewhere.status_code == 413

    before = _total(client)
    too_big = _upload(client, _pocket("toobig", 25_000))
    assert too_big.status_code == 413
    assert too_big.json() == {"detail": "The request body is larger than 1,048,576 bytes."}
    assert _total(client) == before


def _poll(client: httpx.Client, link_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = client.get(f"/api/links/{link_id}").json()
        if body["status"] != "pending":
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def test_the_new_links_are_archived_in_the_background(
    tmp_path: Path, local_site: LocalSite
) -> None:
    local_site.route("/gnu.html", ARTICLE)
    settings = make_settings(tmp_path / "data", api_token=TOKEN)
    csv = POCKET_HEADER + f"Gnu,{local_site.url('/gnu.html')},1700000000,,unread\n"
    with LiveServer(create_app(settings)) as live, httpx.Client(base_url=live.url) as client:
        response = client.post(
            "/api/import", files={"file": ("pocket.csv", csv.encode())}, headers=AUTH
        )
        assert response.status_code == 200, response.text
        assert response.json()["archiving"] is True
        link = _poll(client, response.json()["link_ids"][0])
        assert link["status"] == "ok", link
        assert "wildebeest" in link["text"]


SOURCES = Path(__file__).parents[1] / "archiver" / "fixtures" / "sources"


def _omnivore_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted((SOURCES / "omnivore_export").rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(SOURCES / "omnivore_export").as_posix())
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("awesome.md", "markdown"),
        ("links.txt", "text"),
        ("chrome_Bookmarks", "chrome"),
        ("firefox_backup.json", "firefox"),
        ("pocket_export.csv", "pocket"),
        ("instapaper_export.csv", "instapaper"),
        ("raindrop_export.csv", "raindrop"),
        ("pinboard_export.json", "pinboard"),
        ("karakeep_export.json", "karakeep"),
        ("linkwarden_backup.json", "linkwarden"),
        ("linkding_bookmarks.html", "bookmarks"),
        ("wallabag_export.json", "wallabag"),
        ("omnivore-export.zip", "omnivore"),
    ],
)
def test_every_tools_export_is_recognised_through_the_upload(
    client: httpx.Client, fixture: str, expected: str
) -> None:
    """Each reader's own test file (written from the tool's exporter) through the route: the
    format is told from the content, whatever the upload is called."""
    body = _omnivore_zip() if fixture.endswith(".zip") else (SOURCES / fixture).read_bytes()
    response = _upload(client, body, name="upload-" + fixture)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["format"] == expected
    assert summary["source"] == "upload-" + fixture
    assert summary["added"] + summary["already_present"] == len(summary["link_ids"]) > 0
