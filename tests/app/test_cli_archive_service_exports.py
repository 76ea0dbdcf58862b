"""`linkvault archive FILE` on bookmark services' exports, run as a user runs it: Raindrop.io
CSV, Pinboard JSON, Karakeep JSON, Linkwarden JSON and linkding's Netscape file (each written
as its exporter writes it: tests/archiver/test_read_service_exports.py says where from). The
links land with their titles, sections, tags, notes, saved dates and shelved state; what was
skipped is printed. Then the shelved state is changed with `linkvault edit --shelve` /
`--unshelve` and PATCH /api/links/{id}, and shown by GET /api/links/{id} and the reader.
The pages are served by a local site (unrouted paths answer 404)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app._archive import TOKEN, make_settings
from tests.app.test_cli_archive import linkvault
from tests.support import pages
from tests.support.site import LocalSite

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _exported(data: Path) -> dict[str, dict[str, object]]:
    run = linkvault(data, "export", "--format", "json")
    assert run.returncode == 0, run.stderr
    return {link["url"]: link for link in json.loads(run.stdout)["links"]}


def _write_exports(site: LocalSite, folder: Path) -> dict[str, str]:
    """One export per tool, each naming its own page(s) on the local site."""
    urls = {name: site.url(f"/{name}") for name in ("rd", "pb", "kk", "lw", "ld")}
    site.route("/rd", pages.article("Raindrop page", pages.filler("raindrop")).encode())
    (folder / "raindrop.csv").write_text(
        "id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite\r\n"
        f'1,"Rain, ""drop""","line one\nline two",,{urls["rd"]}?utm_source=rd,Dev/Tools,'
        '"a, b",2024-04-13T14:17:33.000Z,,,false\r\n'
        "2,No URL,,,,Dev,,2024-04-13T14:17:33.000Z,,,false\r\n",
        encoding="utf-8",
    )
    pinboard = [
        {"href": urls["pb"], "description": "Pin", "extended": "", "meta": "m", "hash": "h",
         "time": "2019-05-21T16:09:48Z", "shared": "no", "toread": "no", "tags": "x y"},
    ]  # fmt: skip
    # PHP's json_encode escapes slashes; json.dumps does not, so they are escaped here.
    (folder / "pinboard.json").write_text(json.dumps(pinboard).replace("/", "\\/"), "utf-8")
    karakeep = {
        "bookmarks": [
            {"createdAt": 1717243200, "title": "Keep", "tags": ["k"], "lists": ["l1"],
             "content": {"type": "link", "url": urls["kk"]}, "note": "kept", "archived": True},
            {"createdAt": 1717243200, "title": "Text", "tags": [], "lists": [],
             "content": {"type": "text", "text": "just words"}, "note": None, "archived": False},
        ],
        "lists": [{"id": "l1", "name": "Later", "description": None, "icon": "x",
                   "type": "manual", "query": None, "parentId": None}],
    }  # fmt: skip
    (folder / "karakeep.json").write_text(json.dumps(karakeep), "utf-8")
    linkwarden = {
        "name": "Ada",
        "username": "ada",
        "collections": [
            {"id": 7, "name": "Child", "parentId": 6, "links": [
                {"name": "Warden", "url": urls["lw"], "description": "desc", "type": "url",
                 "tags": [{"id": 1, "name": "t"}], "importDate": None,
                 "createdAt": "2025-02-15T12:00:00.000Z"}]},
            {"id": 6, "name": "Parent", "parentId": None, "links": []},
        ],
        "pinnedLinks": [],
    }  # fmt: skip
    (folder / "linkwarden.json").write_text(json.dumps(linkwarden), "utf-8")
    linkding = [
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>",
        '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
        "<TITLE>Bookmarks</TITLE>",
        "<H1>Bookmarks</H1>",
        "<DL><p>",
        f'<DT><A HREF="{urls["ld"]}" ADD_DATE="1700000000" LAST_MODIFIED="1700000000" '
        'PRIVATE="1" TOREAD="0" TAGS="ld,linkding:bookmarks.archived">Linkding</A>',
        "<DD>About it[linkding-notes]mine[/linkding-notes]",
        "</DL><p>",
    ]
    (folder / "bookmarks.html").write_text("\n\r".join(linkding), "utf-8")
    return urls


def test_archive_bookmark_services_exports(local_site: LocalSite, tmp_path: Path) -> None:
    urls = _write_exports(local_site, tmp_path)
    data = tmp_path / "data"
    files = ["raindrop.csv", "pinboard.json", "karakeep.json", "linkwarden.json", "bookmarks.html"]

    run = linkvault(data, "archive", *(str(tmp_path / name) for name in files))
    assert run.returncode == 0, run.stderr
    # Row 1's note spans two lines: the row without a URL starts on line 4.
    assert f"skipped {tmp_path / 'raindrop.csv'}:4: row without a URL skipped" in run.stderr
    assert "entry 2 skipped: a text note, no URL" in run.stderr

    links = _exported(data)
    assert set(links) == {f"{urls['rd']}?utm_source=rd", *(urls[k] for k in urls if k != "rd")}
    rd = links[f"{urls['rd']}?utm_source=rd"]
    assert (rd["title"], rd["section"], rd["tags"], rd["note"]) == (
        'Rain, "drop"',
        "Dev / Tools",
        ["a", "b"],
        "line one\nline two",
    )
    assert str(rd["created_at"]).startswith("2024-04-13T14:17:33")
    assert rd["status"] == "ok"  # the one page served: fetched and archived
    pb, kk, lw, ld = (links[urls[key]] for key in ("pb", "kk", "lw", "ld"))
    assert (pb["title"], pb["tags"], pb["shelved"]) == ("Pin", ["x", "y"], False)
    assert str(pb["created_at"]).startswith("2019-05-21T16:09:48")
    assert (kk["section"], kk["tags"], kk["note"], kk["shelved"]) == ("Later", ["k"], "kept", True)
    assert (lw["section"], lw["tags"], lw["note"]) == ("Parent / Child", ["t"], "desc")
    assert str(lw["created_at"]).startswith("2025-02-15T12:00:00")
    assert (ld["tags"], ld["note"], ld["shelved"]) == (["ld"], "About it\n\nmine", True)


def test_shelve_from_the_command_line_the_api_and_see_it_in_the_reader(
    local_site: LocalSite, tmp_path: Path
) -> None:
    page = local_site.url("/shelf")
    local_site.route("/shelf", pages.article("Shelf page", pages.filler("shelf")).encode())
    pocket = tmp_path / "part_000000.csv"
    pocket.write_text(f"title,url,time_added,tags,status\nShelf,{page},1700000000,,archive\n")
    data = tmp_path / "data"
    assert linkvault(data, "archive", str(pocket)).returncode == 0
    assert _exported(data)[page]["shelved"] is True

    run = linkvault(data, "edit", page, "--unshelve")
    assert run.returncode == 0, run.stderr
    assert "shelved  no" in run.stdout
    assert "Changed: shelved." in run.stderr
    assert _exported(data)[page]["shelved"] is False
    run = linkvault(data, "edit", page, "--shelve")
    assert run.returncode == 0, run.stderr
    assert "shelved  yes" in run.stdout

    with TestClient(create_app(make_settings(data, api_token=TOKEN))) as client:
        (item,) = client.get("/api/links").json()["items"]
        assert item["shelved"] is True
        link_id = item["id"]
        assert 'class="badge badge-shelved' in client.get(f"/links/{link_id}").text

        answer = client.patch(f"/api/links/{link_id}", json={"shelved": False}, headers=AUTH)
        assert answer.status_code == 200, answer.text
        assert answer.json()["shelved"] is False
        assert client.get(f"/api/links/{link_id}").json()["shelved"] is False
        assert "badge-shelved" not in client.get(f"/links/{link_id}").text

        for bad in ("yes", None, 1):
            refused = client.patch(f"/api/links/{link_id}", json={"shelved": bad}, headers=AUTH)
            assert refused.status_code == 422, refused.text
            assert "shelved" in json.dumps(refused.json()["detail"])
        unsigned = client.patch(f"/api/links/{link_id}", json={"shelved": True})
        assert unsigned.status_code == 401
        assert client.get(f"/api/links/{link_id}").json()["shelved"] is False
