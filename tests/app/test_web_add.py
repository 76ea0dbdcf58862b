"""Adding a link from the browser over HTTP: the form prefilled from the bookmarklet's and a
share sheet's parameters, saving it signed in with the form's CSRF token, archiving in the
background, the manifest, and what is refused."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.http.web.routes_add import bookmarklet
from app.main import create_app
from tests.app._archive import LiveServer, make_settings
from tests.app._auth import SECRET_KEY, csrf_from, set_up_owner, sign_in_ok
from tests.app.test_api_write import ARTICLE
from tests.support.site import LocalSite


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path / "data", secret_key=SECRET_KEY)
    set_up_owner(settings)
    with LiveServer(create_app(settings)) as live:
        yield live


@pytest.fixture
def client(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


def _form_token(client: httpx.Client, path: str = "/add") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def test_the_form_is_prefilled_and_escapes_what_it_is_given(client: httpx.Client) -> None:
    hostile = '"><script>alert(1)</script>'
    page = client.get("/add", params={"url": "https://example.com/a", "title": hostile})
    assert page.status_code == 200
    assert 'value="https://example.com/a"' in page.text
    assert "<script>alert(1)" not in page.text
    assert "&#34;&gt;&lt;script&gt;" in page.text or "&quot;&gt;&lt;script&gt;" in page.text


def test_a_share_sheet_sending_the_url_in_its_text_fills_the_address(
    client: httpx.Client,
) -> None:
    page = client.get(
        "/add", params={"text": "Worth keeping: https://example.com/p?x=1.", "title": "P"}
    )
    assert 'value="https://example.com/p?x=1"' in page.text


def test_a_stranger_is_asked_to_sign_in_and_comes_back_to_the_form(
    client: httpx.Client,
) -> None:
    page = client.get("/add", params={"url": "https://example.com/a"})
    assert "Adding links needs you to be signed in" in page.text
    assert "Add and archive" not in page.text
    href = page.text.split('href="/signin?next=', 1)[1].split('"', 1)[0]
    back = parse_qs("next=" + href.replace("&amp;", "&"))["next"][0]
    assert back == "/add?url=https%3A%2F%2Fexample.com%2Fa"
    response = client.post("/add", data={"url": "https://example.com/a"})
    assert response.status_code in (401, 403)
    assert client.get("/api/links").json()["total"] == 0


def test_saving_needs_the_forms_csrf_token(client: httpx.Client) -> None:
    sign_in_ok(client)
    response = client.post("/add", data={"url": "https://example.com/a"})
    assert response.status_code == 403
    assert client.get("/api/links").json()["total"] == 0


def _poll(client: httpx.Client, link_id: int, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = client.get(f"/api/links/{link_id}").json()
        if body["status"] != "pending" or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_a_saved_link_is_pending_then_archived(client: httpx.Client, local_site: LocalSite) -> None:
    local_site.route("/article.html", ARTICLE)
    sign_in_ok(client)
    url = local_site.url("/article.html")
    form = {
        "csrftoken": _form_token(client),
        "url": url,
        "section": "From the browser",
        "tags": "zebrafish, Bytecode",
        "note": "the quaggamatic loop",
    }
    response = client.post("/add", data=form, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.endswith("?added=new")
    link_id = int(urlsplit(location).path.rsplit("/", 1)[1])
    reader = client.get(location)
    assert "Added. linkvault is archiving it now" in reader.text

    body = _poll(client, link_id)
    assert body["status"] == "ok", body
    assert (body["section"], body["tags"], body["note"]) == (
        "From the browser",
        ["zebrafish", "Bytecode"],
        "the quaggamatic loop",
    )
    assert "quaggamatic evaluation loop" in client.get(f"/links/{link_id}").text
    # The status is stored before the index commits the page: wait for the index too.
    assert _found(client, "tag:bytecode") == [link_id]
    assert _found(client, "quaggamatic") == [link_id]


def _found(client: httpx.Client, q: str, timeout: float = 30) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        hits = client.get("/api/search", params={"q": q}).json()["results"]
        if hits or time.monotonic() > deadline:
            return [hit["id"] for hit in hits]
        time.sleep(0.1)


def test_adding_a_link_again_opens_it_and_adds_the_tags(client: httpx.Client) -> None:
    sign_in_ok(client)
    token = _form_token(client)
    first = client.post(
        "/add", data={"csrftoken": token, "url": "https://example.com/a", "tags": "a"}
    )
    assert first.status_code == 303
    again = client.post(
        "/add",
        data={"csrftoken": token, "url": "https://example.com/a#part", "tags": "b"},
        follow_redirects=False,
    )
    assert again.status_code == 303
    assert again.headers["location"].endswith("?added=existing")
    assert "already in your archive" in client.get(again.headers["location"]).text
    [item] = client.get("/api/links").json()["items"]
    assert item["tags"] == ["a", "b"]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"url": "file:///etc/passwd"}, "Only http:// and https:// addresses"),
        ({"url": "not an address"}, "Only http:// and https:// addresses"),
        ({"url": "https://example.com/", "tags": "ok, a\x01b"}, "control character"),
        ({"url": "https://example.com/", "tags": "y" * 80}, "at most 64"),
    ],
)
def test_what_cannot_be_saved_shows_the_form_again(
    client: httpx.Client, form: dict[str, str], message: str
) -> None:
    sign_in_ok(client)
    response = client.post("/add", data={"csrftoken": _form_token(client), **form})
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert client.get("/api/links").json()["total"] == 0


def test_the_manifest_makes_add_a_share_target(client: httpx.Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/manifest+json"
    manifest = json.loads(response.text)
    assert manifest["share_target"] == {
        "action": "/add",
        "method": "GET",
        "params": {"title": "title", "text": "text", "url": "url"},
    }
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200, icon
        assert image.headers["content-type"] == icon["type"]
    page = client.get("/")
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page.text
    assert "manifest-src 'self'" in page.headers["content-security-policy"]


def test_the_bookmarklet_opens_this_servers_form() -> None:
    code = bookmarklet("http://vault.example:8000/")
    assert code.startswith("javascript:")
    assert "'http://vault.example:8000/add?url='+encodeURIComponent(location.href)" in code
    assert "encodeURIComponent(document.title)" in code
    # A quote in the server's address could not end the string early.
    assert "'" not in bookmarklet("http://a'b/").split("'")[1]


def test_private_mode_sends_a_stranger_from_the_form_to_sign_in(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", secret_key=SECRET_KEY, private=True)
    set_up_owner(settings)
    with LiveServer(create_app(settings)) as live, httpx.Client(base_url=live.url) as http:
        response = http.get("/add", params={"url": "https://example.com/"})
        assert response.status_code == 303
        assert response.headers["location"].startswith("/signin?next=%2Fadd%3Furl%3D")
        assert http.get("/manifest.webmanifest").status_code == 303
