"""`linkvault check`: does the index say what the database says, and is either damaged?

The database is the truth; the index can always be rebuilt from it. So a check compares the
two, and a repair only ever changes the index: it re-indexes missing, stale and extra
documents, clears what a killed index writer left behind, and rebuilds an index that cannot
be read. A damaged database is reported, never "repaired" (that would lose data silently).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.services.indexing import index_links, rebuild_index, record_version
from app.services.runlock import RunOwner, read_owner
from app.services.vault import Vault
from index import IndexHealth, LockOwner, inspect_backend, repair_backend_files

# Ids listed per problem in a report; counts are always complete.
MAX_LISTED = 20


@dataclass(slots=True)
class CheckReport:
    database_problems: list[str] = field(default_factory=list)
    index_problem: str | None = None  # unreadable: needs a rebuild
    missing: list[int] = field(default_factory=list)  # archived, not in the index
    stale: list[int] = field(default_factory=list)  # indexed from an older copy or status
    extra: list[int] = field(default_factory=list)  # in the index, nothing to search in the DB
    pending: list[int] = field(default_factory=list)  # flagged by an interrupted run
    stale_lock: LockOwner | None = None
    leftovers: list[str] = field(default_factory=list)
    index_writer: LockOwner | None = None  # a writer holds the index lock right now
    running: RunOwner | None = None  # an archive/refresh/reindex is running
    searchable: int = 0
    indexed: int = 0
    repaired: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not (
            self.database_problems
            or self.index_problem
            or self.missing
            or self.stale
            or self.extra
            or self.stale_lock
            or self.leftovers
        )

    def to_json(self) -> dict[str, Any]:
        def owner(o: LockOwner | RunOwner | None) -> dict[str, Any] | None:
            return None if o is None else {"pid": o.pid, "command": o.command, "since": o.since}

        return {
            "healthy": self.healthy,
            "database_problems": self.database_problems,
            "index_problem": self.index_problem,
            "searchable": self.searchable,
            "indexed": self.indexed,
            "missing": self.missing,
            "stale": self.stale,
            "extra": self.extra,
            "pending": self.pending,
            "stale_lock": owner(self.stale_lock),
            "leftovers": self.leftovers,
            "index_writer": owner(self.index_writer),
            "running": owner(self.running),
            "repaired": self.repaired,
        }


def check(vault: Vault) -> CheckReport:
    """Compares the index with the database without changing either."""
    running = read_owner(vault.settings.data_dir)
    if running is not None and running.pid == os.getpid():
        running = None  # check --repair itself
    report = CheckReport(running=running)
    try:
        health = _inspect(vault)
        _add_index_health(report, health)
        report.database_problems = _database_problems(vault)
        if health.readable and not report.database_problems:
            _compare(vault, health, report)
    except DBAPIError as exc:
        report.database_problems.append(f"the database cannot be read: {exc.orig}")
    return report


def repair(vault: Vault) -> CheckReport:
    """Fixes the index (never the database), then checks again. Call it holding the data
    directory's run lock (app.cli.common.writing), so no archive or refresh runs meanwhile."""
    before = check(vault)
    done: list[str] = []
    if before.database_problems:
        # The index may be the best copy left of a damaged database: leave it alone.
        return before
    if before.index_problem:
        count = rebuild_index(vault.store, vault.index)
        done.append(f"rebuilt the index from the database ({count} documents)")
    else:
        if before.stale_lock or before.leftovers:
            removed = repair_backend_files(
                vault.settings.search_backend, index_dir=vault.settings.index_dir
            )
            if before.stale_lock:
                done.append(f"cleared a stale index lock left by {before.stale_lock.describe()}")
            if removed:
                done.append(f"removed {len(removed)} leftover index file(s)")
        todo = sorted(set(before.missing + before.stale + before.extra + before.pending))
        if todo:
            index_links(vault.store, vault.index, todo)
            done.append(
                f"re-indexed {len(todo)} link(s): {len(before.missing)} missing, "
                f"{len(before.stale)} stale, {len(before.extra)} extra, "
                f"{len(before.pending)} left pending"
            )
    after = check(vault)
    after.repaired = done
    return after


def _database_problems(vault: Vault) -> list[str]:
    engine = vault.store.engine
    if engine.dialect.name != "sqlite":
        return []  # the server checks its own storage
    with engine.connect() as conn:
        rows = [str(row[0]) for row in conn.execute(text("PRAGMA integrity_check"))]
    return [] if rows == ["ok"] else rows


def _inspect(vault: Vault) -> IndexHealth:
    """The Whoosh folder is inspected without opening it as an index (that would tidy it);
    the PostgreSQL tables through the database (no lock files, nothing half-written)."""
    kind = vault.settings.search_backend
    if kind == "postgres":
        return inspect_backend(kind, engine=vault.store.engine)
    return inspect_backend(kind, index_dir=vault.settings.index_dir)


def _add_index_health(report: CheckReport, health: IndexHealth) -> None:
    report.index_problem = health.problem
    report.stale_lock = health.stale_lock
    report.index_writer = health.locked_by
    report.leftovers = health.leftovers


def _compare(vault: Vault, health: IndexHealth, report: CheckReport) -> None:
    expected = {
        link.id: record_version(link, snapshot)
        for link, snapshot in vault.store.index_bookkeeping.searchable(with_text=False)
    }
    indexed = health.versions
    report.searchable = len(expected)
    report.indexed = len(indexed)
    report.missing = sorted(expected.keys() - indexed.keys())
    report.extra = sorted(indexed.keys() - expected.keys())
    report.stale = sorted(i for i in expected.keys() & indexed.keys() if expected[i] != indexed[i])
    flagged = set(vault.store.index_bookkeeping.ids_needing_index())
    report.pending = sorted(flagged - set(report.missing) - set(report.stale) - set(report.extra))
