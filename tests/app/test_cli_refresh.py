"""`linkvault refresh` and `linkvault export`, run as a user runs them, against a local site
that changes between runs."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from app.cli import output
from app.services import Vault
from app.settings import Settings
from archiver.sources import parse_markdown
from index import SearchQuery
from tests.app.test_cli_archive import _env, serve_list
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import LocalSite

ROT = {
    "LINKVAULT_DEAD_AFTER_FAILURES": "2",
    "LINKVAULT_FAILURE_SPACING": "0",
    "LINKVAULT_MAX_RETRIES": "0",
}


def lv(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=_env(data_dir) | ROT | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def search(data_dir: Path, query: str) -> dict[str, Any]:
    """What `linkvault search QUERY --json` prints, computed in this process: the searches
    here check the data, and a subprocess for each would only add start-up time."""
    vault = Vault(Settings(data_dir=data_dir))
    try:
        return output.search_json(vault.index.search(SearchQuery(text=query, per_page=50)))
    finally:
        vault.close()


def sql(data_dir: Path, query: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data_dir / "linkvault.db") as conn:
        return conn.execute(query, params).fetchall()


def test_refresh_records_edits_rot_and_return(local_site: LocalSite, tmp_path: Path) -> None:
    edited = EditablePage(
        "Frame notes", "The first draft mentions zeppelinframes.", pages.filler("frames")
    )
    removed = EditablePage("Removed notes", "Only here: quokkabytes.", pages.filler("removals"))
    flaky = EditablePage("Flaky notes", pages.filler("flaky hosts"))
    stable = EditablePage("Stable notes", pages.filler("stable hosts"))
    pages_ = {"edited": edited, "removed": removed, "flaky": flaky, "stable": stable}
    for name, page in pages_.items():
        local_site.route(f"/{name}", handler=page)
    listing = tmp_path / "list.md"
    listing.write_text(
        "## Notes\n" + "".join(f"* [{n}]({local_site.url('/' + n)})\n" for n in pages_), "utf-8"
    )
    data = tmp_path / "data"
    assert lv(data, "archive", str(listing)).returncode == 0

    # Everything was checked moments ago: nothing is due.
    hits = local_site.hits()
    quiet = lv(data, "refresh")
    assert quiet.returncode == 0, quiet.stderr
    assert "0 links to re-check" in quiet.stderr and local_site.hits() == hits

    edited.edit("The second draft mentions hovercraftframes.", pages.filler("frames"))
    removed.fail(404)
    flaky.fail(503)
    first = lv(data, "refresh", "--all")
    assert first.returncode == 0, first.stderr
    assert "4 links to re-check" in first.stderr
    assert "1 changed (new snapshot)" in first.stderr and "1 unchanged" in first.stderr
    assert "refreshing" in first.stderr
    # Issue 13: an archived page's 404 is believed once a second check sees it too (this
    # data directory has no failure spacing), so the removed page dies on the next refresh.
    assert "1 unreachable (not confirmed yet)" in first.stderr
    confirm = lv(data, "refresh", local_site.url("/removed"))
    assert confirm.returncode == 0, confirm.stderr
    assert "1 newly dead" in confirm.stderr
    assert local_site.requests("/stable")[-1].headers["if-none-match"] == stable.current_etag
    assert stable.not_modified == 1

    # The edit is what search finds now; the removed page's copy is still found, marked dead.
    assert search(data, "zeppelinframes")["total"] == 0
    assert [r["url"] for r in search(data, "hovercraftframes")["results"]] == [
        local_site.url("/edited")
    ]
    gone = search(data, "quokkabytes")["results"]
    assert [(r["url"], r["status"]) for r in gone] == [(local_site.url("/removed"), "dead")]
    status = json.loads(lv(data, "status", "--json").stdout)
    assert status["counts"]["dead"] == 1 and status["counts"]["failed"] == 1
    assert status["dead"][0]["url"] == local_site.url("/removed") and status["dead"][0]["since"]
    assert status["last_run"]["kind"] == "refresh"
    text = lv(data, "status").stdout
    assert "Dead links:" in text and local_site.url("/removed") in text

    # The flapping host fails a second time: that is the threshold here.
    second = lv(data, "refresh", "--failed")
    assert "1 links to re-check" in second.stderr and "1 newly dead" in second.stderr
    assert search(data, "flaky hosts")["results"][0]["status"] == "dead"

    # The removed page comes back: ok again, and its history says so.
    removed.restore()
    back = lv(data, "refresh", local_site.url("/removed"))
    assert back.returncode == 0, back.stderr and "1 back again" in back.stderr
    assert search(data, "quokkabytes")["results"][0]["status"] == "ok"
    history = sql(
        data,
        "select c.status from checks c join links l on l.id = c.link_id "
        "where l.url = ? order by c.id",
        local_site.url("/removed"),
    )
    assert [row[0] for row in history] == ["ok", "unreachable", "dead", "ok"]
    snapshots = dict(
        sql(
            data,
            "select l.url, count(s.id) from links l join snapshots s on s.link_id = l.id "
            "group by l.url",
        )
    )
    assert snapshots[local_site.url("/edited")] == 2
    assert snapshots[local_site.url("/stable")] == 1
    assert snapshots[local_site.url("/removed")] == 1


def test_refresh_refuses_what_it_cannot_use(local_site: LocalSite, tmp_path: Path) -> None:
    data = tmp_path / "data"
    bad_age = lv(data, "refresh", "--older-than", "soon")
    assert bad_age.returncode == 2 and "7d, 12h, 30m" in bad_age.stderr
    unknown = lv(data, "refresh", "https://example.org/never-archived")
    assert unknown.returncode == 2 and "not in the archive" in unknown.stderr
    assert "Traceback" not in bad_age.stderr + unknown.stderr
    assert local_site.hits() == 0


def test_json_export_restores_the_same_search_results(
    local_site: LocalSite, tmp_path: Path
) -> None:
    listing, urls = serve_list(local_site, tmp_path)
    data = tmp_path / "data"
    assert lv(data, "archive", str(listing)).returncode == 0
    local_site.route(
        "/bytecode", pages.article("Bytecode", pages.filler("rewritten bytecode")).encode()
    )
    local_site.route("/descriptors", b"gone", status=410)
    assert lv(data, "refresh", "--all").returncode == 0

    export = tmp_path / "export.json"
    result = lv(data, "export", "--format", "json", "-o", str(export))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {len(urls)} links" in result.stderr

    hits = local_site.hits()
    fresh = tmp_path / "fresh"
    restored = lv(fresh, "archive", str(export))
    assert restored.returncode == 0, restored.stderr
    assert f"{len(urls)} links" in restored.stderr and "nothing fetched" in restored.stderr
    assert local_site.hits() == hits  # restored without a single request

    # An index updated in place still counts replaced copies in its term statistics until
    # segments merge, which can swap hits whose scores tie to the last digits; rebuilding
    # the original first compares like with like.
    assert lv(data, "reindex").returncode == 0
    for query in ("bytecode", "rewritten", "descriptors", '"small object allocator"', "objects"):
        before, after = search(data, query), search(fresh, query)
        assert before["total"] >= 1
        for page in (before, after):
            page.pop("elapsed_ms", None)
            for hit in page["results"]:
                hit.pop("score")
        assert after == before
    counts = "select status, count(*) from links group by status order by status"
    assert sql(fresh, counts) == sql(data, counts)
    history = "select count(*), sum(length(text)) from snapshots"
    assert sql(fresh, history) == sql(data, history)
    assert sql(fresh, "select count(*) from checks") == sql(data, "select count(*) from checks")


def test_markdown_and_warc_exports(local_site: LocalSite, tmp_path: Path) -> None:
    listing, urls = serve_list(local_site, tmp_path)
    data = tmp_path / "data"
    assert lv(data, "archive", str(listing)).returncode == 0
    dead_url = local_site.url("/metaclasses")
    local_site.route("/metaclasses", b"gone", status=404)
    assert lv(data, "refresh", dead_url).returncode == 0
    # Issue 13: dead once a second check confirms the 404 (no failure spacing here).
    assert lv(data, "refresh", dead_url).returncode == 0

    result = lv(data, "export", "--format", "markdown", "--base-url", "https://vault.example.org")
    assert result.returncode == 0, result.stderr
    exported = parse_markdown(result.stdout, "export.md")
    listed = [s for s in exported.links if not s.url.startswith("https://vault.example.org/")]
    original = parse_markdown(listing.read_text("utf-8"), str(listing)).links
    assert [(s.url, s.title, s.section) for s in listed] == [
        (s.url, s.title, s.section) for s in original
    ]
    dead_line = next(line for line in result.stdout.splitlines() if f"({dead_url})" in line)
    assert "**dead** since" in dead_line and "HTTP 404" in dead_line
    assert "](https://vault.example.org/links/" in dead_line  # its archived copy, still there

    needs_file = lv(data, "export", "--format", "warc")
    assert needs_file.returncode == 2 and "-o" in needs_file.stderr
    warc = tmp_path / "out" / "archive.warc.gz"
    warc.parent.mkdir()
    written = lv(data, "export", "--format", "warc", "-o", str(warc))
    assert written.returncode == 0, written.stderr
    with warc.open("rb") as stream:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(stream, check_digests="raise")
        ]
    assert records[0][0] == "warcinfo"
    responses = {uri: body for kind, uri, body in records if kind == "response"}
    assert set(responses) == set(urls)
    assert b"<html>" in responses[dead_url].lower() or b"<!doctype" in responses[dead_url].lower()
    assert oct(os.stat(warc).st_mode & 0o777) == "0o644"
    assert [p.name for p in warc.parent.iterdir()] == ["archive.warc.gz"]  # no temp left


def test_refresh_repeat_runs_on_a_schedule(local_site: LocalSite, tmp_path: Path) -> None:
    """What the `refresh` service of docker-compose.yml runs."""
    page = EditablePage("Scheduled", pages.filler("scheduled checks"))
    local_site.route("/scheduled", handler=page)
    data = tmp_path / "data"
    assert lv(data, "archive", local_site.url("/scheduled")).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "refresh", "--all", "--repeat"],
        env=_env(data) | ROT | {"LINKVAULT_REFRESH_INTERVAL": "1s"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while page.not_modified < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert page.not_modified >= 2  # two scheduled rounds, each a conditional request
    finally:
        proc.terminate()  # what `docker compose stop` sends
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130  # stopped the Ctrl-C way, not killed outright
    assert "Next refresh in 1s." in stderr
    runs = sql(data, "select kind from runs order by id")
    assert [kind for (kind,) in runs][:3] == ["archive", "refresh", "refresh"]
