"""The `linkvault` command: a thin layer over the archiver, the index and the service."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from app import output
from app.cli_check import check_command
from app.cli_common import (
    AllowPrivate,
    Concurrency,
    DataDir,
    Deadline,
    NoWait,
    PerHost,
    Workers,
    console,
    err,
    fetch_settings_from,
    settings_from,
    writing,
)
from app.cli_export import export
from app.cli_refresh import refresh
from app.cli_worker import enqueue_tasks, worker
from app.vault import Vault
from archiver.restore import ExportError, is_export, load_export
from archiver.sources import ImportResult, SourceError, read_source

cli = typer.Typer(
    name="linkvault",
    help="Archive reading lists, keep them alive, and search everything in them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
_settings = settings_from


def _read_sources(sources: list[str]) -> list[ImportResult]:
    results: list[ImportResult] = []
    failures: list[str] = []
    for source in sources:
        try:
            results.append(read_source(source, sys.stdin.buffer if source == "-" else None))
        except SourceError as exc:
            failures.append(str(exc))
    if failures:
        for failure in failures:
            err.print(f"[red]error:[/] {escape(failure)}")
        err.print("Nothing was archived.")
        raise typer.Exit(2)
    for result in results:
        for problem in result.problems:
            where = problem.source + (f":{problem.line}" if problem.line else "")
            err.print(f"[yellow]skipped[/] {escape(where)}: {escape(problem.message)}")
    return results


@cli.command()
def archive(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Link lists (.md, .txt, bookmarks .html), URLs, - for standard input, or a "
            "linkvault JSON export to restore.",
            show_default=False,
        ),
    ],
    data_dir: DataDir = None,
    concurrency: Concurrency = None,
    per_host: PerHost = None,
    deadline: Deadline = None,
    allow_private: AllowPrivate = None,
    workers: Workers = None,
    no_wait: NoWait = False,
) -> None:
    """Import links, then fetch, extract, store and index every link not yet archived.

    Runs again on the same list add nothing and refetch nothing already archived; links
    with no archived copy yet (failed, blocked, dead) are tried again. A linkvault JSON
    export (`linkvault export --format json`) is restored as it is, without fetching.
    With LINKVAULT_WORK_QUEUE=true the links are queued for `linkvault worker` instead.
    Exits 0 when the run completed, whatever individual links did; 2 when an input cannot
    be read; 3 with --no-wait when another command is writing to the data directory.
    """
    settings = fetch_settings_from(
        data_dir,
        concurrency,
        per_host,
        deadline,
        allow_private,
        workers,
    )
    exports = [source for source in sources if source != "-" and is_export(Path(source))]
    lists = [source for source in sources if source not in exports]
    loaded = _load_exports(exports)
    results = _read_sources(lists) if lists else []
    vault = Vault(settings)
    try:
        with writing(settings, "linkvault archive", no_wait):
            for path, data in loaded:
                report = vault.restore(data)
                err.print(f"Restored from {escape(path)}: {report.describe()}")
                for problem in report.problems:
                    err.print(f"[yellow]warning[/] {escape(problem)}")
            if not lists:
                return
            imported = vault.import_links(results)
            tasks = vault.store.links.tasks_for_archive(imported.link_ids)
            err.print(
                f"{len(imported.link_ids)} links ({imported.new} new); "
                f"{len(tasks)} to fetch, {len(imported.link_ids) - len(tasks)} already done."
            )
            if settings.work_queue:  # the workers fetch them (`linkvault worker`)
                enqueue_tasks(vault, tasks, "archive")
                return
            with output.ArchiveProgress(err, total=len(tasks)) as progress:
                summary = vault.archive(tasks, on_done=progress.advance)
        output.print_summary(err, vault.store, imported.link_ids, summary)
    except KeyboardInterrupt:
        # Every finished link is already committed; the next run picks up the rest.
        err.print("Interrupted. Links finished so far are saved; run the same command to go on.")
        raise typer.Exit(130) from None
    finally:
        vault.close()


cli.command()(refresh)
cli.command()(export)
cli.command(name="check")(check_command)
cli.command()(worker)


def _load_exports(paths: list[str]) -> list[tuple[str, dict[str, Any]]]:
    loaded: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        try:
            loaded.append((path, load_export(Path(path))))
        except ExportError as exc:
            err.print(f"[red]error:[/] {escape(str(exc))}")
            err.print("Nothing was archived.")
            raise typer.Exit(2) from None
    return loaded


@cli.command()
def reindex(data_dir: DataDir = None, no_wait: NoWait = False) -> None:
    """Rebuild the search index from the database (the database is the truth)."""
    from app.indexing import rebuild_index

    settings = _settings(data_dir=data_dir)
    vault = Vault(settings)
    try:
        with writing(settings, "linkvault reindex", no_wait):
            count = rebuild_index(vault.store, vault.index)
    finally:
        vault.close()
    err.print(f"Indexed {count} documents.")


@cli.command()
def search(
    query: Annotated[str, typer.Argument(help='Words, "phrases", -exclusions, title:, section:.')],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="Hits to show.")
    ] = 10,
    page: Annotated[int, typer.Option(min=1, help="Page of results.")] = 1,
    section: Annotated[str | None, typer.Option(help="Only this section.")] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON, as the API returns.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Search the archive from the terminal."""
    from index import QueryError, SearchQuery

    vault = Vault(_settings(data_dir=data_dir))
    try:
        request = SearchQuery(text=query, page=page, per_page=limit, section=section, domain=domain)
        result = vault.index.search(request)
    except QueryError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    finally:
        vault.close()
    if as_json:
        console.print_json(json.dumps(output.search_json(result)))
    else:
        output.print_search(console, result)


@cli.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Counts by status, dead links and the last run."""
    vault = Vault(_settings(data_dir=data_dir))
    try:
        report = output.status_report(vault.store, vault.index)
    finally:
        vault.close()
    if as_json:
        console.print_json(json.dumps(report))
    else:
        output.print_status(console, report)


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
) -> None:
    """Serve the JSON API and the search page (http://HOST:PORT/, API docs at /docs)."""
    from app.serve import serve as run_server

    settings = _settings(data_dir=data_dir)
    # Refuse here, with a clear message, rather than as a failed application startup.
    vault = Vault(settings)
    try:
        _ = vault.store
    finally:
        vault.close()
    run_server(host, port, settings)


@cli.command()
def migrate(data_dir: DataDir = None) -> None:
    """Upgrade the database schema to this version of linkvault (SQLite or PostgreSQL).

    Safe to run again: an up-to-date database is left as it is. Other linkvault processes
    refuse to run on an out-of-date schema until this has run.
    """
    from archiver import make_engine
    from archiver.schema import migrate as upgrade

    settings = _settings(data_dir=data_dir)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if before == after:
        err.print(f"The database schema is up to date (revision {after}).")
    else:
        err.print(f"Migrated the database schema from revision {before or 'none'} to {after}.")


def _interrupt_on_sigterm() -> None:
    # `docker compose stop`, systemd and `kill` send SIGTERM, whose default kills the process
    # on the spot: its extraction workers were left running and a round's summary was lost.
    # Raised as KeyboardInterrupt, it takes the same way out as Ctrl-C: the pool is shut down,
    # the index writer closed, and the command says what was kept. `serve` and `worker`
    # install their own handlers over this one.
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    from archiver.schema import SchemaOutOfDate

    _interrupt_on_sigterm()
    try:
        cli()
    except SchemaOutOfDate as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(2)
