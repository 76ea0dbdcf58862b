"""The extractors on HTML, plain text and everything else: main text, metadata, sniffing,
unsupported bodies. (test_extract_charsets.py has the charsets, test_extract_pdf.py PDFs.)"""

from __future__ import annotations

import os
import pickle
import random
import re
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import archiver._html
from archiver.extract import Extracted, extract
from tests.archiver._helpers import FRENCH, URL, fixture, page

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
