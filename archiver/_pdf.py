"""PDF to text with pypdf: page text, title/author/date/language from the document info."""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from datetime import datetime

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError
from pypdf.generic import DictionaryObject, PdfObject

from archiver._html import normalize_language
from archiver.document import Block, Document

# A 2000-page manual must not hold a worker for minutes: the first pages carry what search
# needs, and the rest is reported as not extracted.
MAX_PDF_PAGES = 300
MAX_PDF_SECONDS = 20.0

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_SPACES = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(slots=True)
class PdfText:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    language: str | None = None
    error: str | None = None
    # Paragraphs page by page, a {"t": "hr"} between pages; None when there is no text.
    document: Document | None = None


def extract_pdf(body: bytes) -> PdfText:
    """Text of a PDF; unreadable or encrypted files give empty text and an error, not raises."""
    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted and not _unlock(reader):
            return PdfText(text="", error="PDF is encrypted with a password")
        title, author, published = _info(reader)
        language = _language(reader)
        text, error, pages = _pages_text(reader)
    except (PyPdfError, PdfReadError) as err:
        return PdfText(text="", error=f"PDF could not be read: {_short(err)}")
    except Exception as err:  # pypdf raises plain KeyError/ValueError/... on broken files
        return PdfText(text="", error=f"PDF could not be read: {type(err).__name__}")
    if not text and error is None:
        error = "PDF has no extractable text (scanned images?)"
    return PdfText(
        text=text,
        title=title,
        author=author,
        published=published,
        language=language,
        error=error,
        document=_document(pages) if text else None,
    )


def _unlock(reader: PdfReader) -> bool:
    # Many PDFs are encrypted with an empty user password only to restrict printing/copying.
    try:
        return bool(reader.decrypt(""))
    except Exception:  # wrong password, or AES without the optional cryptography package
        return False


def _pages_text(reader: PdfReader) -> tuple[str, str | None, list[str]]:
    total = len(reader.pages)
    deadline = time.monotonic() + MAX_PDF_SECONDS
    chunks: list[str] = []
    done = 0
    for index in range(min(total, MAX_PDF_PAGES)):
        if time.monotonic() > deadline:
            break
        try:
            chunks.append(reader.pages[index].extract_text() or "")
        except Exception:  # one broken page should not lose the others
            chunks.append("")
        done += 1
    text = _BLANK_LINES.sub(
        "\n\n", _TRAILING_SPACES.sub("\n", _CONTROL.sub("", "\n\n".join(chunks)))
    ).strip()
    if done < total:
        return text, f"only the first {done} of {total} pages were extracted", chunks
    return text, None, chunks


def _document(pages: list[str]) -> Document:
    """Paragraphs of each page, a rule between pages (the page boundaries of the printout)."""
    blocks: list[Block] = []
    for number, page in enumerate(pages):
        if number:
            blocks.append({"t": "hr"})
        cleaned = _TRAILING_SPACES.sub("\n", _CONTROL.sub("", page.replace("\r", "")))
        blocks.extend({"t": "p", "c": [paragraph]} for paragraph in _paragraphs(cleaned))
    return Document(blocks)


def _paragraphs(page: str) -> list[str]:
    """PDF text comes as lines; a blank line, or a short line that ends a sentence, ends a
    paragraph (the last line of a justified paragraph stops short of the margin)."""
    lines = [line.strip() for line in page.split("\n")]
    longest = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(_join(current))
                current = []
            continue
        current.append(line)
        if line.endswith((".", "!", "?", ":", "\u201d", '"')) and len(line) < 0.75 * longest:
            paragraphs.append(_join(current))
            current = []
    if current:
        paragraphs.append(_join(current))
    return paragraphs


def _join(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        # A word broken at the margin ("exam-" / "ple") keeps its hyphen but not a space.
        text += line if text.endswith("-") else " " + line
    return text


def _info(reader: PdfReader) -> tuple[str | None, str | None, str | None]:
    try:
        info = reader.metadata
    except Exception:
        return None, None, None
    if info is None:
        return None, None, None
    published = None
    try:
        created = info.creation_date
    except Exception:  # malformed date strings are common
        created = None
    if isinstance(created, datetime):
        published = created.date().isoformat()
    return _text_field(info.get("/Title")), _text_field(info.get("/Author")), published


def _language(reader: PdfReader) -> str | None:
    try:
        root = reader.trailer["/Root"].get_object()
        lang = root.get("/Lang") if isinstance(root, DictionaryObject) else None
    except Exception:
        return None
    return normalize_language(_text_field(lang))


def _text_field(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, PdfObject):
        value = value.get_object()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = " ".join(_CONTROL.sub("", str(value)).split())
    return text[:1000] or None


def _short(err: Exception) -> str:
    return str(err).splitlines()[0][:200] if str(err) else type(err).__name__
