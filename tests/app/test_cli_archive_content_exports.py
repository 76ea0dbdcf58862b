"""`linkvault archive` on the exports that carry the article (wallabag JSON, Omnivore zip),
run as a user runs it, against a local site: a page already gone (404, 410) keeps the
article the export carried as its imported copy, which search finds and the reader shows
(marked imported, scripts and styles gone); a live page gets a fetched copy after it. The
export's files are written from the tools' exporters (tests/archiver/fixtures/sources/)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import make_settings
from tests.app.test_cli_archive import linkvault
from tests.support.site import LocalSite

FIXTURES = Path(__file__).parents[1] / "archiver" / "fixtures" / "sources"


def _exported(data: Path) -> dict[str, dict[str, Any]]:
    run = linkvault(data, "export", "--format", "json")
    assert run.returncode == 0, run.stderr
    return {link["url"]: link for link in json.loads(run.stdout)["links"]}


def _found(data: Path, query: str) -> list[int]:
    run = linkvault(data, "search", query, "--json")
    assert run.returncode == 0, run.stderr
    return [hit["id"] for hit in json.loads(run.stdout)["results"]]


def _wallabag_export(site: LocalSite, path: Path) -> Path:
    """The fixture with its first entry moved to a page of the local site that is gone."""
    entries = json.loads((FIXTURES / "wallabag_export.json").read_text(encoding="utf-8"))
    entries[0]["url"] = entries[0]["given_url"] = site.url("/gone?utm_source=wallabag")
    entries[4]["url"] = entries[4]["given_url"] = site.url("/missing")
    del entries[1:4]  # the placeholder, the duplicate, the entry without URL: read elsewhere
    path.write_text(json.dumps(entries).replace("/", "\\/"), encoding="utf-8")
    return path


def test_a_dead_page_keeps_the_article_wallabag_kept(local_site: LocalSite, tmp_path: Path) -> None:
    local_site.route("/gone", b"<h1>Gone</h1>", status=410)  # /missing: 404, unrouted
    export = _wallabag_export(local_site, tmp_path / "wallabag-export.json")
    data = tmp_path / "data"

    run = linkvault(data, "archive", str(export))

    assert run.returncode == 0, run.stderr
    links = _exported(data)
    gone = links[local_site.url("/gone?utm_source=wallabag")]
    assert gone["status"] == "dead"
    assert gone["tags"] == ["archiving", "web"]
    assert str(gone["created_at"]).startswith("2024-01-15T09:20:30")
    [copy] = gone["snapshots"]
    assert copy["imported_from"] == "wallabag"
    assert str(copy["fetched_at"]).startswith("2024-01-15T09:20:30")
    assert "zebrafish" in copy["text"]
    assert "scriptleak" not in copy["text"] and "stylered" not in copy["text"]
    assert links[local_site.url("/missing")]["status"] == "dead"

    assert _found(data, "zebrafish") == [gone["id"]]
    assert _found(data, "espresso") == [links[local_site.url("/missing")]["id"]]

    with TestClient(create_app(make_settings(data))) as client:
        page = client.get(f"/links/{gone['id']}")
        detail = client.get(f"/api/links/{gone['id']}").json()
        snapshots = client.get(f"/api/links/{gone['id']}/snapshots").json()
    assert page.status_code == 200
    assert "zebrafish" in page.text
    assert "This copy was imported from wallabag, where it was saved" in page.text
    assert "scriptleak" not in page.text and "stylered" not in page.text
    assert "img.example" not in page.text  # the article's images are not fetched nor linked
    assert (detail["imported"], detail["imported_from"]) == (True, "wallabag")
    assert [(s["imported"], s["current"]) for s in snapshots["items"]] == [(True, True)]

    # A JSON backup keeps the mark through a restore.
    backup = tmp_path / "backup.json"
    backup.write_text(linkvault(data, "export", "--format", "json").stdout, encoding="utf-8")
    restored = tmp_path / "restored"
    assert linkvault(restored, "archive", str(backup)).returncode == 0
    again = _exported(restored)[local_site.url("/gone?utm_source=wallabag")]
    assert again["snapshots"][0]["imported_from"] == "wallabag"
    assert _found(restored, "zebrafish") == [again["id"]]


def _omnivore_zip(site: LocalSite, path: Path) -> Path:
    """The fixture export zipped, its items moved to the local site: one live, one gone."""
    tree = FIXTURES / "omnivore_export"
    items = json.loads((tree / "metadata_0_to_3.json").read_text(encoding="utf-8"))
    items[0]["url"] = site.url("/live")
    items[2] = items[0] | {"slug": "gone-18c2", "url": site.url("/gone"), "title": "Gone"}
    article = (tree / "content" / "dead-article-18c2b1f.html").read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata_0_to_3.json", json.dumps(items, indent=2))
        archive.writestr("content/dead-article-18c2b1f.html", article)
        archive.writestr("content/gone-18c2.html", article.replace(b"quokka", b"numbat"))
        archive.write(tree / "highlights" / "dead-article-18c2b1f.md", "highlights/x.md")
    return path


LIVE_PAGE = (
    b"<html><head><title>Archives matter (live)</title></head><body><article>"
    b"<h1>Archives matter</h1><p>The live page now talks about the wombat archive, "
    b"which kept this article and a great many others besides it.</p></article></body></html>"
)


def test_omnivore_zip_imported_then_fetched(local_site: LocalSite, tmp_path: Path) -> None:
    local_site.route("/live", LIVE_PAGE)
    local_site.route("/gone", b"", status=404)
    export = _omnivore_zip(local_site, tmp_path / "omnivore.zip")
    data = tmp_path / "data"

    run = linkvault(data, "archive", str(export))

    assert run.returncode == 0, run.stderr
    assert "entry 2 without a URL skipped" in run.stderr
    links = _exported(data)
    live, gone = links[local_site.url("/live")], links[local_site.url("/gone")]
    assert live["status"] == "ok"
    assert sorted(live["tags"]) == ["Long read", "Newsletter"]
    imported, fetched = live["snapshots"]  # oldest first
    assert (imported["imported_from"], fetched["imported_from"]) == ("omnivore", None)
    assert live["snapshot"] == fetched["id"]
    assert "quokka" in imported["text"] and "wombat" in fetched["text"]
    assert gone["status"] == "dead"
    assert [s["imported_from"] for s in gone["snapshots"]] == ["omnivore"]

    assert _found(data, "wombat") == [live["id"]]
    assert _found(data, "quokka") == []  # an earlier copy: not what search holds
    assert _found(data, "numbat") == [gone["id"]]

    with TestClient(create_app(make_settings(data))) as client:
        current = client.get(f"/links/{live['id']}")
        earlier = client.get(f"/links/{live['id']}?snapshot={imported['id']}")
        dead = client.get(f"/links/{gone['id']}")
    assert "wombat" in current.text and "This copy was imported" not in current.text
    assert "imported from Omnivore" in current.text  # in the list of snapshots
    assert "quokka" in earlier.text and "This copy was imported from Omnivore" in earlier.text
    assert "numbat" in dead.text and "This copy was imported from Omnivore" in dead.text
    assert "omnivore-image-cache" not in dead.text

    # Archiving the same export again adds nothing and fetches nothing.
    again = linkvault(data, "archive", str(export))
    assert again.returncode == 0, again.stderr
    assert len(_exported(data)[local_site.url("/live")]["snapshots"]) == 2
