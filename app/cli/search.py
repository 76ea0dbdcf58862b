"""`linkvault search` and `linkvault status`: read the archive from the terminal."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape

from app.cli import output
from app.cli.common import DataDir, console, err, settings_from
from app.services.vault import Vault


def search(
    query: Annotated[
        str, typer.Argument(help='Words, "phrases", -exclusions, title:, section:, tag:.')
    ],
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=1000, help="Hits to show.")
    ] = 10,
    page: Annotated[int, typer.Option(min=1, help="Page of results.")] = 1,
    section: Annotated[str | None, typer.Option(help="Only this section.")] = None,
    domain: Annotated[str | None, typer.Option(help="Only this domain.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only pages with this tag.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON, as the API returns.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Search the archive from the terminal."""
    from index import QueryError, SearchQuery

    vault = Vault(settings_from(data_dir=data_dir))
    try:
        request = SearchQuery(
            text=query, page=page, per_page=limit, section=section, domain=domain, tag=tag
        )
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


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Counts by status, dead links and the last run."""
    vault = Vault(settings_from(data_dir=data_dir))
    try:
        report = output.status_report(vault.store, vault.index)
    finally:
        vault.close()
    if as_json:
        console.print_json(json.dumps(report))
    else:
        output.print_status(console, report)
