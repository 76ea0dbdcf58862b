"""Exporting the archive: the list back as markdown (for a list maintainer), everything as
JSON (a backup `linkvault archive FILE` restores), the raw responses as WARC (for other
archive tools), the links as a Netscape bookmark file (for browsers and bookmark tools). A
file is written beside its target and renamed over it, so a failed export never leaves half
a file where a good one was."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

from app.services.vault import Vault
from archiver.export import write_json, write_markdown
from archiver.netscape import write_netscape
from archiver.urls import is_http_url
from archiver.warc import write_warc


class ExportFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"
    WARC = "warc"
    NETSCAPE = "netscape"


class ExportRefused(ValueError):
    """The export cannot be written as asked; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class Exported:
    what: str  # "12 links (1 dead)", "12 response records"
    where: str  # the file, or "standard output"


def export(
    vault: Vault, format_: ExportFormat, output_file: Path | None, base_url: str | None = None
) -> Exported:
    """Writes the archive in this format to ``output_file`` (replaced whole), or to standard
    output when it is None (not for WARC). ExportRefused before anything is written when the
    request cannot be met."""
    if format_ is ExportFormat.WARC and output_file is None:
        raise ExportRefused("a WARC file is binary: name it with -o, e.g. -o archive.warc.gz")
    if base_url is not None and not is_http_url(base_url):
        raise ExportRefused(f"--base-url must be an http(s) address, not {base_url!r}")
    store = vault.store
    if format_ is ExportFormat.WARC:
        assert output_file is not None
        with _replacing(output_file) as temp, temp.open("wb") as handle:
            records = write_warc(store, handle, filename=output_file.name)
        return Exported(f"{records} response records", str(output_file))
    with _text_out(output_file) as out:
        if format_ is ExportFormat.JSON:
            count = write_json(store, out)
            what = f"{count} links"
        elif format_ is ExportFormat.NETSCAPE:
            what = f"{write_netscape(store, out)} bookmarks"
        else:
            counts = write_markdown(store, out, base_url)
            dead = counts.get("dead", 0)
            what = f"{sum(counts.values())} links ({dead} dead)"
    return Exported(what, str(output_file) if output_file else "standard output")


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
        raise ExportRefused(f"{path}: folder {folder} does not exist")
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
