"""SIGKILL at random moments: archive, refresh and reindex, killed over and over on one data
directory, must never corrupt the database, lose or duplicate a link, or leave an index that
does not answer; the next runs complete everything and `linkvault check` finds nothing."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from app.services import Vault, check, repair
from app.settings import Settings
from index import SearchIndex, SearchQuery
from tests.app.test_cli_archive import _env, linkvault
from tests.support import pages
from tests.support.site import Exchange, LocalSite

# 12 runs still meet each kind of run both at a random moment and mid-commit (run % 6 and
# (run // 2) % 2 cover every pair): more only made the suite longer.
RUNS = 12
FIRST_LINKS = 40
NEW_LINKS_PER_ARCHIVE = 8


class ChangingSite:
    """Pages whose third (every page number divisible by 3) change with each revision."""

    def __init__(self, site: LocalSite) -> None:
        self.site = site
        self.revision = 0
        site.fallback(self._page)

    def _page(self, ex: Exchange) -> None:
        ex.sleep(0.02)
        number = int(ex.request.path.rsplit("-", 1)[-1])
        words = f"page number{number} about topic{number % 7}"
        if number % 3 == 0:
            words += f" revision{self.revision}"
        ex.respond(200, pages.article(f"Page {number}", pages.filler(words)).encode())

    def write_list(self, path: Path, count: int) -> None:
        path.write_text("\n".join(self.site.url(f"/page-{i}") for i in range(count)) + "\n")


def _start(data: Path, *args: str) -> subprocess.Popen[bytes]:
    env = _env(data) | {
        "LINKVAULT_CONCURRENCY": "4",
        "LINKVAULT_PER_HOST_CONCURRENCY": "4",
        # Frequent commits, so that kills land during them too.
        "LINKVAULT_INDEX_COMMIT_INTERVAL": "0.3",
        # The index written from a process of its own, as in long runs: killed with the run.
        "LINKVAULT_INDEX_PROCESS_MIN_LINKS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the extraction workers are killed with it
    )


def _wait_for(proc: subprocess.Popen[bytes], condition: Callable[[], bool], limit: float) -> bool:
    """Polls until the condition holds (True) or the process ends or time runs out."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            return True
        time.sleep(0.005)
    return False


def _db_state(db: Path) -> dict[str, object]:
    with sqlite3.connect(db, timeout=30) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        links = conn.execute("select count(*), count(distinct normalized_url) from links")
        count, distinct = links.fetchone()
        copies = conn.execute("select id from links where snapshot_id is not null")
        with_copy = {row[0] for row in copies}
        duplicates = conn.execute(
            "select link_id, content_hash from snapshots group by link_id, content_hash "
            "having count(*) > 1"
        ).fetchall()
    return {"count": count, "distinct": distinct, "with_copy": with_copy, "dupes": duplicates}


def _index_answers(data: Path) -> int:
    index = SearchIndex(data / "index")
    try:
        return index.search(SearchQuery(text="page", per_page=1)).total
    finally:
        index.close()


@pytest.mark.timeout(600)
def test_sigkill_at_random_moments_loses_nothing(local_site: LocalSite, tmp_path: Path) -> None:
    rng = random.Random(20261125)
    site = ChangingSite(local_site)
    data = tmp_path / "data"
    db = data / "linkvault.db"
    listing = tmp_path / "list.txt"
    listed = FIRST_LINKS
    site.write_list(listing, listed)
    assert linkvault(data, "archive", str(listing)).returncode == 0
    before = _db_state(db)
    killed: list[str] = []

    for run in range(RUNS):
        site.revision = run // 4  # the same revision for a few runs: a rerun must not duplicate
        kind = ("archive", "refresh", "archive", "refresh", "reindex", "refresh")[run % 6]
        if kind == "archive":
            listed += NEW_LINKS_PER_ARCHIVE
            site.write_list(listing, listed)
            proc = _start(data, "archive", str(listing))
        elif kind == "refresh":
            proc = _start(data, "refresh", "--all")
        else:
            proc = _start(data, "reindex")

        # When to kill: at a random time, or right as an index commit or rebuild begins.
        if kind == "reindex":
            hit = _wait_for(proc, lambda: any((data / "index").glob("build-*")), 20)
            when = "mid-rebuild"
        elif (run // 2) % 2:
            hit = _wait_for(proc, (data / "index" / "WRITELOCK.owner").exists, 20)
            when = "mid-commit"
        else:
            delay = rng.uniform(0.3, 1.8)
            hit = _wait_for(proc, lambda: False, delay) or proc.poll() is None
            when = f"after {delay:.2f}s"
        time.sleep(rng.uniform(0, 0.03))
        if proc.poll() is None and hit:
            os.killpg(proc.pid, signal.SIGKILL)
            killed.append(f"{kind} {when}")
        proc.wait(timeout=120)

        after = _db_state(db)
        assert after["count"] == after["distinct"], "a link was stored twice"
        assert after["count"] in (before["count"], listed), "links were lost or half-imported"
        assert before["with_copy"] <= after["with_copy"], "an archived copy was lost"
        assert after["dupes"] == [], "the same content was stored twice for one link"
        assert _index_answers(data) >= 1
        if run % 4 == 3:
            vault = Vault(Settings(data_dir=data))
            try:
                assert check(vault).database_problems == []
                assert repair(vault).healthy
            finally:
                vault.close()
        before = after

    assert len(killed) >= RUNS * 5 // 6, killed
    assert any(k.startswith("archive mid-commit") for k in killed), killed
    assert any(k.startswith("refresh mid-commit") for k in killed), killed

    # The next runs complete everything, and the index then matches the database.
    site.revision = 99
    finished = linkvault(data, "archive", str(listing))
    assert finished.returncode == 0, finished.stderr
    refreshed = linkvault(data, "refresh", "--all")
    assert refreshed.returncode == 0, refreshed.stderr
    final = _db_state(db)
    assert final["count"] == final["distinct"] == listed
    assert len(final["with_copy"]) == listed
    report = linkvault(data, "check", "--json")
    assert report.returncode == 0, report.stdout + report.stderr
    assert json.loads(report.stdout)["indexed"] == listed
    found = json.loads(linkvault(data, "search", "revision99", "--json", "-n", "100").stdout)
    assert found["total"] == len([i for i in range(listed) if i % 3 == 0])


# Each of the three moments twice.
REMOVE_ROUNDS = 6
REMOVE_LINKS = 150
REMOVED_PER_ROUND = 10


def _links_state(db: Path) -> dict[int, tuple[int, int, bool]]:
    """link id -> (snapshots, checks, has a current copy); asserts no row points at nothing."""
    with sqlite3.connect(db, timeout=30) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        for table in ("snapshots", "checks"):
            orphans = f"select count(*) from {table} where link_id not in (select id from links)"
            assert conn.execute(orphans).fetchone()[0] == 0, table
        stray = "select count(*) from snapshot_images where snapshot_id not in "
        assert conn.execute(stray + "(select id from snapshots)").fetchone()[0] == 0
        rows = conn.execute(
            "select l.id, (select count(*) from snapshots s where s.link_id = l.id), "
            "(select count(*) from checks c where c.link_id = l.id), l.snapshot_id is not null "
            "from links l"
        ).fetchall()
    return {link_id: (snaps, checks, bool(copy)) for link_id, snaps, checks, copy in rows}


@pytest.mark.timeout(600)
def test_sigkill_mid_remove_leaves_each_link_whole_or_gone(
    local_site: LocalSite, tmp_path: Path
) -> None:
    rng = random.Random(20261205)
    site = ChangingSite(local_site)
    data = tmp_path / "data"
    db = data / "linkvault.db"
    listing = tmp_path / "list.txt"
    site.write_list(listing, REMOVE_LINKS)
    archived = linkvault(data, "archive", str(listing))
    assert archived.returncode == 0, archived.stderr
    whole = _links_state(db)
    assert len(whole) == REMOVE_LINKS and all(state[2] for state in whole.values())
    killed: list[str] = []

    for run in range(REMOVE_ROUNDS):
        chosen = rng.sample(sorted(whole), REMOVED_PER_ROUND)
        # A killed writer leaves its owner record behind; waiting for the next one's, not it.
        (data / "index" / "WRITELOCK.owner").unlink(missing_ok=True)
        proc = _start(data, "remove", *map(str, chosen))
        # Right as the database is written (its WAL grows), right as the index commit
        # begins (the database committed, the index not yet), or at a random moment.
        wal = data / "linkvault.db-wal"
        if run % 3 == 1:
            hit = _wait_for(proc, (data / "index" / "WRITELOCK.owner").exists, 20)
            when = "mid-commit"
        elif run % 3 == 2:
            size = wal.stat().st_size if wal.exists() else 0
            hit = _wait_for(proc, lambda: wal.exists() and wal.stat().st_size != size, 20)
            when = "mid-write"
        else:
            delay = rng.uniform(0.5, 4.0)  # the command starts in one to three seconds
            hit = _wait_for(proc, lambda: False, delay) or proc.poll() is None
            when = f"after {delay:.2f}s"
        if proc.poll() is None and hit:
            os.killpg(proc.pid, signal.SIGKILL)
            killed.append(when)
        proc.wait(timeout=120)

        state = _links_state(db)
        present = set(chosen) & set(state)
        # One transaction: all of them gone, or all of them there...
        assert present in (set(), set(chosen)), f"half a removal: {sorted(present)} left"
        # ...and each one there whole, as it was.
        for link_id in present:
            assert state[link_id] == whole[link_id]
        assert {i: s for i, s in state.items() if i not in chosen} == {
            i: s for i, s in whole.items() if i not in chosen
        }
        assert _index_answers(data) >= 1
        whole = state

    assert len(killed) >= REMOVE_ROUNDS // 2, killed
    assert any(when == "mid-commit" for when in killed), killed
    assert any(when == "mid-write" for when in killed), killed
    # The index may hold documents of removed links (killed before its commit): a repair
    # drops them, and the check then finds the index and the database in step.
    repaired = linkvault(data, "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    report = linkvault(data, "check", "--json")
    assert report.returncode == 0, report.stdout + report.stderr
    assert json.loads(report.stdout)["indexed"] == len(whole)
    gone = [n for n in range(REMOVE_LINKS) if site.site.url(f"/page-{n}") not in _urls(db)]
    assert gone, "nothing was removed at all"
    for number in gone[:5]:
        found = json.loads(linkvault(data, "search", f"number{number}", "--json").stdout)
        assert found["total"] == 0, number


def _urls(db: Path) -> set[str]:
    with sqlite3.connect(db, timeout=30) as conn:
        return {row[0] for row in conn.execute("select url from links")}
