"""The `linkvault` command: a thin layer over the archiver, the index and the service."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from app import output
from app.settings import Settings
from app.vault import Vault
from archiver.sources import ImportResult, SourceError, read_source

cli = typer.Typer(
    name="linkvault",
    help="Archive reading lists, keep them alive, and search everything in them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console()
err = Console(stderr=True)

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder for the database and the index [env: LINKVAULT_DATA_DIR; default ./data].",
        show_default=False,
    ),
]


def _settings(**overrides: Any) -> Settings:
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        err.print(f"[red]error:[/] invalid settings: {escape(problems)}")
        raise typer.Exit(2) from None


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
            help="Link lists (.md, .txt, bookmarks .html), URLs, or - for standard input.",
            show_default=False,
        ),
    ],
    data_dir: DataDir = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Pages fetched at once [env: LINKVAULT_CONCURRENCY; 16].")
    ] = None,
    per_host: Annotated[
        int | None,
        typer.Option(
            help="Pages fetched at once per host [env: LINKVAULT_PER_HOST_CONCURRENCY; 2]."
        ),
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option(help="Seconds allowed per page [env: LINKVAULT_PAGE_DEADLINE; 30]."),
    ] = None,
    allow_private: Annotated[
        bool | None,
        typer.Option(
            "--allow-private/--no-allow-private",
            help="Fetch private and loopback addresses [env: LINKVAULT_ALLOW_PRIVATE; off].",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Extraction processes, 0 for one per core [env: LINKVAULT_EXTRACT_WORKERS]."
        ),
    ] = None,
) -> None:
    """Import links, then fetch, extract, store and index every link not yet archived.

    Runs again on the same list add nothing and refetch nothing already archived; links
    with no archived copy yet (failed, blocked, dead) are tried again. Exits 0 when the
    run completed, whatever individual links did; 2 when an input cannot be read.
    """
    settings = _settings(
        data_dir=data_dir,
        concurrency=concurrency,
        per_host_concurrency=per_host,
        page_deadline=deadline,
        allow_private=allow_private,
        extract_workers=workers,
    )
    results = _read_sources(sources)
    vault = Vault(settings)
    try:
        imported = vault.import_links(results)
        tasks = vault.store.tasks_for_archive(imported.link_ids)
        err.print(
            f"{len(imported.link_ids)} links ({imported.new} new); "
            f"{len(tasks)} to fetch, {len(imported.link_ids) - len(tasks)} already done."
        )
        with output.ArchiveProgress(err, total=len(tasks)) as progress:
            summary = vault.archive(tasks, on_done=progress.advance)
        output.print_summary(err, vault.store, imported.link_ids, summary)
    finally:
        vault.close()


@cli.command()
def reindex(data_dir: DataDir = None) -> None:
    """Rebuild the search index from the database (the database is the truth)."""
    from app.indexing import rebuild_index

    vault = Vault(_settings(data_dir=data_dir))
    try:
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

    run_server(host, port, _settings(data_dir=data_dir))


def main() -> None:
    cli()
