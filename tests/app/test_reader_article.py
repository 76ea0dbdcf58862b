"""The structured copy through HTTP: the API's html and markdown fields, the reader page,
and the Markdown download at /links/{id}.md."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import Archive
from tests.app._article import CODE, SHA, article_archive, store_document


@pytest.fixture(scope="module")
def articles(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    return article_archive(tmp_path_factory.mktemp("articles"))


@pytest.fixture(scope="module")
def web(articles: Archive) -> Iterator[TestClient]:
    with TestClient(create_app(articles.settings())) as client:
        yield client


def test_link_detail_adds_html_and_markdown(web: TestClient, articles: Archive) -> None:
    body = web.get(f"/api/links/{articles.ids['topic0']}").json()
    assert body["html"].startswith("<h2>How <code>dis</code> works")
    assert "<script>" not in body["html"]
    assert f'<img src="/images/{SHA}" alt="The value stack">' in body["html"]
    assert "````python\n" + CODE + "````" in body["markdown"]
    # Markdown leaves the server: its images point at this server, absolutely.
    assert f"](http://testserver/images/{SHA})" in body["markdown"]
    assert body["text"].startswith("How the CPython interpreter")


def test_without_a_structured_copy_both_are_null(web: TestClient, articles: Archive) -> None:
    for name in ("topic1", "failed", "pending"):
        body = web.get(f"/api/links/{articles.ids[name]}").json()
        assert body["html"] is None and body["markdown"] is None


def test_snapshot_detail_adds_html_and_markdown(web: TestClient, articles: Archive) -> None:
    link_id = articles.ids["topic0"]
    snap = web.get(f"/api/links/{link_id}/snapshots").json()["items"][0]["id"]
    body = web.get(f"/api/links/{link_id}/snapshots/{snap}").json()
    assert '<pre><code class="language-python">import dis' in body["html"]
    assert body["markdown"].startswith("## How `dis` works")
    other = articles.ids["topic1"]
    snap = web.get(f"/api/links/{other}/snapshots").json()["items"][0]["id"]
    body = web.get(f"/api/links/{other}/snapshots/{snap}").json()
    assert body["html"] is None and body["markdown"] is None


def test_reader_shows_the_structured_copy(web: TestClient, articles: Archive) -> None:
    link_id = articles.ids["topic0"]
    page = web.get(f"/links/{link_id}").text
    assert '<div class="prose article" lang="en">' in page
    assert "<h2>How <code>dis</code> works" in page
    assert "<script>alert(1)</script>" not in page
    assert f'href="/links/{link_id}.md"' in page
    # The same for the snapshot chosen by ?snapshot=.
    snap = web.get(f"/api/links/{link_id}/snapshots").json()["items"][0]["id"]
    assert "<h2>How <code>dis</code> works" in web.get(f"/links/{link_id}?snapshot={snap}").text


def test_reader_falls_back_to_the_text(web: TestClient, articles: Archive) -> None:
    page = web.get(f"/links/{articles.ids['topic1']}").text
    assert 'class="prose article"' not in page
    assert "<p>How the CPython interpreter handles code objects.</p>" in page


def test_a_stored_copy_that_does_not_check_out_falls_back(tmp_path: Path) -> None:
    archive = article_archive(tmp_path / "data")
    link_id = archive.ids["topic0"]
    store_document(archive, link_id, '{"v": 1, "blocks": [{"t": "script", "c": "alert(1)"}]}')
    with TestClient(create_app(archive.settings())) as client:
        assert client.get(f"/api/links/{link_id}").json()["html"] is None
        page = client.get(f"/links/{link_id}").text
        assert "How the CPython interpreter handles frames." in page


def test_markdown_download(web: TestClient, articles: Archive) -> None:
    response = web.get(f"/links/{articles.ids['topic0']}.md")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="Python-internals-frames.md"'
    )
    text = response.text
    assert text.startswith(
        "# Python internals: frames\n\nSource: <https://akaptur.com/python/0>\\\n"
        "Archived: 2024-03-01 12:00 UTC\n\n---\n\n## How `dis` works"
    )
    assert "````python\n" + CODE + "````" in text


def test_markdown_download_of_text_and_hostile_titles(web: TestClient, articles: Archive) -> None:
    response = web.get(f"/links/{articles.ids['xss']}.md")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    name = "script-alert-1-script-Hostile-img-src-x-onerror-alert-1-page.md"
    assert disposition == f'attachment; filename="{name}"'
    assert response.text.startswith("# \\<script>alert(1)\\</script> Hostile")
    assert "\\<script>alert(1)\\</script> sits next to xssprobe" in response.text


@pytest.mark.parametrize("path", ["/links/999999.md", "/links/abc.md", "/links/0.md"])
def test_markdown_download_of_unknown_ids_is_404(web: TestClient, path: str) -> None:
    assert web.get(path).status_code == 404


def test_markdown_download_without_a_copy_is_404(web: TestClient, articles: Archive) -> None:
    assert web.get(f"/links/{articles.ids['pending']}.md").status_code == 404
    assert web.get(f"/links/{articles.ids['topic0']}.md?snapshot=999999").status_code == 404
