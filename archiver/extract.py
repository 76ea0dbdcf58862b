"""Fetched bytes to searchable text: HTML (trafilatura), PDF (pypdf) and plain text.

`extract` runs in ProcessPoolExecutor workers, so it is a pure top-level function that never
raises and returns a picklable `Extracted`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from archiver._charset import decode, normalize_charset, sniff_bom
from archiver._html import HtmlOptions, extract_html
from archiver._pdf import extract_pdf
from archiver.document import Document

__all__ = [
    "EXTRACTOR_OPTIONS",
    "EXTRACTOR_VERSION",
    "Extracted",
    "HtmlOptions",
    "decode_html",
    "extract",
    "extract_html",
]

Kind = Literal["html", "pdf", "text", "unsupported"]

# Stored with each snapshot (snapshots.extracted_with). Raise it whenever a change to
# extraction changes what it gives for the same bytes: `linkvault reextract` redoes the
# snapshots made by an older version, from their stored bodies.
EXTRACTOR_VERSION: Final = 1

# Chosen with bench/extract_eval.py (26 hand-made pages; token F1; CPU ms/page on one core,
# whole pipeline with metadata; "heavy" = the pages plus the inline JSON/CSS/menus real pages
# carry):                               P      R      F1     ms   heavy
#   trafilatura.extract() defaults      0.906  0.989  0.938  12   23  (no metadata)
#   defaults, comments set aside        0.961  0.988  0.973  14   32
#   favor_precision, comments aside     0.968  0.985  0.975  14   30
#   favor_recall, comments aside        0.959  0.996  0.977  12   25  <- chosen
# Comments are the big win: extract() appends reader comments to the text, which costs
# precision on every blog with a comment thread. favor_recall keeps headings and lists that
# the balanced mode drops when a page has no recognisable article container, and is faster.
# Our corpus is not the product owner's held-out set; see bench/extract_eval.py.
# The structured copy (HtmlOptions.structure, archiver/_structure.py) reuses the parsed page
# and trafilatura's text, never a second trafilatura run: +26-31% ms/page on the pages as
# written, +12-18% inflated (same runs, shared 2-core machine); text and F1 unchanged.
EXTRACTOR_OPTIONS: Final = HtmlOptions(
    favor_recall=True,
    include_comments=True,  # set aside by trafilatura, then dropped (append_comments=False)
    include_tables=True,  # tables in articles are content: F1 0.965 without them
    fast=False,
    deduplicate=False,
    # htmldate's text search found only wrong dates (copyright years) in the eval corpus and
    # on real docs pages, and took a third of the time; markup and JSON-LD dates are kept.
    date_extensive_search=False,
    append_comments=False,
)

# Plain text beyond this is cut (a 20 MB log file is not read for its last lines).
MAX_TEXT_CHARS = 5_000_000


@dataclass(slots=True)
class Extracted:
    kind: Kind
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # ISO date "YYYY-MM-DD" when known
    sitename: str | None = None
    description: str | None = None
    language: str | None = None
    # Why there is no text ("image/png has no text to extract", "PDF is encrypted ..."), or a
    # note on partial text ("only the first 300 of 2000 pages were extracted").
    error: str | None = None
    # The structured copy the reader shows (archiver/document.py); None where the page gave
    # none. Search indexes ``text``, never this.
    document: Document | None = None


_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/vnd.wap.xhtml+xml"})
_XML_TYPES = frozenset(
    {"text/xml", "application/xml", "application/rss+xml", "application/atom+xml"}
)
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
_TEXT_APP_TYPES = frozenset(
    {
        "application/json",
        "application/x-ndjson",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "application/yaml",
        "application/x-yaml",
        "application/toml",
        "application/x-sh",
        "application/x-tex",
        "application/sql",
    }
)
# Labels that say "I don't know": the body decides.
_GENERIC_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/unknown",
        "application/x-unknown",
        "unknown/unknown",
        "application/x-download",
        "application/force-download",
        "*/*",
    }
)
_BINARY_FAMILIES = ("image/", "audio/", "video/", "font/", "model/")

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"BZh", "application/x-bzip2"),
    (b"\xfd7zXZ\x00", "application/x-xz"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"wOFF", "font/woff"),
    (b"wOF2", "font/woff2"),
    (b"\x00asm", "application/wasm"),
    (b"\x7fELF", "application/x-executable"),
)
# WHATWG MIME sniffing: an unlabelled body starting with one of these is HTML.
_HTML_START = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    rb"|meta|link|!--)[\s>/]",
    re.IGNORECASE,
)
_XML_START = re.compile(rb"<\?xml\s")
_CONTROL_BYTES = bytes(range(0x20)).translate(None, b"\t\n\r\x0c\x1b") + b"\x7f"
_MARKDOWN_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^(=+|-+|~+|\*+|#+)\s*$")
_MARKUP_TEXT_TYPES = frozenset(
    {"text/markdown", "text/x-markdown", "text/x-rst", "text/prs.fallenstein.rst"}
)
# Raw files on code hosts come as text/plain; the extension says they are Markdown/reST.
_MARKUP_PATH = re.compile(r"\.(?:md|markdown|mdx|rst)(?:[?#]|$)", re.IGNORECASE)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def extract(
    body: bytes, content_type: str | None, url: str, header_charset: str | None = None
) -> Extracted:
    """Text and metadata of a fetched document. Never raises.

    `content_type` is the MIME type ("text/html"); parameters are tolerated and a charset
    among them is used when `header_charset` is not given.
    """
    try:
        return _extract(body, content_type, url, header_charset)
    except Exception as err:  # the last guard: a worker must always return a result
        return Extracted(kind="unsupported", text="", error=f"extraction failed: {err!r:.200}")


def decode_html(body: bytes, header_charset: str | None) -> str:
    """HTML bytes to str: BOM, then header charset (unless the body is valid UTF-8 and the header
    names a legacy charset, a common server misconfiguration), then <meta>/XML declaration, then
    detection with charset-normalizer. Latin-1/ASCII labels decode as windows-1252 (WHATWG)."""
    return decode(body, header_charset, markup=True)


def _extract(
    body: bytes, content_type: str | None, url: str, header_charset: str | None
) -> Extracted:
    mime, params_charset = _parse_content_type(content_type)
    charset = header_charset or params_charset
    kind, label = _classify(body, mime)
    if not body.strip():
        return Extracted(
            kind=kind if kind != "unsupported" else "text", text="", error="empty body"
        )
    if kind == "unsupported":
        return Extracted(kind="unsupported", text="", error=f"{label} has no text to extract")
    if kind == "pdf":
        pdf = extract_pdf(body)
        return Extracted(
            kind="pdf",
            text=pdf.text,
            title=pdf.title,
            author=pdf.author,
            published=pdf.published,
            language=pdf.language,
            error=pdf.error,
            document=pdf.document,
        )
    if _looks_binary(body, charset):
        return Extracted(
            kind="unsupported", text="", error=f"{label} body is binary data, not text"
        )
    if kind == "html":
        page = extract_html(body, url, charset, EXTRACTOR_OPTIONS)
        return Extracted(
            kind="html",
            text=page.text,
            title=page.title,
            author=page.author,
            published=page.published,
            sitename=page.sitename,
            description=page.description,
            language=page.language,
            error=None if page.text else "no text found in the page",
            document=page.document,
        )
    return _extract_text(body, mime, url, charset)


def _parse_content_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    mime, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return mime.strip().lower(), charset


def _classify(body: bytes, mime: str) -> tuple[Kind, str]:
    """Extraction path for the body, and the MIME type to name in errors."""
    head = body[:1024]
    if head.lstrip().startswith(b"%PDF-"):
        return "pdf", "application/pdf"  # PDFs are often served as octet-stream or text/plain
    if mime in _PDF_TYPES:
        return "pdf", mime
    if mime.startswith(_BINARY_FAMILIES):  # image/svg+xml included: an image, not a page
        return "unsupported", mime
    if mime in _HTML_TYPES or mime in _XML_TYPES or mime.endswith("+xml"):
        return "html", mime
    if mime.startswith("text/") or mime in _TEXT_APP_TYPES or mime.endswith("+json"):
        return "text", mime
    sniffed = _sniff(head)
    if sniffed is not None:
        kind, sniffed_mime = sniffed
        # A .docx is a zip inside: name the declared type, it says more.
        return kind, mime if kind == "unsupported" and mime not in _GENERIC_TYPES else sniffed_mime
    if mime in _GENERIC_TYPES and not _looks_binary(body):
        return "text", "text/plain"
    return "unsupported", mime if mime not in _GENERIC_TYPES else "application/octet-stream"


def _sniff(head: bytes) -> tuple[Kind, str] | None:
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return "unsupported", mime
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "unsupported", {b"WEBP": "image/webp", b"WAVE": "audio/wav"}.get(
            head[8:12], "video/x-msvideo"
        )
    if head[4:8] == b"ftyp":
        return "unsupported", "video/mp4"
    bom = sniff_bom(head)
    if bom and bom[0] != "utf-8":
        text = head[bom[1] :].decode(bom[0], "ignore").encode("utf-8")
    else:
        text = head[3:] if bom else head
    text = text.lstrip()
    if _HTML_START.match(text) or (_XML_START.match(text) and b"<html" in text.lower()):
        return "html", "text/html"
    if _XML_START.match(text):
        return "html", "application/xml"
    return None


def _looks_binary(body: bytes, charset: str | None = None) -> bool:
    """NUL bytes or many control characters: not text in any web charset but UTF-16/32."""
    sample = body[:8192]
    bom = sniff_bom(sample)
    wide = (normalize_charset(charset) or "").startswith(("utf-16", "utf-32"))
    if wide or (bom and bom[0] != "utf-8"):
        return not sample.strip(b"\x00")
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls * 50 > len(sample)


def _extract_text(body: bytes, mime: str, url: str, charset: str | None) -> Extracted:
    text = decode(body, charset, markup=False)
    error = None
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
        error = f"only the first {MAX_TEXT_CHARS:,} characters were kept"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL_CHARS.sub("", unicodedata.normalize("NFC", text)).strip()
    if not text:
        error = "no text found"
    title = _text_title(text) if mime in _MARKUP_TEXT_TYPES or _MARKUP_PATH.search(url) else None
    return Extracted(kind="text", text=text, title=title, error=error)


def _text_title(text: str) -> str | None:
    """First heading of a Markdown or reStructuredText document."""
    lines = text.split("\n", 60)[:60]
    for index, line in enumerate(lines):
        if len(line) > 500:  # not a heading; also keeps the regex cheap
            continue
        match = _MARKDOWN_TITLE.match(line)
        if match:
            return match.group(1)[:300]
        stripped = line.strip()
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if (
            stripped
            and not _UNDERLINE.match(stripped)
            and _UNDERLINE.match(following)
            and len(following) >= min(len(stripped), 3)
        ):
            return stripped[:300]
    return None
