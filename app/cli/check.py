"""`linkvault check`: verify the index against the database, and repair it with --repair;
`linkvault reindex`: rebuild it whole."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from app.cli.common import DataDir, NoWait, console, err, fail, settings_from, writing
from app.services.check import MAX_LISTED, CheckReport, check, repair
from app.services.indexing import rebuild_index
from app.services.vault import Vault


def check_command(
    fix: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Fix what is found: re-index missing, stale and extra documents, clear a "
            "stale index lock and leftover files, rebuild an unreadable index.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
    no_wait: NoWait = False,
) -> None:
    """Verify that the search index matches the database (missing, stale or extra
    documents), that the database passes SQLite's integrity check, and that no killed writer
    left a stale lock or files behind.

    Only the index is ever repaired: the database is the truth it is rebuilt from. Exits 0
    when everything is consistent (after --repair: when the repair fixed everything), 1 when
    problems remain, 3 with --no-wait when another command is writing.
    """
    settings = settings_from(data_dir=data_dir)
    if settings.database_url is None and not (settings.data_dir / "linkvault.db").exists():
        raise fail(f"no archive in {settings.data_dir} (nothing has been archived there yet)")
    vault = Vault(settings)
    try:
        if fix:
            with writing(settings, "linkvault check --repair", no_wait):
                report = repair(vault)
        else:
            report = check(vault)
    finally:
        vault.close()
    if as_json:
        console.print_json(json.dumps(report.to_json()))
    else:
        print_report(err, report, repair_tried=fix)
    if not report.healthy:
        raise typer.Exit(1)


def reindex(data_dir: DataDir = None, no_wait: NoWait = False) -> None:
    """Rebuild the search index from the database (the database is the truth)."""
    settings = settings_from(data_dir=data_dir)
    vault = Vault(settings)
    try:
        with writing(settings, "linkvault reindex", no_wait):
            count = rebuild_index(vault.store, vault.index)
    finally:
        vault.close()
    err.print(f"Indexed {count} documents.")


def print_report(out: Console, report: CheckReport, repair_tried: bool = False) -> None:
    for action in report.repaired:
        out.print(f"[green]repaired[/] {escape(action)}")
    if report.running is not None:
        out.print(
            f"[yellow]note[/] {escape(report.running.describe())} is writing now: links it has "
            "in flight can show as missing or stale until it finishes."
        )
    if report.index_writer is not None:
        out.print(f"[yellow]note[/] the index is being written by {report.index_writer.describe()}")
    for problem in report.database_problems[:MAX_LISTED]:
        out.print(f"[red]database[/] {escape(problem)}")
    if report.database_problems:
        out.print(
            "The database is damaged; linkvault does not repair it. Restore it from a backup "
            "or from `linkvault export --format json` (re-import with `linkvault archive`)."
        )
    if report.index_problem:
        out.print(f"[red]index[/] {escape(report.index_problem)}")
    for name, ids in (
        ("missing from the index", report.missing),
        ("stale in the index", report.stale),
        ("in the index but not archived", report.extra),
    ):
        if ids:
            shown = ", ".join(str(i) for i in ids[:MAX_LISTED])
            more = f" and {len(ids) - MAX_LISTED} more" if len(ids) > MAX_LISTED else ""
            out.print(f"[red]index[/] {len(ids)} link(s) {name}: {shown}{more}")
    if report.stale_lock is not None:
        out.print(
            f"[red]index[/] stale write lock left by {escape(report.stale_lock.describe())}, "
            "which is no longer running"
        )
    if report.leftovers:
        out.print(f"[red]index[/] {len(report.leftovers)} leftover file(s) from a killed writer")
    if report.pending:
        out.print(
            f"{len(report.pending)} link(s) still marked for indexing by an interrupted run "
            "(the next run or --repair clears the mark)."
        )
    summary = f"{report.searchable} archived links searchable, {report.indexed} documents indexed"
    if report.healthy:
        out.print(f"[green]ok[/] {summary}.")
    elif report.database_problems:
        out.print("[red]problems found[/] in the database.")
    else:
        hint = "" if repair_tried else " Run `linkvault check --repair` to fix the index."
        out.print(f"[red]problems found[/] ({summary}).{hint}")
