"""`linkvault edit` and `linkvault remove`, run as a user runs them against a real local site:
what they print and exit with, edits surviving refresh, the write lock, a removal while
`serve` is running, and the exports carrying edits into an empty archive (Netscape bookmarks
re-imported with `archive`, the JSON backup restored)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.services import Vault, sync_index
from app.services.curation import remove_links
from app.services.runlock import exclusive_run
from app.settings import Settings
from index import SearchIndex
from tests.app._archive import LiveServer, make_settings
from tests.app.test_cli_archive import linkvault
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import LocalSite

TOPICS = ("frames", "bytecode", "arenas", "descriptors")


@pytest.fixture
def archived(local_site: LocalSite, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A data directory with four archived pages in two sections; the first one editable."""
    lines, urls = [], {}
    for number, topic in enumerate(TOPICS):
        if number % 2 == 0:
            lines.append(f"## {'Interpreter' if number == 0 else 'Memory'}")
        path = f"/{topic}"
        if number == 0:
            local_site.route(path, handler=EditablePage("Frames", pages.filler("frames")))
        else:
            local_site.route(path, pages.article(topic.title(), pages.filler(topic)).encode())
        urls[topic] = local_site.url(path)
        lines.append(f"* [{topic.title()} listed]({urls[topic]})")
    listing = tmp_path / "list.md"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = tmp_path / "data"
    result = linkvault(data, "archive", str(listing))
    assert result.returncode == 0, result.stderr
    return data, urls


def _links(data: Path) -> dict[str, dict[str, Any]]:
    """url -> the link's user fields, read from the database itself."""
    with sqlite3.connect(data / "linkvault.db") as conn:
        rows = conn.execute("SELECT id, url, title, section, tags, note FROM links").fetchall()
    return {
        url: {"id": i, "title": t, "section": s, "tags": json.loads(tags), "note": n}
        for i, url, t, s, tags, n in rows
    }


def _search(data: Path, query: str) -> list[str]:
    found = json.loads(linkvault(data, "search", query, "--json").stdout)
    return [hit["url"] for hit in found["results"]]


def test_edit_sets_prints_and_survives_refresh(
    archived: tuple[Path, dict[str, str]], local_site: LocalSite
) -> None:
    data, urls = archived
    link_id = _links(data)[urls["frames"]]["id"]
    edited = linkvault(
        data, "edit", str(link_id),
        "--title", "Kangaroo frames", "--section", "Reading / Later",
        "--tag", "CPython", "--tag", "frames", "--tag", "cpython",
        "--note", "Read with the code open.\nSecond line.",
    )  # fmt: skip
    assert edited.returncode == 0, edited.stderr
    assert f"link     {link_id}  {urls['frames']}" in edited.stdout
    assert "title    Kangaroo frames" in edited.stdout
    assert "tags     CPython, frames" in edited.stdout
    assert "note     Read with the code open.\n         Second line." in edited.stdout
    assert "Changed: title, section, note, tags." in edited.stderr
    assert _search(data, "kangaroo") == [urls["frames"]]

    by_url = linkvault(data, "edit", urls["frames"], "--untag", "FRAMES", "--section", "")
    assert by_url.returncode == 0, by_url.stderr
    assert _links(data)[urls["frames"]] == {
        "id": link_id,
        "title": "Kangaroo frames",
        "section": None,
        "tags": ["CPython"],
        "note": "Read with the code open.\nSecond line.",
    }

    # The page changes, title and all: the copy follows, what the owner set stays.
    local_site.route(
        "/frames", pages.article("Frames, rewritten", pages.filler("rewritten frames")).encode()
    )
    refreshed = linkvault(data, "refresh", "--all")
    assert refreshed.returncode == 0, refreshed.stderr
    assert _links(data)[urls["frames"]]["title"] == "Kangaroo frames"
    assert _links(data)[urls["frames"]]["tags"] == ["CPython"]
    shown = linkvault(data, "edit", str(link_id))
    assert "title    Kangaroo frames" in shown.stdout and "Nothing changed." in shown.stderr
    assert _search(data, "kangaroo") == [urls["frames"]]
    cleared = linkvault(data, "edit", str(link_id), "--title", "")
    assert "title    (the page's) Frames, rewritten" in cleared.stdout


INVALID_EDITS = [
    (["--tag", ""], "a tag cannot be empty"),
    (["--tag", "a,b"], "contains a comma"),
    (["--tag", "x" * 65], "65 characters long"),
    (["--untag", "bad\x01"], "control character"),
    (["--title", "t" * 1001], "at most 1000"),
]


def test_edit_refuses_invalid_values(archived: tuple[Path, dict[str, str]]) -> None:
    """Each refusal on the same archive (one archive run for all: the suite's time)."""
    data, urls = archived
    before = _links(data)
    for args, message in INVALID_EDITS:
        result = linkvault(data, "edit", urls["bytecode"], "--title", "Changed?", *args)
        assert result.returncode == 2, args
        assert message in result.stderr and "nothing was changed" in result.stderr, args
        assert _links(data) == before, args


def test_remove_prints_what_it_removes_and_refuses_unknown_links(
    archived: tuple[Path, dict[str, str]],
) -> None:
    data, urls = archived
    ids = {topic: _links(data)[url]["id"] for topic, url in urls.items()}
    unknown = linkvault(data, "remove", str(ids["arenas"]), "https://nowhere.example/", "4242")
    assert unknown.returncode == 2
    assert "not in the archive: https://nowhere.example/, 4242" in unknown.stderr
    assert "nothing was removed" in unknown.stderr
    dry = linkvault(data, "remove", "--dry-run", str(ids["arenas"]), urls["descriptors"])
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        f"would remove {ids['arenas']}  {urls['arenas']}  Arenas listed",
        f"would remove {ids['descriptors']}  {urls['descriptors']}  Descriptors listed",
    ]
    assert len(_links(data)) == 4

    removed = linkvault(data, "remove", str(ids["arenas"]), urls["descriptors"], urls["arenas"])
    assert removed.returncode == 0, removed.stderr
    assert removed.stdout.splitlines() == [
        f"removed {ids['arenas']}  {urls['arenas']}  Arenas listed",
        f"removed {ids['descriptors']}  {urls['descriptors']}  Descriptors listed",
    ]
    assert "Removed 2 links." in removed.stderr
    assert set(_links(data)) == {urls["frames"], urls["bytecode"]}
    assert _search(data, "arenas") == [] and _search(data, "descriptors") == []
    status = json.loads(linkvault(data, "status", "--json").stdout)
    assert status["counts"]["ok"] == 2 and status["documents_indexed"] == 2
    markdown = linkvault(data, "export", "--format", "markdown").stdout
    assert "arenas" not in markdown and "bytecode" in markdown
    check = linkvault(data, "check", "--json")
    assert check.returncode == 0, check.stdout


def test_writing_commands_wait_for_the_write_lock(archived: tuple[Path, dict[str, str]]) -> None:
    data, urls = archived
    with exclusive_run(data, "linkvault archive (test)"):
        for args in (["remove", urls["arenas"]], ["edit", urls["arenas"], "--title", "x"]):
            busy = linkvault(data, *args, "--no-wait")
            assert busy.returncode == 3, busy.stderr
            assert "linkvault archive (test)" in busy.stderr
    assert len(_links(data)) == 4 and _links(data)[urls["arenas"]]["title"] == "Arenas listed"


def test_remove_while_serve_is_running(archived: tuple[Path, dict[str, str]]) -> None:
    data, urls = archived
    app = create_app(make_settings(data))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/api/search", params={"q": "bytecode"}).json()["total"] == 1
        removed = linkvault(data, "remove", urls["bytecode"])
        assert removed.returncode == 0, removed.stderr
        # The service's searchers see the index's new state, and its database the removal.
        assert client.get("/api/search", params={"q": "bytecode"}).json()["total"] == 0
        assert client.get("/api/stats").json()["links"] == 3
        assert client.get("/healthz").status_code == 200
    assert linkvault(data, "check", "--json").returncode == 0


def test_a_locked_index_is_a_clear_error_and_catches_up(
    archived: tuple[Path, dict[str, str]],
) -> None:
    data, urls = archived
    vault = Vault(Settings(data_dir=data))
    holder = SearchIndex(data / "index")
    try:
        link_id = _links(data)[urls["arenas"]]["id"]
        # Another writer holds the index past this one's (short) wait.
        vault.__dict__["index"] = SearchIndex(data / "index", lock_timeout=0.3)
        with holder._store.lock(5):  # noqa: SLF001 - holding the folder's write lock, as a writer does
            removal = remove_links(vault, [link_id])
        assert [link.id for link in removal.links] == [link_id]
        assert removal.index_error is not None and "locked" in removal.index_error
        assert urls["arenas"] not in _links(data)  # removed all the same
        assert vault.index.indexed_ids() >= {link_id}  # its document is left behind...
        assert sync_index(vault.store, vault.index) == 0  # ...until the next sync
        assert link_id not in vault.index.indexed_ids()
    finally:
        holder.close()
        vault.close()
    assert linkvault(data, "check", "--json").returncode == 0


def test_exports_carry_edits_into_an_empty_archive(
    archived: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, urls = archived
    edits = {
        "frames": ["--title", "My frames", "--tag", "cpython", "--note", "one\ntwo"],
        "bytecode": ["--section", "Interpreter / Deep", "--tag", "R&D", "--tag", 'say "hi"'],
        "arenas": ["--section", "Favorites"],
    }
    for topic, args in edits.items():
        assert linkvault(data, "edit", urls[topic], *args).returncode == 0
    assert linkvault(data, "remove", urls["descriptors"]).returncode == 0
    before = {url: {k: v for k, v in f.items() if k != "id"} for url, f in _links(data).items()}

    bookmarks = tmp_path / "bookmarks.html"
    exported = linkvault(data, "export", "--format", "netscape", "-o", str(bookmarks))
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 3 bookmarks" in exported.stderr
    imported = tmp_path / "imported"
    again = linkvault(imported, "archive", str(bookmarks))
    assert again.returncode == 0, again.stderr
    after = {url: {k: v for k, v in f.items() if k != "id"} for url, f in _links(imported).items()}
    assert after == before
    assert _search(imported, "bytecode") == [urls["bytecode"]]

    backup = tmp_path / "backup.json"
    assert linkvault(data, "export", "--format", "json", "-o", str(backup)).returncode == 0
    restored = tmp_path / "restored"
    result = linkvault(restored, "archive", str(backup))
    assert result.returncode == 0, result.stderr
    assert _links(restored) == _links(data)
    assert _search(restored, "frames") == [urls["frames"]]
