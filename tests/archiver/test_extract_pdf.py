"""The PDF extractor on real PDFs written by hand: text, metadata, sniffing, encrypted,
corrupt and long files."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader, PdfWriter

import archiver._pdf
from archiver.extract import extract
from tests.archiver._helpers import URL


def make_pdf(
    pages: list[str],
    *,
    title: str | None = None,
    author: str | None = None,
    created: str | None = None,
    lang: str | None = None,
) -> bytes:
    """A real PDF, written by hand: Helvetica text, one content stream per page, exact xref."""
    objects: list[bytes] = []

    def add(obj: bytes) -> int:
        objects.append(obj)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    contents = []
    for text in pages:
        ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        contents.append(add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)))
    pages_id = len(objects) + len(pages) + 1
    kids = [
        add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (pages_id, font, content)
        )
        for content in contents
    ]
    refs = b" ".join(b"%d 0 R" % kid for kid in kids)
    assert add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (refs, len(kids))) == pages_id
    lang_entry = b" /Lang (%s)" % lang.encode() if lang else b""
    root = add(b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages_id, lang_entry))
    info_entries = [
        b"/%s (%s)" % (key, value.encode("latin-1"))
        for key, value in ((b"Title", title), (b"Author", author), (b"CreationDate", created))
        if value
    ]
    info = add(b"<< " + b" ".join(info_entries) + b" >>") if info_entries else None

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, obj))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"<< /Size %d /Root %d 0 R" % (len(objects) + 1, root)
    if info:
        trailer += b" /Info %d 0 R" % info
    out.write(b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def encrypt(pdf: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- PDF --------------------------------------------------------------------------------


def test_pdf_text_and_metadata() -> None:
    pdf = make_pdf(
        ["Hello archived world.\nSecond line of page one.", "Page two is about tide mills."],
        title="Tide Mills",
        author="Ada Byron",
        created="D:20230405101500Z",
        lang="en-GB",
    )

    result = extract(pdf, "application/pdf", "https://valley.example/mills.pdf")

    assert result.kind == "pdf"
    assert result.error is None
    assert "Hello archived world." in result.text
    assert "Page two is about tide mills." in result.text
    assert result.text.index("Second line") < result.text.index("Page two")
    assert (result.title, result.author) == ("Tide Mills", "Ada Byron")
    assert result.published == "2023-04-05"
    assert result.language == "en-GB"


def test_pdf_is_sniffed_whatever_the_label() -> None:
    pdf = make_pdf(["Sniffed by its magic bytes."])

    for content_type in (None, "application/octet-stream", "text/html", "text/plain"):
        result = extract(pdf, content_type, URL)
        assert result.kind == "pdf"
        assert "Sniffed by its magic bytes." in result.text


def test_encrypted_pdf_is_an_error_not_an_exception() -> None:
    pdf = make_pdf(["Secret text."])

    locked = extract(encrypt(pdf, "hunter2"), "application/pdf", URL)
    restricted = extract(encrypt(pdf, ""), "application/pdf", URL)

    assert (locked.kind, locked.text) == ("pdf", "")
    assert locked.error is not None and "encrypted" in locked.error
    # An empty user password only restricts printing and copying: the text is readable.
    assert "Secret text." in restricted.text


def test_corrupt_pdf_is_an_error_not_an_exception() -> None:
    pdf = make_pdf(["Will be cut."])

    for body in (pdf[:150], b"%PDF-1.7\n" + os.urandom(500), b"%PDF-"):
        result = extract(body, "application/pdf", URL)
        assert (result.kind, result.text) == ("pdf", "")
        assert result.error


def test_long_pdf_is_capped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archiver._pdf, "MAX_PDF_PAGES", 2)
    pdf = make_pdf([f"Page number {n}." for n in range(1, 6)])

    result = extract(pdf, "application/pdf", URL)

    assert "Page number 2." in result.text
    assert "Page number 3." not in result.text
    assert result.error == "only the first 2 of 5 pages were extracted"
