"""`linkvault reextract`: extract stored snapshots again from their stored bodies."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.cli.common import DataDir, NoWait, Workers, err, fail, settings_from, writing
from app.services.linkrefs import UnknownLinks, link_ids_for
from app.services.reextracting import (
    Outcome,
    ReextractSummary,
    SnapshotDone,
    reextract,
    snapshots_to_reextract,
)
from app.services.vault import Vault

_OUTCOME_STYLE = {
    Outcome.CHANGED: "green",
    Outcome.UNCHANGED: "dim",
    Outcome.SKIPPED: "cyan",
    Outcome.FAILED: "yellow",
}


def reextract_command(
    urls: Annotated[
        list[str] | None,
        typer.Argument(help="Only these links' snapshots (URLs as archived).", show_default=False),
    ] = None,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="Every snapshot, also those this version of linkvault extracted."
        ),
    ] = False,
    workers: Workers = None,
    data_dir: DataDir = None,
    no_wait: NoWait = False,
) -> None:
    """Extract stored snapshots again from their stored bodies, without fetching any page.

    By default only snapshots made by an older extractor are redone, so run it after
    upgrading linkvault; stopped halfway, the same command goes on where it stopped.
    Snapshots with no stored body (images) are marked done as they are. Links whose
    current text or title changed are re-indexed. Exits 0 when the run completed, 2 for
    unknown URLs, 3 with --no-wait when another command is writing to the data directory.
    """
    settings = settings_from(data_dir=data_dir, extract_workers=workers)
    vault = Vault(settings)
    try:
        try:
            link_ids = link_ids_for(vault, urls) if urls else None
        except UnknownLinks as exc:
            names = ", ".join(exc.urls)
            raise fail(f"not in the archive (add them with `linkvault archive`): {names}") from None
        with writing(settings, "linkvault reextract", no_wait):
            snapshot_ids = snapshots_to_reextract(vault, link_ids, everything=everything)
            err.print(f"{len(snapshot_ids)} snapshots to re-extract.")
            with _Progress(err, len(snapshot_ids)) as bar:
                summary = reextract(vault, snapshot_ids, on_done=bar.advance)
        _print_summary(err, summary)
    except KeyboardInterrupt:
        # Every finished snapshot is already committed; the next run picks up the rest.
        err.print(
            "Interrupted. Snapshots finished so far are saved; run the same command to go on."
        )
        raise typer.Exit(130) from None
    finally:
        vault.close()


class _Progress:
    """A live bar with running counts by outcome, like archive's."""

    def __init__(self, console: Console, total: int) -> None:
        self._counts: Counter[Outcome] = Counter()
        self._progress = Progress(
            TextColumn("re-extracting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            disable=total == 0,
        )
        self._task = self._progress.add_task("reextract", total=total, counts=self._describe())

    def _describe(self) -> str:
        return " ".join(f"[{style}]{o} {self._counts[o]}[/]" for o, style in _OUTCOME_STYLE.items())

    def advance(self, done: SnapshotDone) -> None:
        self._counts[done.outcome] += 1
        self._progress.update(self._task, advance=1, counts=self._describe())

    def __enter__(self) -> _Progress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()


def _print_summary(console: Console, summary: ReextractSummary) -> None:
    console.print(
        f"Re-extracted {summary.reextracted} snapshots: {summary.changed} text changed, "
        f"{summary.unchanged} unchanged; {summary.skipped} skipped (no stored body)"
        + (f"; {summary.failed} failed (left for the next run)" if summary.failed else "")
        + f". {len(summary.indexed_links)} links re-indexed"
        + (f", {summary.images_fetched} images fetched." if summary.images_fetched else ".")
    )
