"""`linkvault export`: the list back as markdown, everything as JSON, raw responses as WARC."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer
from rich.markup import escape

from app.cli.common import DataDir, err, fail, settings_from
from app.services.vault import Vault
from archiver.export import write_json, write_markdown
from archiver.urls import is_http_url
from archiver.warc import write_warc


class ExportFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"
    WARC = "warc"


def export(
    format_: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="markdown: the list back with each link's status and archived copy; json: "
            "everything, restorable with `linkvault archive FILE`; warc: the raw responses.",
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
    """Write the archive out: for a list maintainer (markdown), a backup (json), or other
    archive tools (warc)."""
    if format_ is ExportFormat.WARC and output_file is None:
        raise fail("a WARC file is binary: name it with -o, e.g. -o archive.warc.gz")
    if base_url is not None and not is_http_url(base_url):
        raise fail(f"--base-url must be an http(s) address, not {base_url!r}")
    vault = Vault(settings_from(data_dir=data_dir))
    try:
        store = vault.store
        if format_ is ExportFormat.WARC:
            assert output_file is not None
            with _replacing(output_file) as temp, temp.open("wb") as handle:
                records = write_warc(store, handle, filename=output_file.name)
            err.print(f"Wrote {records} response records to {escape(str(output_file))}.")
            return
        with _text_out(output_file) as out:
            if format_ is ExportFormat.JSON:
                count = write_json(store, out)
                what = f"{count} links"
            else:
                counts = write_markdown(store, out, base_url)
                dead = counts.get("dead", 0)
                what = f"{sum(counts.values())} links ({dead} dead)"
        where = escape(str(output_file)) if output_file else "standard output"
        err.print(f"Wrote {what} to {where}.")
    finally:
        vault.close()


@contextlib.contextmanager
def _text_out(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    with _replacing(path) as temp, temp.open("w", encoding="utf-8") as handle:
        yield handle


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A file written beside the target and renamed over it: a failed export never leaves
    half a file where a good one was."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise fail(f"{path}: folder {folder} does not exist")
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    temp = Path(name)
    try:
        # mkstemp makes the file private; an export gets the usual mode, or the one it replaces.
        os.chmod(temp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        yield temp
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
