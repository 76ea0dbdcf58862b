"""A link's history over HTTP: snapshots, checks and diffs in the API and the reader view,
built by really archiving and refreshing a local site that changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.services import Vault
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.sources import parse_text
from index import SearchQuery
from tests.app._archive import LiveServer, make_settings
from tests.app.test_browser import CHROMIUM, Browser, _no_overflow, _page, _shot
from tests.app.test_browser import browser as browser  # the module's Chromium, reused
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import LocalSite

# Markup in the page's *text* (escaped in its HTML): the extractor hands it over as text, and
# neither the reader view nor the diff may ever turn it back into markup.
HOSTILE = "Beware &lt;script&gt;alert('diff')&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt; claims."


@dataclass(frozen=True, slots=True)
class History:
    data_dir: Path
    edited: int  # three snapshots: v1, v2, v3
    gone: int  # one snapshot, then 404
    single: int  # one snapshot only


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    data_dir = tmp_path_factory.mktemp("history")
    edited = EditablePage(
        "Evolving notes",
        "Paragraph one about the eval loop stays the same in every version of this page.",
        "Version one says the interpreter uses a switch statement. " + pages.filler("dispatch"),
    )
    gone = EditablePage("Gone soon", pages.filler("vanishing pages"))
    with LocalSite() as site:
        site.route("/edited", handler=edited)
        site.route("/gone", handler=gone)
        site.route("/single", pages.article("Single", pages.filler("single copies")).encode())
        # No failure spacing: the second 404 confirms the first (issue 13), so /gone is dead.
        vault = Vault(make_settings(data_dir, failure_spacing=timedelta(0)))
        try:
            urls = "\n".join(site.url(p) for p in ("/edited", "/gone", "/single"))
            ids = vault.store.links.add_links(parse_text(urls, "list.txt").links).link_ids
            vault.archive(vault.store.links.tasks_for_archive(ids))
            for text in ("Version two says computed gotos. " + HOSTILE, "Version three: both."):
                edited.edit(edited.paragraphs[0], text + " " + pages.filler("dispatch"))
                gone.fail(404)
                everything = RefreshSelection(everything=True)
                vault.refresh(refresh_tasks(vault.store, everything, timedelta(days=7)))
        finally:
            vault.close()
    yield History(data_dir, *ids)


@pytest.fixture(scope="module")
def client(history: History) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(history.data_dir))) as test_client:
        yield test_client


def test_snapshots_list_every_change_newest_first(client: TestClient, history: History) -> None:
    body = client.get(f"/api/links/{history.edited}/snapshots").json()
    assert body["link_id"] == history.edited and body["total"] == 3
    items = body["items"]
    assert [item["current"] for item in items] == [True, False, False]
    assert items[0]["fetched_at"] > items[1]["fetched_at"] > items[2]["fetched_at"]
    for item in items:
        assert item["status"] == "ok" and item["http_status"] == 200
        assert item["size"] > 0 and len(item["content_hash"]) == 64
    assert len({item["content_hash"] for item in items}) == 3


def test_unchanged_checks_are_checks_not_snapshots(client: TestClient, history: History) -> None:
    assert client.get(f"/api/links/{history.single}/snapshots").json()["total"] == 1
    checks = client.get(f"/api/links/{history.single}/checks").json()["items"]
    assert [(c["status"], c["changed"]) for c in checks] == [
        ("ok", False),
        ("ok", False),
        ("ok", True),
    ]


def test_a_snapshot_opens_with_its_text(client: TestClient, history: History) -> None:
    items = client.get(f"/api/links/{history.edited}/snapshots").json()["items"]
    oldest = client.get(f"/api/links/{history.edited}/snapshots/{items[-1]['id']}").json()
    assert "switch statement" in oldest["text"] and oldest["current"] is False
    assert oldest["etag"] is not None
    newest = client.get(f"/api/links/{history.edited}/snapshots/{items[0]['id']}").json()
    assert "Version three" in newest["text"]


def test_the_diff_shows_the_edit(client: TestClient, history: History) -> None:
    items = client.get(f"/api/links/{history.edited}/snapshots").json()["items"]
    newest, middle, oldest = (item["id"] for item in items)

    latest = client.get(f"/api/links/{history.edited}/diff").json()  # newest vs the one before
    assert (latest["from"]["id"], latest["to"]["id"]) == (middle, newest)

    body = client.get(f"/api/links/{history.edited}/diff?from={oldest}&to={middle}").json()
    lines = body["diff"].splitlines()
    assert lines[0].startswith(f"--- snapshot {oldest}")
    assert lines[1].startswith(f"+++ snapshot {middle}")
    assert any(line.startswith("-Version one says the interpreter uses a switch") for line in lines)
    assert any(line.startswith("+Version two says computed gotos") for line in lines)
    assert not any(line.startswith(("+Paragraph one", "-Paragraph one")) for line in lines)
    assert body["added"] >= 1 and body["removed"] >= 1 and body["truncated"] is False


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        ("/api/links/999/snapshots", "no link with id 999"),
        ("/api/links/{edited}/snapshots/{single_snapshot}", "has no snapshot"),
        ("/api/links/{single}/diff", "nothing to compare it with"),
        ("/api/links/{edited}/diff?from={single_snapshot}", "from: link"),
    ],
)
def test_history_errors_are_json_404s(
    client: TestClient, history: History, path: str, detail: str
) -> None:
    single_snapshot = client.get(f"/api/links/{history.single}/snapshots").json()["items"][0]
    url = path.format(
        edited=history.edited, single=history.single, single_snapshot=single_snapshot["id"]
    )
    response = client.get(url)
    assert response.status_code == 404
    assert detail in response.json()["detail"]


def test_reader_lists_snapshots_and_opens_an_earlier_one(
    client: TestClient, history: History
) -> None:
    items = client.get(f"/api/links/{history.edited}/snapshots").json()["items"]
    page = client.get(f"/links/{history.edited}").text
    assert "Snapshots" in page
    for item in items[1:]:
        assert f"/links/{history.edited}?snapshot={item['id']}" in page
    assert f"/links/{history.edited}/diff?from={items[1]['id']}&amp;to={items[0]['id']}" in page
    assert "Version three" in page

    earlier = client.get(f"/links/{history.edited}?snapshot={items[-1]['id']}")
    assert earlier.status_code == 200
    assert "an earlier copy" in earlier.text and "switch statement" in earlier.text
    assert "Version three" not in earlier.text
    missing = client.get(f"/links/{history.edited}?snapshot=999999")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


def test_diff_page_marks_lines_and_escapes_everything(client: TestClient, history: History) -> None:
    items = client.get(f"/api/links/{history.edited}/snapshots").json()["items"]
    response = client.get(f"/links/{history.edited}/diff?from={items[2]['id']}&to={items[1]['id']}")
    assert response.status_code == 200
    assert "script-src" not in response.headers["content-security-policy"]  # no scripts at all
    page = response.text
    assert (
        '<ins class="diff-line diff-add">' in page and '<del class="diff-line diff-remove">' in page
    )
    assert "&lt;script&gt;alert(&#39;diff&#39;)&lt;/script&gt;" in page
    assert "<script>" not in page and "<b>bold</b>" not in page


def test_a_dead_link_keeps_offering_its_copy(client: TestClient, history: History) -> None:
    detail = client.get(f"/api/links/{history.gone}").json()
    assert detail["status"] == "dead" and detail["dead_since"] is not None
    assert "vanishing pages" in detail["text"]
    page = client.get(f"/links/{history.gone}").text
    assert "badge-dead" in page and "The original is gone" in page and "vanishing pages" in page
    checks = client.get(f"/api/links/{history.gone}/checks").json()["items"]
    assert [c["status"] for c in checks] == ["dead", "unreachable", "ok"]
    stats = client.get("/api/stats").json()
    assert [d["id"] for d in stats["dead"]] == [history.gone]
    assert stats["dead"][0]["since"] == detail["dead_since"]


def test_the_dead_copy_is_still_found_with_its_status(history: History) -> None:
    vault = Vault(make_settings(history.data_dir))
    try:
        found = vault.index.search(SearchQuery(text="vanishing pages"))
    finally:
        vault.close()
    assert [(hit.id, hit.status) for hit in found.hits] == [(history.gone, "dead")]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium")
@pytest.mark.parametrize("width", [1280, 375])
def test_history_pages_in_a_browser(browser: Browser, history: History, width: int) -> None:
    page, problems = _page(browser, width=width, height=900)
    with LiveServer(create_app(make_settings(history.data_dir))) as server:
        page.goto(f"{server.url}/links/{history.edited}")
        table = page.locator("section.snapshots table")
        assert table.locator("tbody tr").count() == 3
        _no_overflow(page, width)
        _shot(page, f"history-reader-{width}")

        table.get_by_role("link", name="diff with previous").first.click()
        page.wait_for_url("**/diff?**")
        assert page.locator("ins.diff-add").count() >= 1
        assert page.locator("del.diff-remove").count() >= 1
        assert page.locator("main script, main b").count() == 0
        _no_overflow(page, width)
        _shot(page, f"history-diff-{width}")

        page.get_by_role("link", name="the copy of", exact=False).first.click()
        page.wait_for_url("**snapshot=**")
        assert "earlier copy" in page.locator(".snapshot-notice").inner_text()
        _shot(page, f"history-earlier-{width}")
    assert problems.messages == []
