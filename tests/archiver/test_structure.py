"""The structured copy of pages written in the markup of common publishing tools: every code
block byte-exact, headings with levels, list items, table cells, link targets, figures.

Each page in fixtures/structure/ was written for this test; its .json file says what a
reader must find in the copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archiver.document import Document
from archiver.extract import extract
from bench.structure_facts import facts

PAGES = Path(__file__).parent / "fixtures" / "structure"
NAMES = sorted(path.stem for path in PAGES.glob("*.html"))


def load(name: str) -> tuple[Document | None, dict[str, Any], str]:
    expected = json.loads((PAGES / f"{name}.json").read_text("utf-8"))
    result = extract((PAGES / f"{name}.html").read_bytes(), "text/html", expected["url"])
    return result.document, expected, result.text


@pytest.mark.parametrize("name", NAMES)
def test_code_blocks_byte_exact(name: str) -> None:
    doc, expected, _ = load(name)
    assert facts(doc)["code"] == expected["code"]


@pytest.mark.parametrize("name", NAMES)
def test_headings_with_levels(name: str) -> None:
    doc, expected, _ = load(name)
    assert facts(doc)["headings"] == expected["headings"]


@pytest.mark.parametrize("name", NAMES)
def test_list_items(name: str) -> None:
    doc, expected, _ = load(name)
    items = facts(doc)["list_items"]
    for item in expected["list_items"]:
        assert any(item == found or found.startswith(item + "\n") for found in items), item


@pytest.mark.parametrize("name", NAMES)
def test_table_cells(name: str) -> None:
    doc, expected, _ = load(name)
    assert facts(doc)["table"] == expected["table"]


@pytest.mark.parametrize("name", NAMES)
def test_link_targets(name: str) -> None:
    doc, expected, _ = load(name)
    found = facts(doc)["links"]
    for href in expected["links"]:
        assert href in found
    assert all(href.startswith(("http://", "https://")) for href in found)


@pytest.mark.parametrize("name", NAMES)
def test_figures(name: str) -> None:
    doc, expected, _ = load(name)
    assert facts(doc)["figures"] == expected["figures"]


@pytest.mark.parametrize("name", NAMES)
def test_page_chrome_and_permalinks_stay_out(name: str) -> None:
    doc, expected, _ = load(name)
    copy = facts(doc)["text"]
    for chrome in expected["absent"]:
        assert chrome not in copy
    for heading in facts(doc)["headings"]:
        assert not heading[1].endswith(("¶", "#", "\u200b", " "))


@pytest.mark.parametrize("name", NAMES)
def test_document_survives_its_own_round_trip(name: str) -> None:
    doc, _, _ = load(name)
    assert doc is not None
    assert Document.from_data(json.loads(doc.to_json())) == doc
