"""`linkvault export`: the list back as markdown, everything as JSON, raw responses as WARC,
the links as a Netscape bookmark file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from app.cli.common import DataDir, err, fail, settings_from
from app.services.exporting import ExportFormat, ExportRefused
from app.services.exporting import export as export_archive
from app.services.vault import Vault


def export(
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="markdown: the list back with each link's status and archived copy; json: "
            "everything, restorable with `linkvault archive FILE`; warc: the raw responses; "
            "netscape: a bookmarks file for browsers and bookmark tools (sections as folders, "
            "tags, notes).",
        ),
    ] = ExportFormat.MARKDOWN,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (replaced whole); standard output when omitted (not for warc).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="Address of this linkvault's web page (https://vault.example.org), so the "
            "markdown's archived-copy links are absolute; relative /links/ID otherwise.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write the archive out: for a list maintainer (markdown), a backup (json), other
    archive tools (warc), or browsers and bookmark tools (netscape)."""
    vault = Vault(settings_from(data_dir=data_dir))
    try:
        exported = export_archive(vault, format_, output_file, base_url)
    except ExportRefused as exc:
        raise fail(str(exc)) from None
    finally:
        vault.close()
    err.print(f"Wrote {exported.what} to {escape(exported.where)}.")
