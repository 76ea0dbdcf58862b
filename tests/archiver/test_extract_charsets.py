"""Decoding HTML: charsets declared in headers, meta tags and BOMs, or detected; and the
normalised charset and language names."""

from __future__ import annotations

from archiver._charset import detect_encoding, normalize_charset
from archiver._html import normalize_language
from archiver.extract import decode_html, extract
from tests.archiver._helpers import FRENCH, JAPANESE, URL, fixture, page

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
