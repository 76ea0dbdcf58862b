"""Bytes of a link list to text, and a guess at its format when the name does not tell."""

from __future__ import annotations

import codecs
import re
from typing import Literal

import charset_normalizer

from archiver._linklist import SourceError

__all__ = ["Kind", "decode_source", "kind_from_suffix", "sniff_kind"]

Kind = Literal["markdown", "text", "bookmarks"]

_SUFFIXES: dict[str, Kind] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".mkd": "markdown",
    ".mkdn": "markdown",
    ".txt": "text",
    ".text": "text",
    ".list": "text",
    ".urls": "text",
    ".html": "bookmarks",
    ".htm": "bookmarks",
    ".xhtml": "bookmarks",
}
# Longest first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_\-:.]{1,40})""", re.I
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Share of control characters above which "text" is really a binary file read as text.
_MAX_CONTROL_RATIO = 0.02
_SAMPLE = 1_000_000


def kind_from_suffix(suffix: str) -> Kind | None:
    return _SUFFIXES.get(suffix.lower())


def decode_source(data: bytes, name: str) -> str:
    """UTF-8 (BOM aware), UTF-16/32 with BOM, a declared HTML charset, else detection.

    Raises SourceError for binary data."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            # A BOM is a clear statement; a few broken bytes should not lose the whole list.
            return _check_text(data[len(bom) :].decode(encoding, errors="replace"), name)
    has_nul = b"\x00" in data[:_SAMPLE]
    if not has_nul:
        try:
            return _check_text(data.decode("utf-8"), name)
        except UnicodeDecodeError:
            pass
        declared = _declared_charset(data)
        if declared:
            try:
                return _check_text(data.decode(declared), name)
            except UnicodeDecodeError:
                pass
    guess = _detect(data)
    if has_nul:
        if guess is None:
            raise SourceError(f"{name}: cannot decode it as text; is it a binary file?")
        # Only UTF-16/32 text legitimately contains NUL bytes.
        if not guess.encoding.startswith(("utf_16", "utf_32")):
            raise SourceError(f"{name}: looks like a binary file, not a link list")
        return _check_text(str(guess), name)
    text = None if guess is None else str(guess)
    if text is None or _looks_binary(text):
        # On a short list in a legacy code page the detector may give up (Polish in cp1250)
        # or pick an exotic one (cp1006) that reads letters as control characters, and the
        # list would be refused as binary. Its URLs are ASCII: Windows-1252 keeps them, and
        # binary data still fails the control character check.
        fallback = data.decode("cp1252", errors="replace")
        if text is None or not _looks_binary(fallback):
            text = fallback
    return _check_text(text, name)


def _detect(data: bytes) -> charset_normalizer.CharsetMatch | None:
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    # On a short list the detector often cannot tell the Latin code pages apart and picks
    # Baltic or Central European ones for French text; Windows-1252 is by far the most
    # common of them, so it wins every near tie.
    for match in matches:
        if (
            match.encoding == "cp1252"
            and match.percent_chaos <= best.percent_chaos + 5
            and match.percent_coherence >= best.percent_coherence - 1
        ):
            return match
    return best


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:8192])
    if match is None:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE]
    return bool(sample) and len(_CONTROL.findall(sample)) > _MAX_CONTROL_RATIO * len(sample)


def _check_text(text: str, name: str) -> str:
    if _looks_binary(text):
        raise SourceError(f"{name}: looks like a binary file, not a link list")
    return text


_NETSCAPE = re.compile(r"<!doctype\s+netscape-bookmark-file", re.I)
_HTML_START = re.compile(r"\s*(?:<!doctype\s+html|<html[\s>])", re.I)
_MARKDOWN_LINK = re.compile(
    r"\]\(\s*<?[^\s)]|^ {0,3}\[[^\]\n]+\]:\s*\S|<[A-Za-z][\w+.\-]*:[^\s<>]*>", re.M
)
_HTML_LINK = re.compile(r"<a\s[^<>]*href\s*=", re.I)


def sniff_kind(text: str) -> Kind:
    """Bookmarks/HTML, markdown, or a plain list, from the first 64 kB."""
    head = text[:65536].lstrip("\ufeff")
    if _NETSCAPE.search(head[:4096]) or _HTML_START.match(head):
        return "bookmarks"
    # Markdown link syntax wins over inline <a href> since READMEs often contain both.
    if _MARKDOWN_LINK.search(head):
        return "markdown"
    if _HTML_LINK.search(head):
        return "bookmarks"
    return "text"
