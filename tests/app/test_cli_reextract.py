"""`linkvault reextract`, run as a user runs it, on archives made from a real local site:
stored snapshots extracted again from their stored bodies, with no page fetched."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest

from app.services.runlock import exclusive_run
from archiver.extract import EXTRACTOR_VERSION, extract
from tests.app.test_cli_archive import linkvault, serve_list
from tests.archiver._images_support import png
from tests.support import pages
from tests.support.site import LocalSite

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _rows(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def _as_if_archived_by_an_older_linkvault(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("update snapshots set extracted_with = null, document = null")


def _archive(local_site: LocalSite, tmp_path: Path) -> tuple[Path, list[str]]:
    listing, urls = serve_list(local_site, tmp_path)
    local_site.route("/diagram.png", PNG, content_type="image/png")
    with listing.open("a", encoding="utf-8") as file:
        file.write(f"* [A diagram]({local_site.url('/diagram.png')})\n")
    data = tmp_path / "data"
    result = linkvault(data, "archive", str(listing))
    assert result.returncode == 0, result.stderr
    return data, urls


def test_archive_stores_the_extractor_version(local_site: LocalSite, tmp_path: Path) -> None:
    data, urls = _archive(local_site, tmp_path)
    versions = _rows(data / "linkvault.db", "select extracted_with from snapshots")
    assert len(versions) == len(urls) + 1  # the pages and the image
    assert {version for (version,) in versions} == {EXTRACTOR_VERSION}


def test_reextract_an_older_archive_without_fetching(local_site: LocalSite, tmp_path: Path) -> None:
    data, urls = _archive(local_site, tmp_path)
    db = data / "linkvault.db"
    _as_if_archived_by_an_older_linkvault(db)
    texts_before = dict(_rows(db, "select id, text from snapshots"))
    requests_before = local_site.hits()

    result = linkvault(data, "reextract")
    assert result.returncode == 0, result.stderr
    assert local_site.hits() == requests_before  # not one page fetched
    assert f"{len(urls) + 1} snapshots to re-extract" in result.stderr
    assert f"Re-extracted {len(urls)} snapshots: 0 text changed" in result.stderr
    assert "1 skipped" in result.stderr  # the image: no stored body

    rows = _rows(
        db,
        "select s.id, s.kind, s.raw, s.content_type, s.final_url, s.text, s.document,"
        " s.extracted_with from snapshots s",
    )
    html = [row for row in rows if row[1] == "html"]
    assert len(html) == len(urls)
    for snapshot_id, _kind, raw, content_type, url, text, document, version in rows:
        assert version == EXTRACTOR_VERSION
        assert text == texts_before[snapshot_id]  # nothing changed, nothing moved
        if not raw:
            assert document is None
            continue
        expected = extract(zlib.decompress(raw), content_type, url)
        # Right before and after extraction gives a structured copy.
        assert (document is not None) == (expected.document is not None)
        if expected.document is not None:
            assert document == expected.document.to_json()

    found = json.loads(linkvault(data, "search", "garbage collector", "--json").stdout)
    assert found["results"][0]["url"] == local_site.url("/the-garbage-collector")
    status = json.loads(linkvault(data, "status", "--json").stdout)
    assert status["documents_indexed"] == len(urls)

    again = linkvault(data, "reextract")
    assert again.returncode == 0, again.stderr
    assert "0 snapshots to re-extract" in again.stderr

    everything = linkvault(data, "reextract", "--all")
    assert everything.returncode == 0, everything.stderr
    assert f"{len(urls) + 1} snapshots to re-extract" in everything.stderr
    assert f"Re-extracted {len(urls)} snapshots" in everything.stderr

    one = linkvault(data, "reextract", "--all", local_site.url("/bytecode"))
    assert one.returncode == 0, one.stderr
    assert "1 snapshots to re-extract" in one.stderr
    assert local_site.hits() == requests_before


def test_the_index_follows_a_changed_text(local_site: LocalSite, tmp_path: Path) -> None:
    data, _ = _archive(local_site, tmp_path)
    db = data / "linkvault.db"
    # What an older extractor made of the page: other words, now in the index.
    with sqlite3.connect(db) as conn:
        link_id = conn.execute(
            "select id from links where url = ?", (local_site.url("/descriptors"),)
        ).fetchone()[0]
        conn.execute(
            "update snapshots set text = 'zzqxstale leftovers', extracted_with = null"
            " where link_id = ?",
            (link_id,),
        )
    assert linkvault(data, "reindex").returncode == 0
    stale = json.loads(linkvault(data, "search", "zzqxstale", "--json").stdout)
    assert stale["total"] == 1

    result = linkvault(data, "reextract")
    assert result.returncode == 0, result.stderr
    assert "1 snapshots to re-extract" in result.stderr
    assert "1 text changed" in result.stderr
    assert json.loads(linkvault(data, "search", "zzqxstale", "--json").stdout)["total"] == 0
    found = json.loads(linkvault(data, "search", "descriptors", "--json").stdout)
    assert found["results"][0]["url"] == local_site.url("/descriptors")
    assert _rows(db, "select needs_index from links where id = ?", link_id) == [(0,)]


def test_unknown_url_is_an_error(local_site: LocalSite, tmp_path: Path) -> None:
    data, _ = _archive(local_site, tmp_path)
    result = linkvault(data, "reextract", "https://never.example/archived")
    assert result.returncode == 2
    assert "never.example" in result.stderr
    assert "Traceback" not in result.stderr


LONG_PAGES = 60
DONE = "select count(*) from snapshots where extracted_with is not null"


def _long_archive(local_site: LocalSite, tmp_path: Path) -> Path:
    """An archive of long pages, so that extracting them all again takes a few seconds, made
    to look as if an older linkvault extracted them."""
    for i in range(LONG_PAGES):
        topic = f"topic {i}"
        body = pages.article(topic, *[pages.filler(topic, 40) for _ in range(12)])
        local_site.route(f"/page-{i}", body.encode())
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(local_site.url(f"/page-{i}") for i in range(LONG_PAGES)) + "\n")
    data = tmp_path / "data"
    assert linkvault(data, "archive", str(listing)).returncode == 0
    _as_if_archived_by_an_older_linkvault(data / "linkvault.db")
    return data


def _start_reextract(data: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, LINKVAULT_DATA_DIR=str(data), LINKVAULT_EXTRACT_WORKERS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "app", "reextract"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the extraction workers can be killed with it
    )


def _done(db: Path) -> int:
    try:
        return int(_rows(db, DONE)[0][0])
    except sqlite3.OperationalError:
        return 0  # locked for a moment by the writer


def _wait_until_some_done(db: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _done(db) < 1:
        time.sleep(0.02)


@pytest.mark.timeout(300)
def test_sigkill_halfway_then_rerun_completes(local_site: LocalSite, tmp_path: Path) -> None:
    data = _long_archive(local_site, tmp_path)
    db = data / "linkvault.db"
    requests_before = local_site.hits()
    proc = _start_reextract(data)
    _wait_until_some_done(db)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
    done = _done(db)
    assert 0 < done < LONG_PAGES

    result = linkvault(data, "reextract")
    assert result.returncode == 0, result.stderr
    # Only what the killed run had not stored is done again.
    assert f"{LONG_PAGES - done} snapshots to re-extract" in result.stderr
    current = _rows(
        db, "select count(*) from snapshots where extracted_with = ?", EXTRACTOR_VERSION
    )
    assert current == [(LONG_PAGES,)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert local_site.hits() == requests_before
    found = json.loads(linkvault(data, "search", "topic", "--json", "--limit", "100").stdout)
    assert found["total"] == LONG_PAGES


@pytest.mark.timeout(300)
def test_sigterm_keeps_what_finished(local_site: LocalSite, tmp_path: Path) -> None:
    data = _long_archive(local_site, tmp_path)
    db = data / "linkvault.db"
    proc = _start_reextract(data)
    _wait_until_some_done(db)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "finished so far are saved" in stderr
    assert "Traceback" not in stderr
    done = _done(db)
    assert 0 < done < LONG_PAGES
    result = linkvault(data, "reextract")
    assert result.returncode == 0, result.stderr
    assert f"{LONG_PAGES - done} snapshots to re-extract" in result.stderr


def test_no_wait_while_another_command_writes(local_site: LocalSite, tmp_path: Path) -> None:
    data, _ = _archive(local_site, tmp_path)
    with exclusive_run(data, "linkvault archive", wait=False):
        refused = linkvault(data, "reextract", "--no-wait")
    assert refused.returncode == 3, refused.stderr
    assert "try again when it has finished" in refused.stderr


FIGURE_PAGE = """<!doctype html><html lang="en"><head><title>How the eval loop runs</title></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav><main><article>
<h1>How the eval loop runs</h1>
<p>The interpreter reads one instruction at a time from the code object and dispatches on its
opcode; every instruction pushes and pops values on the frame's value stack.</p>
<p>The diagram below shows a frame, its value stack and the instruction pointer moving through
the bytecode while a small function adds two numbers and returns the result.</p>
<figure><img src="/frame.png" alt="A frame with its value stack"><figcaption>A frame in the
middle of BINARY_OP</figcaption></figure>
<p>Once the function returns, its frame is popped and the caller's frame carries on from the
instruction after the call, with the return value pushed on its own value stack.</p>
<p>Generators keep their frame alive between calls, which is why a generator can resume
exactly where it yielded, with its local variables and value stack intact.</p>
</article></main><footer>Written by someone who likes bytecode.</footer></body></html>"""


def _figure_images(db: Path) -> list[str | None]:
    (document,) = _rows(db, "select document from snapshots where kind = 'html'")[0]
    blocks = json.loads(document)["blocks"]
    return [block.get("image") for block in blocks if block["t"] == "figure"]


def test_reextract_fetches_only_the_images_the_archive_lacks(
    local_site: LocalSite, tmp_path: Path
) -> None:
    frame = png(width=40, height=20, seed=7)
    local_site.route("/frame.png", frame, content_type="image/png")
    local_site.route("/eval-loop", FIGURE_PAGE.encode())
    listing = tmp_path / "list.md"
    listing.write_text(f"* [Eval loop]({local_site.url('/eval-loop')})\n", encoding="utf-8")
    data = tmp_path / "data"
    assert linkvault(data, "archive", str(listing)).returncode == 0
    db = data / "linkvault.db"
    (image,) = _figure_images(db)
    assert image == hashlib.sha256(frame).hexdigest()
    assert local_site.hits("/frame.png") == 1

    # An archive made before images were kept: no structured copy, no images.
    _as_if_archived_by_an_older_linkvault(db)
    with sqlite3.connect(db) as conn:
        conn.execute("delete from snapshot_images")
        conn.execute("delete from images")
    result = linkvault(data, "reextract")
    assert result.returncode == 0, result.stderr
    assert "1 images fetched" in result.stderr
    assert local_site.hits("/eval-loop") == 1  # the page is never fetched again
    assert local_site.hits("/frame.png") == 2  # the image it lacked, once
    assert _figure_images(db) == [image]
    assert _rows(db, "select sha256 from images") == [(image,)]

    # Everything again: the image is held now, so it is attached without a request.
    result = linkvault(data, "reextract", "--all")
    assert result.returncode == 0, result.stderr
    assert local_site.hits("/frame.png") == 2 and local_site.hits("/eval-loop") == 1
    assert _figure_images(db) == [image]
