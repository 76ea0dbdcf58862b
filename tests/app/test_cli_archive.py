"""The real `linkvault` command, run as a user runs it, against a real local site."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import pages
from tests.support.site import Exchange, LocalSite

TOPICS = {
    "Interpreter": ["bytecode", "frame objects", "code objects", "the evaluation loop"],
    "Objects": ["reference counting", "string interning", "descriptors", "metaclasses"],
    "Memory": ["the garbage collector", "arenas and pools", "the small object allocator"],
}


def linkvault(data_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LINKVAULT_DATA_DIR=str(data_dir),
        LINKVAULT_ALLOW_PRIVATE="true",
        LINKVAULT_PAGE_DEADLINE="5",
        LINKVAULT_EXTRACT_WORKERS="1",
        COLUMNS="200",
    )
    return env


def serve_list(site: LocalSite, tmp_path: Path) -> tuple[Path, list[str]]:
    """A markdown list shaped like examples/python-internals.md, every page served locally."""
    lines = ["### LINKS (Last Edit: today)", "* (coming soon!)", ""]
    urls = []
    for section, topics in TOPICS.items():
        lines.append(f"### {section.upper()} - RESOURCES")
        for topic in topics:
            path = "/" + topic.replace(" ", "-")
            site.route(path, pages.article(topic.title(), pages.filler(topic)).encode())
            urls.append(site.url(path))
            lines.append(f"* [{topic.title()} - Some Blog]({site.url(path)})")
        lines.append("")
    # Listed twice, as the real example list does: stored once.
    lines.append(f"* [Bytecode again]({site.url('/bytecode')}?utm_source=list)")
    listing = tmp_path / "list.md"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing, urls


def test_archive_a_markdown_list_end_to_end(local_site: LocalSite, tmp_path: Path) -> None:
    listing, urls = serve_list(local_site, tmp_path)
    data = tmp_path / "data"

    first = linkvault(data, "archive", str(listing))
    assert first.returncode == 0, first.stderr
    assert "ok" in first.stderr

    status = json.loads(linkvault(data, "status", "--json").stdout)
    assert status["counts"]["ok"] == len(urls)
    assert status["documents_indexed"] == len(urls)

    found = json.loads(linkvault(data, "search", "garbage collector", "--json").stdout)
    assert found["total"] >= 1
    top = found["results"][0]
    assert top["url"] == local_site.url("/the-garbage-collector")
    assert top["section"] == "MEMORY - RESOURCES"
    assert "<mark>" in top["snippet"]

    # A second run adds nothing and fetches nothing.
    hits_before = local_site.hits()
    again = linkvault(data, "archive", str(listing))
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stderr
    assert local_site.hits() == hits_before
    assert json.loads(linkvault(data, "status", "--json").stdout)["counts"]["ok"] == len(urls)


def test_reindex_gives_the_same_results(local_site: LocalSite, tmp_path: Path) -> None:
    listing, urls = serve_list(local_site, tmp_path)
    data = tmp_path / "data"
    assert linkvault(data, "archive", str(listing)).returncode == 0
    queries = ["bytecode", "reference counting", "objects", '"small object allocator"']
    before = [json.loads(linkvault(data, "search", q, "--json").stdout) for q in queries]
    result = linkvault(data, "reindex")
    assert result.returncode == 0, result.stderr
    after = [json.loads(linkvault(data, "search", q, "--json").stdout) for q in queries]

    def ranked(page: dict[str, object]) -> list[tuple[object, ...]]:
        return [(r["id"], r["snippet"]) for r in page["results"]]  # type: ignore[index, union-attr]

    assert [ranked(p) for p in before] == [ranked(p) for p in after]
    assert all(p["total"] >= 1 for p in before)


def test_unusable_input_is_a_clear_error(tmp_path: Path) -> None:
    result = linkvault(tmp_path / "data", "archive", str(tmp_path / "missing.md"))
    assert result.returncode == 2
    assert "missing.md" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_lines_are_reported_and_the_rest_archived(
    local_site: LocalSite, tmp_path: Path
) -> None:
    local_site.route("/fine", pages.article("Fine", pages.filler("fine pages")).encode())
    listing = tmp_path / "mixed.md"
    listing.write_text(
        f"# Mixed\n* [relative](./other.md)\n* [fine]({local_site.url('/fine')})\n", "utf-8"
    )
    result = linkvault(tmp_path / "data", "archive", str(listing))
    assert result.returncode == 0, result.stderr
    assert "mixed.md:2" in result.stderr
    status = json.loads(linkvault(tmp_path / "data", "status", "--json").stdout)
    assert status["counts"]["ok"] == 1


def test_stdin_and_urls_as_sources(local_site: LocalSite, tmp_path: Path) -> None:
    for name in ("a", "b"):
        local_site.route(f"/{name}", pages.article(name, pages.filler(f"topic {name}")).encode())
    data = tmp_path / "data"
    piped = subprocess.run(
        [sys.executable, "-m", "app", "archive", "-", local_site.url("/b")],
        input=local_site.url("/a") + "\n",
        env=_env(data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert json.loads(linkvault(data, "status", "--json").stdout)["counts"]["ok"] == 2


def _db_counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db, timeout=30) as conn:
        links = conn.execute("select count(*) from links").fetchone()[0]
        ok = conn.execute("select count(*) from links where status='ok'").fetchone()[0]
    return links, ok


@pytest.mark.timeout(300)
def test_sigkill_halfway_then_rerun_completes(local_site: LocalSite, tmp_path: Path) -> None:
    count = 40

    def slow_page(ex: Exchange) -> None:
        ex.sleep(0.15)
        topic = ex.request.path.strip("/")
        ex.respond(200, pages.article(topic, pages.filler(topic)).encode())

    local_site.fallback(slow_page)
    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(local_site.url(f"/page-{i}") for i in range(count)) + "\n")
    data = tmp_path / "data"
    env = _env(data) | {"LINKVAULT_CONCURRENCY": "2", "LINKVAULT_PER_HOST_CONCURRENCY": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "archive", str(listing)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    db = data / "linkvault.db"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if db.exists():
            try:
                if _db_counts(db)[1] >= count // 3:
                    break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    links, ok = _db_counts(db)
    assert links == count and 0 < ok < count

    result = linkvault(data, "archive", str(listing))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("select count(*) from links").fetchone()[0] == count
        assert (
            conn.execute("select count(distinct normalized_url) from links").fetchone()[0] == count
        )
        assert conn.execute("select count(*) from links where status='ok'").fetchone()[0] == count
        # Nothing archived twice: a link done before the kill was not fetched again.
        per_link = conn.execute(
            "select max(n) from (select count(*) n from snapshots group by link_id)"
        )
        assert per_link.fetchone()[0] == 1
    status = json.loads(linkvault(data, "status", "--json").stdout)
    assert status["documents_indexed"] == count
    found = json.loads(linkvault(data, "search", "page", "--json", "--limit", "50").stdout)
    assert found["total"] == count


def test_a_lost_index_is_rebuilt_by_the_next_run(local_site: LocalSite, tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        local_site.route(f"/{name}", pages.article(name, pages.filler(f"{name} topic")).encode())
    listing = tmp_path / "list.txt"
    listing.write_text(f"{local_site.url('/alpha')}\n{local_site.url('/beta')}\n")
    data = tmp_path / "data"
    assert linkvault(data, "archive", str(listing)).returncode == 0
    shutil.rmtree(data / "index")
    hits_before = local_site.hits()
    assert linkvault(data, "archive", str(listing)).returncode == 0
    assert local_site.hits() == hits_before  # repaired from the database, not refetched
    status = json.loads(linkvault(data, "status", "--json").stdout)
    assert status["documents_indexed"] == 2
