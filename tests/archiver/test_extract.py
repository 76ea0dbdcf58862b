from __future__ import annotations

import io
import os
import pickle
import random
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

import archiver._html
import archiver._pdf
from archiver._charset import detect_encoding, normalize_charset
from archiver._html import normalize_language
from archiver.extract import Extracted, decode_html, extract

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
URL = "https://valley.example/news/night-buses"

FRENCH = "Le café coûte 3 € — “très” bon, l’été. Crème brûlée à volonté, façon naïve."
JAPANESE = "日本語のテキストです。東京は日本の首都で、とても大きな都市です。桜の季節は美しい。"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}<title>T</title></head><body>{body}</body></html>"


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


# --- HTML -------------------------------------------------------------------------------


def test_article_main_text_without_page_chrome() -> None:
    result = extract(fixture("article.html"), "text/html", URL)

    assert result.kind == "html"
    assert result.error is None
    assert "Night buses will return to the valley in March" in result.text
    assert "Sunday services should be added" in result.text
    assert "Paid for by a levy" in result.text
    for chrome in ("NAVLINK", "FOOTER_TOKEN", "COMMENT_TOKEN", "RELATED_TOKEN", "COOKIEBANNER"):
        assert chrome not in result.text
    # Paragraphs stay apart for the reader view.
    assert "authority confirmed on Thursday.\n\nTwo routes will run" in result.text


def test_article_metadata() -> None:
    result = extract(fixture("article.html"), "text/html", URL)

    assert result.title == "Night buses return to the valley after six years"
    assert result.author == "Priya Raman"
    assert result.published == "2024-02-09"
    assert result.sitename == "Valley Gazette"
    assert result.description == "Two night routes will run on Fridays and Saturdays from March."
    assert result.language == "en-GB"


def test_script_style_and_noscript_never_reach_the_text() -> None:
    for name in ("article.html", "linklist.html"):
        result = extract(fixture(name), "text/html", URL)
        assert result.text
        assert "SCRIPT_TOKEN" not in result.text
        assert "STYLE_TOKEN" not in result.text
        assert "NOSCRIPT_TOKEN" not in result.text


def test_script_never_reaches_text_on_the_regex_fallback() -> None:
    # Nesting past libxml2's depth limit loses the tree, so the last-resort path runs.
    html = (
        "<html><body>" + "<div>" * 5000 + "<script>var leak = 'SCRIPT_TOKEN_DEEP';</script>"
        "<p>deeply nested words</p><script>unclosed('SCRIPT_TOKEN_OPEN')"
    )
    result = extract(html.encode(), "text/html", URL)

    assert "deeply nested words" in result.text
    assert "SCRIPT_TOKEN" not in result.text


def test_link_list_page_without_article_still_gets_text() -> None:
    result = extract(fixture("linklist.html"), "text/html", URL)

    assert result.kind == "html"
    assert result.title == "Awesome Tide Power"
    for name in ("Tidal Atlas", "Barrage Data", "Mill Pond Simulator", "Turbine Survey"):
        assert name in result.text


def test_short_page_is_not_stored_empty() -> None:
    result = extract(page("<p>Back soon.</p>").encode(), "text/html", URL)

    assert result.text == "Back soon."
    assert result.error is None


def test_page_whose_only_text_is_a_nav_still_gets_it() -> None:
    html = page("<nav><a href='/a'>Archive</a> <a href='/b'>Contact</a></nav><script>x()</script>")

    result = extract(html.encode(), "text/html", URL)

    assert "Archive" in result.text
    assert "Contact" in result.text
    assert "x()" not in result.text


def test_html_fragment_and_plain_words_served_as_html() -> None:
    assert extract(b"<p>Only a fragment here.</p>", "text/html", URL).text == (
        "Only a fragment here."
    )
    assert extract(b"just words, no markup", "text/html", URL).text == "just words, no markup"


def test_title_falls_back_to_first_heading() -> None:
    html = "<html><body><h1>Release notes</h1><p>Nothing else.</p></body></html>"

    assert extract(html.encode(), "text/html", URL).title == "Release notes"


def test_huge_page_gets_cheap_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archiver._html, "MAX_TREE_ELEMENTS", 50)
    head = (
        '<meta name="author" content="Kim Lee"><meta property="og:site_name" content="Big Site">'
        '<meta property="article:published_time" content="2021-05-06T10:00:00Z">'
    )
    rows = "".join(f"<li><a href='/{i}'>entry number {i}</a></li>" for i in range(200))
    html = page(
        f"<nav><a href='/'>Home</a></nav><ul>{rows}</ul><script>SCRIPT_TOKEN</script>", head
    )

    result = extract(html.encode(), "text/html", URL)

    assert "entry number 0" in result.text
    assert "entry number 199" in result.text
    assert "SCRIPT_TOKEN" not in result.text
    assert (result.title, result.author, result.sitename) == ("T", "Kim Lee", "Big Site")
    assert result.published == "2021-05-06"


def test_unlabelled_html_is_sniffed() -> None:
    for content_type in (None, "application/octet-stream", "binary/octet-stream"):
        result = extract(fixture("article.html"), content_type, URL)
        assert result.kind == "html"
        assert "Night buses will return" in result.text


def test_xhtml_is_html() -> None:
    result = extract(fixture("article.html"), "application/xhtml+xml", URL)

    assert result.kind == "html"
    assert result.title == "Night buses return to the valley after six years"


# --- charsets ---------------------------------------------------------------------------


def test_cp1252_declared_only_in_meta() -> None:
    result = extract(fixture("cp1252_meta.html"), "text/html", URL)

    assert "un crème coûte 2,50 € et les “habitués” parlent de l’été à venir" in result.text
    assert result.title == "Le café du coin"
    assert result.language == "fr"


def test_shift_jis_declared_in_meta() -> None:
    result = extract(fixture("shift_jis_meta.html"), "text/html", URL)

    assert "京都の秋はとても美しいです。" in result.text
    assert result.title == "京都の紅葉"


def test_shift_jis_declared_by_header_only() -> None:
    body = page(f"<p>{JAPANESE}</p>").encode("shift_jis")

    assert JAPANESE in extract(body, "text/html", URL, header_charset="Shift_JIS").text
    # A charset parameter left in the content type counts as the header charset.
    assert JAPANESE in extract(body, "text/html; charset=Shift_JIS", URL).text


def test_no_declaration_is_detected() -> None:
    japanese = page(f"<p>{JAPANESE}</p>").encode("shift_jis")
    french = page(f"<p>{FRENCH}</p>").encode("cp1252")

    assert JAPANESE in decode_html(japanese, None)
    assert FRENCH in decode_html(french, None)


def test_latin1_header_on_utf8_body_reads_utf8() -> None:
    body = page(f"<p>{FRENCH}</p>").encode("utf-8")

    assert FRENCH in extract(body, "text/html", URL, header_charset="ISO-8859-1").text
    assert detect_encoding(body, "iso-8859-1", markup=True) == "utf-8"


def test_utf8_with_a_stray_byte_stays_utf8() -> None:
    body = page(f"<p>{FRENCH}</p><p>broken \xff byte</p>").encode().replace(b"\xc3\xbf", b"\xff")

    assert FRENCH in decode_html(body, None)
    assert FRENCH in decode_html(body, "iso-8859-1")


def test_utf8_header_on_shift_jis_body_falls_back_to_meta() -> None:
    body = page(f"<p>{JAPANESE}</p>", '<meta charset="shift_jis">').encode("shift_jis")

    assert JAPANESE in decode_html(body, "utf-8")


def test_latin1_label_decodes_as_windows_1252() -> None:
    body = page(f"<p>{FRENCH}</p>").encode("cp1252")

    assert FRENCH in decode_html(body, "iso-8859-1")
    assert FRENCH in decode_html(body, "us-ascii")


def test_bom_wins_over_header_and_meta() -> None:
    utf8 = b"\xef\xbb\xbf" + page(f"<p>{FRENCH}</p>", '<meta charset="shift_jis">').encode()
    utf16 = page(f"<p>{JAPANESE}</p>").encode("utf-16")

    assert FRENCH in decode_html(utf8, "windows-1251")
    assert not decode_html(utf8, None).startswith("\ufeff")
    assert JAPANESE in extract(utf16, "text/html", URL, header_charset="iso-8859-1").text


def test_utf16_without_bom_declared_by_header() -> None:
    body = page(f"<p>{FRENCH}</p>").encode("utf-16-le")

    assert FRENCH in extract(body, "text/html", URL, header_charset="UTF-16LE").text


def test_bogus_charset_names_fall_through_to_detection() -> None:
    body = page(f"<p>{FRENCH}</p>", '<meta charset="no-such-charset">').encode("cp1252")

    assert FRENCH in decode_html(body, "x-unknown-garbage")
    assert FRENCH in decode_html(body, "base64")  # a Python codec, but not a text encoding


def test_normalize_charset() -> None:
    assert normalize_charset("ISO-8859-1") == "cp1252"
    assert normalize_charset("US-ASCII") == "cp1252"
    assert normalize_charset('"utf8"') == "utf-8"
    assert normalize_charset("Shift_JIS") == "cp932"
    assert normalize_charset("windows-31j") == "cp932"
    assert normalize_charset("gb2312") == "gb18030"
    assert normalize_charset("utf-7") is None
    assert normalize_charset("rot13") is None
    assert normalize_charset("") is None


def test_normalize_language() -> None:
    assert normalize_language("en_US") == "en-US"
    assert normalize_language("zh-hant-tw") == "zh-Hant"
    assert normalize_language("DE") == "de"
    assert normalize_language("und") is None
    assert normalize_language("12") is None


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


# --- text and everything else -----------------------------------------------------------


def test_plain_text_is_decoded_and_normalised() -> None:
    body = "First line\r\nSecond line: café\r\n".encode()

    result = extract(body, "text/plain", "https://valley.example/notes.txt")

    assert result == Extracted(kind="text", text="First line\nSecond line: café")


def test_plain_text_with_legacy_header_charset() -> None:
    body = FRENCH.encode("cp1252")

    assert extract(body, "text/plain", URL, header_charset="iso-8859-1").text == FRENCH


def test_markdown_title() -> None:
    body = b"# Release checklist\n\nTag, build, upload.\n"

    assert extract(body, "text/markdown", URL).title == "Release checklist"
    assert extract(body, "text/plain", "https://raw.example/docs/README.md").title == (
        "Release checklist"
    )
    assert extract(body, "text/plain", "https://raw.example/notes.txt").title is None


def test_json_and_unlabelled_text_are_text() -> None:
    assert extract(b'{"name": "linkvault"}', "application/json", URL).text == (
        '{"name": "linkvault"}'
    )
    unlabelled = extract(b"plain notes without a label", None, URL)
    assert (unlabelled.kind, unlabelled.text) == ("text", "plain notes without a label")


def test_images_and_archives_are_unsupported() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(200)
    zipped = b"PK\x03\x04" + os.urandom(200)

    assert extract(png, "image/png", URL) == Extracted(
        kind="unsupported", text="", error="image/png has no text to extract"
    )
    assert extract(png, None, URL).error == "image/png has no text to extract"
    assert extract(png, "application/octet-stream", URL).kind == "unsupported"
    assert extract(zipped, "application/zip", URL).error == (
        "application/zip has no text to extract"
    )
    assert extract(b"<svg>not really</svg>", "video/mp4", URL).kind == "unsupported"
    assert extract(b"<svg><text>a label</text></svg>", "image/svg+xml", URL).kind == "unsupported"
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert extract(zipped, docx, URL).error == f"{docx} has no text to extract"


def test_empty_body() -> None:
    for body in (b"", b"   \n\t "):
        result = extract(body, "text/html", URL)
        assert (result.kind, result.text, result.error) == ("html", "", "empty body")
    assert extract(b"", None, URL).text == ""


def test_garbage_bytes_are_unsupported() -> None:
    noise = random.Random(7).randbytes(4000)

    for content_type in (None, "application/octet-stream", "text/html", "text/plain"):
        result = extract(noise, content_type, URL)
        assert (result.kind, result.text) == ("unsupported", "")
        assert result.error


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.one_of(
        st.binary(max_size=600),
        st.text(max_size=300).map(lambda text: f"<html><body>{text}</body></html>".encode()),
    ),
    content_type=st.sampled_from(
        [None, "text/html", "text/plain", "application/pdf", "image/gif", "application/json"]
    ),
    header_charset=st.sampled_from([None, "utf-8", "shift_jis", "latin-1", "bogus", "utf-16"]),
)
def test_extract_never_raises(
    body: bytes, content_type: str | None, header_charset: str | None
) -> None:
    result = extract(body, content_type, URL, header_charset=header_charset)

    assert isinstance(result, Extracted)
    assert isinstance(result.text, str)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", result.text)


def test_result_is_picklable_and_works_in_a_process_pool() -> None:
    body = fixture("article.html")
    with ProcessPoolExecutor(max_workers=1) as pool:
        remote = pool.submit(extract, body, "text/html", URL).result(timeout=60)

    assert remote == extract(body, "text/html", URL)
    assert pickle.loads(pickle.dumps(remote)) == remote
