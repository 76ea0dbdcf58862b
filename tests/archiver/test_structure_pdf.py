"""The structured copy of a PDF: paragraphs page by page, a rule ({"t": "hr"}) between
pages; the text search indexes stays as it was."""

from __future__ import annotations

from archiver.document import Document
from archiver.extract import extract
from tests.archiver.test_extract_pdf import make_pdf

URL = "https://papers.example/report.pdf"
PAGE_ONE = (
    "Tide mills store water at high tide and release it through a wheel as the\n"
    "tide falls, which gives a few hours of work twice a day.\n"
    "They were common on the coasts of Europe from the medieval period onward and\n"
    "a few still run for visitors.\n"
    "Most stopped by 1900."
)
PAGE_TWO = "The second page has one short paragraph."


def test_paragraphs_and_page_boundaries() -> None:
    result = extract(make_pdf([PAGE_ONE, PAGE_TWO, "Third page."]), "application/pdf", URL)

    assert result.document is not None
    assert result.document.blocks == [
        {
            "t": "p",
            "c": [
                "Tide mills store water at high tide and release it through a wheel as the"
                " tide falls, which gives a few hours of work twice a day."
            ],
        },
        {
            "t": "p",
            "c": [
                "They were common on the coasts of Europe from the medieval period onward and"
                " a few still run for visitors."
            ],
        },
        {"t": "p", "c": ["Most stopped by 1900."]},
        {"t": "hr"},
        {"t": "p", "c": ["The second page has one short paragraph."]},
        {"t": "hr"},
        {"t": "p", "c": ["Third page."]},
    ]
    assert Document.from_json(result.document.to_json()) == result.document


def test_text_is_what_it_was() -> None:
    result = extract(make_pdf([PAGE_ONE, PAGE_TWO]), "application/pdf", URL)
    assert result.text == PAGE_ONE + "\n\n" + PAGE_TWO


def test_empty_pages_keep_their_boundaries() -> None:
    result = extract(make_pdf(["First.", "", "Third."]), "application/pdf", URL)
    assert result.document is not None
    assert [block["t"] for block in result.document.blocks] == ["p", "hr", "hr", "p"]


def test_no_text_no_document() -> None:
    assert extract(make_pdf(["", ""]), "application/pdf", URL).document is None
    assert extract(b"%PDF-1.4 broken", "application/pdf", URL).document is None
