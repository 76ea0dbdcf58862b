"""`linkvault check`: finds what differs between the index and the database, and repairs it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from app.services import Vault, check, repair
from app.settings import Settings
from index import SearchQuery
from tests.app._archive import Archive
from tests.app.test_cli_archive import linkvault


def _vault(archive: Archive) -> Vault:
    return Vault(Settings(data_dir=archive.data_dir))


def _search_ids(vault: Vault, words: str) -> list[int]:
    return [hit.id for hit in vault.index.search(SearchQuery(text=words, per_page=50)).hits]


def test_a_fresh_archive_is_healthy(fresh_archive: Archive) -> None:
    result = linkvault(fresh_archive.data_dir, "check", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    assert report["searchable"] == report["indexed"] > 20
    assert report["missing"] == report["stale"] == report["extra"] == []


def test_missing_stale_and_extra_documents_are_found_and_repaired(
    fresh_archive: Archive,
) -> None:
    ids = fresh_archive.ids
    db = fresh_archive.data_dir / "linkvault.db"
    with sqlite3.connect(db) as conn:
        # Edits behind the index's back, as a crash between database and index would leave.
        conn.execute("update links set title = 'Renamed zebrafish' where id = ?", (ids["topic1"],))
        conn.execute("update links set snapshot_id = null where id = ?", (ids["topic2"],))
    vault = _vault(fresh_archive)
    try:
        with vault.index.writer() as writer:
            writer.delete(ids["topic3"])
        report = check(vault)
        assert report.stale == [ids["topic1"]]
        assert report.extra == [ids["topic2"]]
        assert report.missing == [ids["topic3"]]
        assert not report.healthy
        assert _search_ids(vault, "zebrafish") == []

        fixed = repair(vault)
        assert fixed.healthy, fixed
        assert any("re-indexed 3" in action for action in fixed.repaired)
        assert _search_ids(vault, "zebrafish") == [ids["topic1"]]
        assert ids["topic2"] not in _search_ids(vault, "interpreter")
        assert ids["topic3"] in _search_ids(vault, "interpreter")
    finally:
        vault.close()


def test_the_command_reports_problems_and_exit_codes(fresh_archive: Archive) -> None:
    db = fresh_archive.data_dir / "linkvault.db"
    with sqlite3.connect(db) as conn:
        conn.execute("update links set status = 'failed' where id = ?", (fresh_archive.ids["xss"],))
    found = linkvault(fresh_archive.data_dir, "check")
    assert found.returncode == 1
    assert "1 link(s) stale in the index" in found.stderr
    assert "linkvault check --repair" in found.stderr
    assert "Traceback" not in found.stderr

    repaired = linkvault(fresh_archive.data_dir, "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "repaired" in repaired.stderr
    assert linkvault(fresh_archive.data_dir, "check").returncode == 0


def test_an_unreadable_index_is_rebuilt(fresh_archive: Archive) -> None:
    (fresh_archive.data_dir / "index" / "CURRENT").write_text("{not json")
    found = linkvault(fresh_archive.data_dir, "check", "--json")
    assert found.returncode == 1
    assert "damaged" in json.loads(found.stdout)["index_problem"]
    repaired = linkvault(fresh_archive.data_dir, "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "rebuilt the index" in repaired.stderr
    vault = _vault(fresh_archive)
    try:
        assert len(_search_ids(vault, "interpreter")) == fresh_archive.interpreter_docs
    finally:
        vault.close()


_HOLD_THE_INDEX_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from index.whoosh import Store
    with Store(Path(sys.argv[1])).lock(timeout=10):
        print("locked", flush=True)
        time.sleep(60)
    """
)


def test_a_stale_lock_from_a_killed_writer_is_detected_and_cleared(
    fresh_archive: Archive,
) -> None:
    index_dir = fresh_archive.data_dir / "index"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_THE_INDEX_LOCK, str(index_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = json.loads(linkvault(fresh_archive.data_dir, "check", "--json").stdout)
        assert busy["index_writer"]["pid"] == holder.pid  # alive: not stale
        assert busy["stale_lock"] is None
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()

    # A writer killed mid-commit also leaves segment files no table of contents lists.
    generation = json.loads((index_dir / "CURRENT").read_text())["generation"]
    orphan = index_dir / generation / "MAIN_deadbeef12345678.seg"
    orphan.write_bytes(b"half a segment")

    found = linkvault(fresh_archive.data_dir, "check", "--json")
    assert found.returncode == 1
    report = json.loads(found.stdout)
    assert report["stale_lock"]["pid"] == holder.pid
    assert report["index_writer"] is None
    assert report["leftovers"] == [f"{generation}/{orphan.name}"]

    repaired = linkvault(fresh_archive.data_dir, "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert f"stale index lock left by process {holder.pid}" in repaired.stderr
    assert not orphan.exists()
    # And the index takes writes again.
    vault = _vault(fresh_archive)
    try:
        with vault.index.writer() as writer:
            writer.delete(fresh_archive.ids["topic0"])
        assert fresh_archive.ids["topic0"] not in _search_ids(vault, "interpreter")
    finally:
        vault.close()


def test_a_damaged_database_is_reported_not_repaired(fresh_archive: Archive) -> None:
    db = fresh_archive.data_dir / "linkvault.db"
    with sqlite3.connect(db) as conn:
        conn.execute("pragma wal_checkpoint(truncate)")
        page_size = conn.execute("pragma page_size").fetchone()[0]
        pages = conn.execute("pragma page_count").fetchone()[0]
    with open(db, "r+b") as f:  # scribble over every page after the schema
        for page in range(2, pages):
            f.seek(page * page_size + 100)
            f.write(b"\xff" * 64)
    index_before = sorted(p.name for p in (fresh_archive.data_dir / "index").rglob("*"))
    result = linkvault(fresh_archive.data_dir, "check", "--repair")
    assert result.returncode == 1
    assert "database" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Restore it from a backup" in result.stderr
    # The index, maybe the best copy left, is untouched.
    assert sorted(p.name for p in (fresh_archive.data_dir / "index").rglob("*")) == index_before


def test_check_without_an_archive_says_so(tmp_path: Path) -> None:
    result = linkvault(tmp_path / "nothing", "check")
    assert result.returncode == 2
    assert "no archive in" in result.stderr
    assert not (tmp_path / "nothing").exists()
