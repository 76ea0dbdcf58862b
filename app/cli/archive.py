"""`linkvault archive`: import lists (or restore an export), then archive or queue the links."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from app.cli import output
from app.cli.common import NETWORK_DOWN_EXIT, FetchOptions, NoWait, err, fetch_options, writing
from app.services.archiving import Queued, archive_or_queue, tasks_to_archive
from app.services.importing import FORMATS, ReadSource, SourceError, add_source, read_import
from app.services.vault import Vault
from archiver.restore import ExportError, is_export, load_export


def _read_sources(sources: list[str], list_format: str) -> list[ReadSource]:
    """Every source read before anything is added: one unusable input stops the run whole."""
    read: list[ReadSource] = []
    failures: list[str] = []
    for source in sources:
        stdin = sys.stdin.buffer if source == "-" else None
        try:
            read.append(read_import(source, format=list_format, stdin=stdin))
        except SourceError as exc:
            failures.append(str(exc))
    if failures:
        for failure in failures:
            err.print(f"[red]error:[/] {escape(failure)}")
        err.print("Nothing was archived.")
        raise typer.Exit(2)
    return read


def _import(vault: Vault, read: list[ReadSource]) -> tuple[list[int], int]:
    """Adds each source's links and prints its summary; the distinct link ids, in order,
    and how many links are new."""
    ids: dict[int, None] = {}
    added = 0
    for source in read:
        summary = add_source(vault, source)
        err.print(escape(summary.describe()))
        for skipped in summary.skipped:
            err.print(f"  [yellow]skipped[/] {escape(skipped.where())}: {escape(skipped.reason)}")
        ids.update(dict.fromkeys(summary.link_ids))
        added += summary.added
    return list(ids), added


@fetch_options
def archive(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Link lists (.md, .txt, bookmarks .html, linkding's export included), "
            "browser bookmark JSON (Chrome, Firefox), Pocket, Instapaper or Raindrop.io CSV "
            "exports, Pinboard, Karakeep, Linkwarden or wallabag JSON exports, Omnivore "
            "exports (zip or metadata JSON), URLs, - for standard input, or a linkvault JSON "
            "export to restore.",
            show_default=False,
        ),
    ],
    list_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="How to read the lists: auto (by name and content) or one of "
            + ", ".join(FORMATS[1:])
            + ".",
        ),
    ] = "auto",
    fetch: FetchOptions = FetchOptions(),
    no_wait: NoWait = False,
) -> None:
    """Import links, then fetch, extract, store and index every link not yet archived.

    Runs again on the same list add nothing and refetch nothing already archived; links
    with no archived copy yet (failed, blocked, dead) are tried again. A linkvault JSON
    export (`linkvault export --format json`) is restored as it is, without fetching.
    With LINKVAULT_WORK_QUEUE=true the links are queued for `linkvault worker` instead.
    Exits 0 when the run completed, whatever individual links did; 2 when an input cannot
    be read; 3 with --no-wait when another command is writing to the data directory; 4
    when the network looked down (most hosts unreachable): the run stopped early and
    nothing was marked dead.
    """
    settings = fetch.settings()
    if list_format not in FORMATS:
        err.print(
            f"[red]error:[/] unknown --format {escape(repr(list_format))}; "
            f"one of: {', '.join(FORMATS)}"
        )
        raise typer.Exit(2)
    forced = list_format != "auto"
    exports = [s for s in sources if s != "-" and not forced and is_export(Path(s))]
    lists = [source for source in sources if source not in exports]
    loaded = _load_exports(exports)
    results = _read_sources(lists, list_format) if lists else []
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
            link_ids, added = _import(vault, results)
            tasks = tasks_to_archive(vault, link_ids)
            err.print(
                f"{len(link_ids)} links ({added} new); "
                f"{len(tasks)} to fetch, {len(link_ids) - len(tasks)} already done."
            )
            summary = archive_or_queue(vault, tasks, watch=output.progress(err))
            if isinstance(summary, Queued):
                output.print_queued(err, summary)
                return
        output.print_summary(err, vault.store, link_ids, summary)
        if summary.outage:
            output.print_outage(err, summary)
            raise typer.Exit(NETWORK_DOWN_EXIT)
    except KeyboardInterrupt:
        # Every finished link is already committed; the next run picks up the rest.
        err.print("Interrupted. Links finished so far are saved; run the same command to go on.")
        raise typer.Exit(130) from None
    finally:
        vault.close()


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
