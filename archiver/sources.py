"""Link lists in: markdown, plain text, browser bookmark exports, other tools' exports (by
their content: archiver/_listformat.py), stdin or a single URL.

Every importer returns an ImportResult: the links in document order (the first occurrence
of a normalized URL wins) and the problems found on the way, with line numbers. A bad line
never stops an import; only input that is unusable as a whole raises SourceError.
"""

from __future__ import annotations

import json
import re
import sys
import typing
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from archiver._bookmarks import parse_bookmarks
from archiver._browser_json import parse_chrome, parse_firefox
from archiver._charset import NotText, decode_list, normalize_charset
from archiver._csv_exports import parse_instapaper, parse_pocket, parse_raindrop
from archiver._json_exports import parse_karakeep, parse_linkwarden, parse_pinboard
from archiver._linklist import ListBase, SourceError, clean_text
from archiver._listformat import KINDS, Kind, export_kind, kind_from_suffix, sniff_kind
from archiver._markdown import parse_markdown
from archiver._omnivore import parse_omnivore, parse_omnivore_zip
from archiver._textlist import parse_text
from archiver._wallabag import parse_wallabag
from archiver._zipread import is_zip
from archiver.records import ImportResult, LinkSpec, SourceProblem
from archiver.urls import normalize_url

__all__ = [
    "ImportResult",
    "LinkSpec",
    "SourceError",
    "FORMATS",
    "ListBase",
    "SourceProblem",
    "clean_text",
    "parse_bookmarks",
    "parse_markdown",
    "parse_text",
    "read_source",
    "read_web_list",
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
    "wallabag": parse_wallabag,
    "omnivore": parse_omnivore,
}
# Exports that come as a zip, recognised by its magic bytes before any decoding.
_ZIP_PARSERS: dict[Kind, typing.Callable[[bytes, str], ImportResult]] = {
    "omnivore": parse_omnivore_zip,
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
        if is_zip(data):
            return _read_zip(data, STDIN_SOURCE, format)
        text = _decode(data, "standard input")
        forced = _forced(format)
        return _read_as(forced or sniff_kind(text), text, STDIN_SOURCE, guessed=forced is None)
    path = Path(arg)
    if name is None and _URL_ARG.match(arg) and not _exists(path):
        return _url_argument(arg)
    shown = arg if name is None else name
    forced = _forced(format)  # an unknown format is refused before the file is read
    data = _read_file(path, shown)
    if is_zip(data):
        return _read_zip(data, shown, format)
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


def _read_zip(data: bytes, name: str, format: str) -> ImportResult:
    kind = _forced(format) or "omnivore"  # the one zip export read so far
    parser = _ZIP_PARSERS.get(kind)
    if parser is None:
        raise SourceError(f"{name}: a zip file, not a {kind} list")
    result = parser(data, name)
    result.format = kind
    return result


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


# -- a list read from the web (`linkvault follow`) ----------------------------------------------

_BASED_PARSERS: dict[Kind, typing.Callable[..., ImportResult]] = {
    "markdown": parse_markdown,
    "text": parse_text,
    "bookmarks": parse_bookmarks,
}
_MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def read_web_list(
    data: bytes,
    name: str,
    base: ListBase,
    *,
    content_type: str | None = None,
    charset: str | None = None,
    kind: Kind | None = None,
) -> ImportResult:
    """The links of a list fetched from the web; `name` names it in problems.

    Decoded with the charset its server named when that reads it cleanly, else as a file
    is. Its format: `kind` when the caller knows it (a GitHub README is markdown), else
    the suffix of its URL's path, its content type, its content. Relative links resolve
    against `base.url`; anchors and links to the list itself are left out.
    Raises SourceError for bytes that are no text.
    """
    text = _decode_web(data, name, charset)
    path = PurePosixPath(urlsplit(name).path)
    chosen = kind or export_kind(text) or kind_from_suffix(path.suffix)
    if chosen is None and content_type in _MARKDOWN_TYPES:
        chosen = "markdown"
    if chosen is None and content_type in _HTML_TYPES:
        chosen = "bookmarks"
    chosen = chosen or sniff_kind(text)
    if chosen in _BASED_PARSERS:
        return _BASED_PARSERS[chosen](text, name, base=base)
    return _PARSERS[chosen](text, name)


def _decode_web(data: bytes, name: str, charset: str | None) -> str:
    codec = normalize_charset(charset)
    if codec is not None:
        try:
            return data.decode("utf-8-sig" if codec == "utf-8" else codec)
        except (UnicodeDecodeError, LookupError):
            pass  # a wrong label: read it as a file would be
    return _decode(data, name)
