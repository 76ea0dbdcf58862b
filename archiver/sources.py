"""Link lists in: markdown, plain text, browser bookmark exports, stdin or a single URL.

Every importer returns an ImportResult: the links in document order (the first occurrence
of a normalized URL wins) and the problems found on the way, with line numbers. A bad line
never stops an import; only input that is unusable as a whole raises SourceError.
"""

from __future__ import annotations

import json
import re
import sys
import typing
from pathlib import Path

from archiver._bookmarks import parse_bookmarks
from archiver._browser_json import parse_chrome, parse_firefox
from archiver._charset import NotText, decode_list
from archiver._csv_exports import parse_instapaper, parse_pocket
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
}
# What `--format` accepts: "auto" (by name, then by content) or one of the kinds.
FORMATS: tuple[str, ...] = ("auto", *KINDS)


def read_source(
    arg: str,
    stdin: typing.BinaryIO | None = None,
    *,
    format: str = "auto",
    name: str | None = None,
) -> ImportResult:
    """Import the links of one command-line argument: a file path, "-" for stdin, or a URL.

    `format` forces one of FORMATS instead of deciding by the name and the content. `name`
    is what the links and problems say they came from instead of the path (an uploaded
    file's name, when its bytes were saved to a temporary file). The result's `format` says
    which format was read. Raises SourceError for input that cannot be used at all
    (missing, a directory, unreadable, binary, an unknown format). An empty list is not an
    error: it gives a "no links found" problem.
    """
    if arg == STDIN_SOURCE:
        data = _read_stream(stdin if stdin is not None else sys.stdin.buffer)
        text = _decode(data, "standard input")
        forced = _forced(format)
        return _read_as(forced or sniff_kind(text), text, STDIN_SOURCE, guessed=forced is None)
    path = Path(arg)
    if name is None and _URL_ARG.match(arg) and not _exists(path):
        return _url_argument(arg)
    shown = arg if name is None else name
    forced = _forced(format)  # an unknown format is refused before the file is read
    data = _read_file(path, shown)
    text = _decode(data, shown)
    # An export saved as .txt or .html is still the export: its content says so.
    kind = forced or export_kind(text) or kind_from_suffix(path.suffix)
    return _read_as(kind or sniff_kind(text), text, shown, guessed=forced is None)


def _read_as(kind: Kind, text: str, source: str, *, guessed: bool) -> ImportResult:
    if guessed and kind in ("text", "markdown") and _is_json(text):
        # Read as a plain list, an unknown tool's JSON would give whatever URLs its strings
        # hold (icons, API links) as links: refused whole instead.
        raise SourceError(
            f"{source}: a JSON file of no format linkvault knows (not a linkvault export, "
            f"nor one of: {', '.join(KINDS)}); nothing was imported"
        )
    result = _PARSERS[kind](text, source)
    result.format = kind
    return result


def _is_json(text: str) -> bool:
    head = text.lstrip("\ufeff").lstrip()[:1]
    if head not in ("{", "["):
        return False
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # "[[[[…" nests deeper than the parser goes
        return False  # a markdown list may well start with "[title](url)"
    return True


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
