"""`linkvault refresh` on a machine whose network is down (issue 13), run as a user runs it:
every name fails to resolve (hosts under .invalid, which never resolve), the configured proxy
is unreachable (a closed port), or no server answers. Nothing is marked dead, the command
says so and exits 4; and a first 404 on an archived link shows as "unreachable since" in
`status`, the markdown export and the API, until a second check confirms it."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.app.test_cli_refresh import lv
from tests.support import pages
from tests.support.site import LocalSite

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4")
NETWORK_DOWN = 4


def archived(tmp_path: Path, sites: list[LocalSite]) -> Path:
    """A data directory with two archived pages on each site's host."""
    listing = tmp_path / "list.md"
    lines = []
    for number, site in enumerate(sites):
        for page in ("a", "b"):
            body = pages.article(f"Page {number}{page}", pages.filler(f"topic {number} {page}"))
            site.route(f"/{page}", body=body.encode())
            lines.append(f"* [{number}{page}]({site.url('/' + page)})")
    listing.write_text("\n".join(lines) + "\n", "utf-8")
    data = tmp_path / "data"
    result = lv(data, "archive", str(listing))
    assert result.returncode == 0, result.stderr
    return data


def sql(data: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(data / "linkvault.db") as conn:
        return conn.execute(query).fetchall()


def assert_nothing_changed(data: Path) -> None:
    rows = sql(data, "select status, failure_count, unreachable_since, dead_since from links")
    assert rows and all(row == ("ok", 0, None, None) for row in rows)
    history = {row[0] for row in sql(data, "select status from checks")}
    assert history <= {"ok", "inconclusive"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def started(tmp: list[LocalSite]) -> list[LocalSite]:
    for host in HOSTS:
        tmp.append(LocalSite(host).start())
    return tmp


def test_no_name_resolves(tmp_path: Path) -> None:
    sites = started([])
    try:
        data = archived(tmp_path, sites)
    finally:
        for site in sites:
            site.stop()
    # The same archive, its hosts' names gone: the resolver answers "not known" for each.
    with sqlite3.connect(data / "linkvault.db") as conn:
        for number, host in enumerate(HOSTS):
            new = f"site{number}.invalid"
            conn.execute(
                "update links set url = replace(url, ?, ?), "
                "normalized_url = replace(normalized_url, ?, ?), host = ? where host = ?",
                (host, new, host, new, new, host),
            )
    result = lv(data, "refresh", "--all")
    assert result.returncode == NETWORK_DOWN, result.stderr
    assert "the network looks down: 4 of 4 hosts failed name resolution" in result.stderr
    assert "nothing was marked dead; try again later" in result.stderr
    assert "newly dead" not in result.stderr
    assert_nothing_changed(data)
    assert sql(data, "select count(*) from checks where status = 'inconclusive'")[0][0] >= 4


def test_no_server_answers(tmp_path: Path) -> None:
    sites = started([])
    try:
        data = archived(tmp_path, sites)
    finally:
        for site in sites:
            site.stop()  # connection refused everywhere
    result = lv(data, "refresh", "--all")
    assert result.returncode == NETWORK_DOWN, result.stderr
    assert "4 of 4 hosts failed connection refused" in result.stderr
    assert_nothing_changed(data)


def test_the_proxy_is_unreachable(tmp_path: Path) -> None:
    sites = started([])
    try:
        data = archived(tmp_path, sites)
        proxy = f"http://127.0.0.1:{closed_port()}"
        result = lv(
            data, "refresh", "--all", HTTP_PROXY=proxy, http_proxy=proxy, NO_PROXY="", no_proxy=""
        )
        assert result.returncode == NETWORK_DOWN, result.stderr
        assert "hosts failed proxy unreachable" in result.stderr
        assert_nothing_changed(data)
        # Today an unreachable proxy turned every ok link into failed; the next run is fine.
        again = lv(data, "refresh", "--all")
        assert again.returncode == 0, again.stderr
    finally:
        for site in sites:
            site.stop()


def test_a_first_404_shows_as_unreachable(local_site: LocalSite, tmp_path: Path) -> None:
    data = archived(tmp_path, [local_site])
    gone = local_site.url("/a")
    local_site.route("/a", b"gone", status=404)
    result = lv(data, "refresh", gone, LINKVAULT_FAILURE_SPACING="1d")
    assert result.returncode == 0, result.stderr
    assert "1 unreachable (not confirmed yet)" in result.stderr

    report = json.loads(lv(data, "status", "--json").stdout)
    assert report["counts"]["dead"] == 0 and report["counts"]["ok"] == 2
    assert [(u["url"], u["reason"]) for u in report["unreachable"]] == [
        (gone, "HTTP 404 Not Found")
    ]
    assert "Unreachable, not dead" in lv(data, "status").stdout

    markdown = lv(data, "export", "--format", "markdown").stdout
    line = next(line for line in markdown.splitlines() if f"({gone})" in line)
    assert "unreachable since" in line and "**dead**" not in line

    with TestClient(create_app(Settings(data_dir=data))) as client:
        [link_id] = [row[0] for row in sql(data, f"select id from links where url = '{gone}'")]
        detail = client.get(f"/api/links/{link_id}").json()
        assert detail["status"] == "ok" and detail["unreachable_reason"] == "HTTP 404 Not Found"
        assert detail["unreachable_since"]
        stats = client.get("/api/stats").json()
        assert [u["url"] for u in stats["unreachable"]] == [gone] and stats["dead"] == []
        assert "not confirmed yet" in client.get(f"/links/{link_id}").text
        assert "did not answer once" in client.get("/").text
