"""`linkvault archive FILE` on other tools' exports, run as a user runs it: the links land in
the database with their titles, folders as sections, tags and saved dates, and what was
skipped is printed. The pages are served by a local site (unrouted paths answer 404)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.app.test_cli_archive import linkvault
from tests.support.site import LocalSite


def _exported(data: Path) -> dict[str, dict[str, object]]:
    run = linkvault(data, "export", "--format", "json")
    assert run.returncode == 0, run.stderr
    return {link["url"]: link for link in json.loads(run.stdout)["links"]}


def test_archive_a_chrome_bookmarks_file(local_site: LocalSite, tmp_path: Path) -> None:
    page = local_site.url("/page")
    tree = {
        "checksum": "00",
        "roots": {
            "bookmark_bar": {
                "type": "folder",
                "name": "Bookmarks bar",
                "children": [
                    {
                        "type": "folder",
                        "name": "Work",
                        "children": [
                            {
                                "type": "folder",
                                "name": "Docs",
                                "children": [
                                    {
                                        "type": "url",
                                        "name": "The page",
                                        "url": page,
                                        "date_added": "13371022400000000",
                                    },
                                ],
                            },
                            {"type": "url", "name": "Bm", "url": "javascript:void(0)"},
                        ],
                    }
                ],
            },
            "other": {"type": "folder", "name": "Other bookmarks", "children": []},
        },
        "version": 1,
    }
    bookmarks = tmp_path / "Bookmarks"
    bookmarks.write_text(json.dumps(tree), encoding="utf-8")
    data = tmp_path / "data"

    run = linkvault(data, "archive", str(bookmarks))
    assert run.returncode == 0, run.stderr
    assert "bookmarklets (javascript:) skipped: 1" in run.stderr

    link = _exported(data)[page]
    assert (link["title"], link["section"]) == ("The page", "Work / Docs")
    assert str(link["created_at"]).startswith("2024-09-17T04:53:20")


def test_archive_a_firefox_backup(local_site: LocalSite, tmp_path: Path) -> None:
    page = local_site.url("/ff")
    backup = {
        "guid": "root________",
        "typeCode": 2,
        "type": "text/x-moz-place-container",
        "root": "placesRoot",
        "children": [
            {
                "guid": "toolbar_____",
                "title": "toolbar",
                "typeCode": 2,
                "root": "toolbarFolder",
                "type": "text/x-moz-place-container",
                "children": [
                    {
                        "title": "Firefox page",
                        "typeCode": 1,
                        "type": "text/x-moz-place",
                        "uri": page,
                        "tags": "a,b",
                        "dateAdded": 1717200200000000,
                    },
                    {"typeCode": 3, "type": "text/x-moz-place-separator"},
                ],
            },
        ],
    }
    path = tmp_path / "bookmarks-2024-06-01.json"
    path.write_text(json.dumps(backup), encoding="utf-8")
    data = tmp_path / "data"

    run = linkvault(data, "archive", str(path))
    assert run.returncode == 0, run.stderr
    assert "separators skipped: 1" in run.stderr

    link = _exported(data)[page]
    assert (link["title"], link["section"], link["tags"]) == ("Firefox page", None, ["a", "b"])
    assert str(link["created_at"]).startswith("2024-06-01T00:03:20")


def test_archive_pocket_and_instapaper_exports(local_site: LocalSite, tmp_path: Path) -> None:
    pocket_page, insta_page = local_site.url("/pocket"), local_site.url("/insta")
    pocket = tmp_path / "part_000000.csv"
    pocket.write_text(
        "title,url,time_added,tags,status\n"
        f'"A ""quoted"", title",{pocket_page}?utm_source=pocket,1700000000,x|y,unread\n'
        "No URL,,1700000000,,unread\n",
        encoding="utf-8",
    )
    instapaper = tmp_path / "instapaper-export.csv"
    instapaper.write_text(
        "URL,Title,Selection,Folder,Timestamp,Tags\n"
        f'{insta_page},Insta,"picked\ntext",Reading,1690000000,"[""t""]"\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"

    run = linkvault(data, "archive", str(pocket), str(instapaper))
    assert run.returncode == 0, run.stderr
    assert f"skipped {pocket}:3: row without a URL skipped" in run.stderr

    links = _exported(data)
    assert set(links) == {f"{pocket_page}?utm_source=pocket", insta_page}
    first = links[f"{pocket_page}?utm_source=pocket"]
    assert (first["title"], first["tags"]) == ('A "quoted", title', ["x", "y"])
    assert str(first["created_at"]).startswith("2023-11-14T22:13:20")
    second = links[insta_page]
    assert (second["section"], second["tags"], second["note"]) == ("Reading", ["t"], "picked\ntext")


def test_wrong_shape_and_unknown_format_are_clear_errors(tmp_path: Path) -> None:
    bookmarks = tmp_path / "Bookmarks"
    bookmarks.write_text('{"roots": 5}', encoding="utf-8")
    data = tmp_path / "data"

    run = linkvault(data, "archive", str(bookmarks))
    assert run.returncode == 2
    assert 'not a Chrome bookmarks file (no "roots" object)' in run.stderr
    assert "Traceback" not in run.stderr

    run = linkvault(data, "archive", "--format", "delicious", str(bookmarks))
    assert run.returncode == 2
    assert "unknown --format 'delicious'" in run.stderr


def test_format_forces_the_reader(local_site: LocalSite, tmp_path: Path) -> None:
    page = local_site.url("/forced")
    listing = tmp_path / "saved.txt"
    listing.write_text(f"Title,URL,x\nForced,{page},1\n", encoding="utf-8")
    data = tmp_path / "data"
    # Not recognised by content (Instapaper's header is different) but read as one.
    run = linkvault(data, "archive", "--format", "instapaper", str(listing))
    assert run.returncode == 0, run.stderr
    assert _exported(data)[page]["title"] == "Forced"
