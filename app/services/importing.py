"""Importing one source (a file, standard input, an uploaded file) in a given format: its
links added in one transaction, and a summary of what happened to each entry.

`linkvault archive` (app/cli/archive.py), `POST /api/import` (app/http/api/routes_import.py)
and the /add page's upload form (app/http/web/routes_add.py) all import through here; what
to archive afterwards is app/services/archiving.py's business.

Reading comes first and adding second, so a source that cannot be used as a whole (binary,
an unknown format, JSON of the wrong shape) raises SourceError before anything is written;
an entry that cannot be used is skipped, with where and why, and the rest is imported.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import typing
from dataclasses import dataclass
from pathlib import Path, PurePath

from app.services.vault import Vault
from archiver.records import ImportResult
from archiver.restore import is_export
from archiver.sources import FORMATS, SourceError, read_source

__all__ = [
    "FORMATS",
    "ExportUploaded",
    "ImportSummary",
    "ReadSource",
    "Skipped",
    "SourceError",
    "UnknownFormat",
    "add_source",
    "check_format",
    "format_label",
    "import_source",
    "import_upload",
    "read_import",
]

# How a summary names a format; a format without a label here is named by its key.
FORMAT_LABELS: dict[str, str] = {
    "markdown": "Markdown list",
    "text": "plain list",
    "bookmarks": "Netscape bookmarks",
    "chrome": "Chrome bookmarks",
    "firefox": "Firefox bookmarks backup",
    "pocket": "Pocket CSV",
    "instapaper": "Instapaper CSV",
    "raindrop": "Raindrop.io CSV",
    "pinboard": "Pinboard JSON",
    "karakeep": "Karakeep JSON",
    "linkwarden": "Linkwarden backup",
    "wallabag": "wallabag JSON",
    "omnivore": "Omnivore export",
}
URL_ARGUMENT = "URL"  # the "format" of a URL given on the command line

# An uploaded file's name keeps only its suffix on disk (the format may follow from it).
_SAFE_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,12}")


class UnknownFormat(SourceError):
    """A format name that is not one of FORMATS."""


class ExportUploaded(SourceError):
    """A linkvault JSON export where a list or another tool's export was expected: restoring
    replaces what links carry, so it is left to `linkvault archive FILE`, never an upload."""


def check_format(format: str) -> str:
    if format not in FORMATS:
        raise UnknownFormat(f"unknown format {format!r}; one of: {', '.join(FORMATS)}")
    return format


def format_label(format: str | None) -> str:
    if format is None:
        return URL_ARGUMENT
    return FORMAT_LABELS.get(format, format)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry (or the whole source, line None) that gave no link, and why."""

    source: str
    line: int | None
    reason: str

    def where(self) -> str:
        return self.source + (f":{self.line}" if self.line else "")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    source: str  # as named: the path, "-", the uploaded file's name
    format: str | None  # the format read (FORMATS); None for a URL argument
    added: int
    already_present: int
    skipped: tuple[Skipped, ...]
    link_ids: tuple[int, ...]  # one per distinct URL, in the source's order: what to archive

    def describe(self) -> str:
        """`Imported pocket.csv (Pocket CSV): 1,204 added, 37 already present, 3 skipped`."""
        return (
            f"Imported {self.source} ({format_label(self.format)}): {self.added:,} added, "
            f"{self.already_present:,} already present, {len(self.skipped):,} skipped"
        )


@dataclass(frozen=True, slots=True)
class ReadSource:
    """A source read and parsed, nothing written yet."""

    source: str
    result: ImportResult


def read_import(
    source: str,
    *,
    format: str = "auto",
    stdin: typing.BinaryIO | None = None,
    name: str | None = None,
) -> ReadSource:
    """Reads one source: a path, "-" (stdin), or a URL; `name` replaces the path in what the
    summary reports. Raises SourceError (UnknownFormat for the format) when it cannot be
    used as a whole."""
    result = read_source(source, stdin, format=check_format(format), name=name)
    return ReadSource(source=name or source, result=result)


def add_source(vault: Vault, read: ReadSource) -> ImportSummary:
    """Adds a read source's links, all or nothing (one transaction), and sums it up."""
    counts = vault.import_links(read.result.links)
    skipped = tuple(Skipped(p.source, p.line, p.message) for p in read.result.problems)
    return ImportSummary(
        source=read.source,
        format=read.result.format,
        added=counts.new,
        already_present=counts.existing,
        skipped=skipped,
        link_ids=tuple(counts.link_ids),
    )


def import_source(
    vault: Vault,
    source: str,
    *,
    format: str = "auto",
    stdin: typing.BinaryIO | None = None,
    name: str | None = None,
) -> ImportSummary:
    """Reads one source and adds its links: read_import, then add_source."""
    return add_source(vault, read_import(source, format=format, stdin=stdin, name=name))


def import_upload(
    vault: Vault, upload: typing.BinaryIO, filename: str | None, *, format: str = "auto"
) -> ImportSummary:
    """Imports an uploaded file: copied (in chunks) to a temporary file that keeps its name's
    suffix, then read as `linkvault archive` reads a path. A linkvault JSON export raises
    ExportUploaded when the format is not forced."""
    check_format(format)
    name = PurePath(filename or "").name.strip() or "upload"
    with tempfile.TemporaryDirectory(prefix="linkvault-import-") as folder:
        suffix = PurePath(name).suffix
        path = Path(folder) / ("upload" + (suffix if _SAFE_SUFFIX.fullmatch(suffix) else ""))
        with path.open("wb") as file:
            shutil.copyfileobj(upload, file, 1024 * 1024)
        if format == "auto" and is_export(path):
            raise ExportUploaded(
                f"{name} is a linkvault JSON export: restore it with `linkvault archive "
                f"{name}` on the server (an upload only imports lists and other tools' exports)"
            )
        return import_source(vault, str(path), format=format, name=name)
