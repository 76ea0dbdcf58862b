"""Link lists in: markdown, plain text, browser bookmark exports, other tools' exports (by
their content: archiver/_listformat.py), stdin or a single URL.

Every importer returns an ImportResult: the links in document order (the first occurrence
of a normalized URL wins) and the problems found on the way, with line numbers. A bad line
never stops an import; only input that is unusable as a whole raises SourceError.
"""

from __future__ import annotations

import re
import sys
import typing
from pathlib import Path

from archiver._bookmarks import parse_bookmarks
from archiver._browser_json import parse_chrome, parse_firefox
from archiver._charset import NotText, decode_list
from archiver._csv_exports import parse_instapaper, parse_pocket, parse_raindrop
from archiver._json_exports import parse_karakeep, parse_linkwarden, parse_pinboard
from archiver._linklist import SourceError, clean_text
from archiver._listformat import KINDS, Kind, export_kind, kind_from_suffix, sniff_kind
from archiver._markdown import parse_markdown
from archiver._textlist import parse_text
from archiver.records import ImportResult, LinkSpec, SourceProblem
from archiver.urls import normalize_url

__all__ = [
    "ImportResult",
    "LinkSpec",
    "SourceError",
    "FORMATS",
    "SourceProblem",
    "clean_text",
    "parse_bookmarks",
    "parse_markdown",
    "parse_text",
    "read_source",
]

ARGS_SOURCE = "<args>"
STDIN_SOURCE = "-"
# Far above any real list (bookmark exports with icons reach tens of MB), and stops
# `linkvault archive /dev/zero` from eating all memory.
MAX_SOURCE_BYTES = 256 * 1024 * 1024

_URL_ARG = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.\-]*://")
_PARSERS: dict[Kind, typing.Callable[[str, str], ImportResult]] = {
    "markdown": parse_markdown,
    "text": parse_text,
    "bookmarks": parse_bookmarks,
    "chrome": parse_chrome,
    "firefox": parse_firefox,
    "pocket": parse_pocket,
    "instapaper": parse_instapaper,
    "raindrop": parse_raindrop,
    "pinboard": parse_pinboard,
    "karakeep": parse_karakeep,
    "linkwarden": parse_linkwarden,
}
# What `--format` accepts: "auto" (by name, then by content) or one of the kinds.
FORMATS: tuple[str, ...] = ("auto", *KINDS)


def read_source(
    arg: str, stdin: typing.BinaryIO | None = None, *, format: str = "auto"
) -> ImportResult:
    """Import the links of one command-line argument: a file path, "-" for stdin, or a URL.

    `format` forces one of FORMATS instead of deciding by the name and the content.
    Raises SourceError for input that cannot be used at all (missing, a directory,
    unreadable, binary). An empty list is not an error: it gives a "no links found" problem.
    """
    if arg == STDIN_SOURCE:
        data = _read_stream(stdin if stdin is not None else sys.stdin.buffer)
        text = _decode(data, "standard input")
        return _PARSERS[_forced(format) or sniff_kind(text)](text, STDIN_SOURCE)
    path = Path(arg)
    if _URL_ARG.match(arg) and not _exists(path):
        return _url_argument(arg)
    data = _read_file(path, arg)
    text = _decode(data, arg)
    # An export saved as .txt or .html is still the export: its content says so.
    kind = _forced(format) or export_kind(text) or kind_from_suffix(path.suffix)
    return _PARSERS[kind or sniff_kind(text)](text, arg)


def _forced(format: str) -> Kind | None:
    if format == "auto":
        return None
    for kind in KINDS:
        if kind == format:
            return kind
    raise SourceError(f"unknown format {format!r}; one of: {', '.join(FORMATS)}")


def _decode(data: bytes, name: str) -> str:
    try:
        return decode_list(data, name)
    except NotText as exc:
        raise SourceError(str(exc)) from None


def _url_argument(arg: str) -> ImportResult:
    url = arg.strip()
    try:
        normalized = normalize_url(url)
    except ValueError as exc:
        raise SourceError(f"{arg!r} is not a usable URL: {exc}") from None
    spec = LinkSpec(url, normalized, None, None, ARGS_SOURCE, None)
    return ImportResult(links=[spec], problems=[])


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _read_stream(stream: typing.BinaryIO) -> bytes:
    try:
        data = stream.read(MAX_SOURCE_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"standard input: cannot read it ({exc.strerror or exc})") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"standard input: larger than {MAX_SOURCE_BYTES // 2**20} MB")
    return data


def _read_file(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(MAX_SOURCE_BYTES + 1)
    except FileNotFoundError:
        raise SourceError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise SourceError(f"{name}: is a directory, not a link list") from None
    except PermissionError:
        raise SourceError(f"{name}: permission denied") from None
    except OSError as exc:
        raise SourceError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    except ValueError as exc:  # a NUL byte in the name
        raise SourceError(f"{name!r}: not a valid path ({exc})") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(f"{name}: larger than {MAX_SOURCE_BYTES // 2**20} MB")
    return data
