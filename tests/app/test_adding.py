"""Reading the add form (app/services/adding.py): the URL from a share sheet's text, a
message per field for what cannot be saved, and what adding a link twice keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.adding import AddForm, AddRefused, add_link, form_from_values, url_from
from app.services.vault import Vault
from tests.app._archive import make_settings


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://example.com/a", "", "https://example.com/a"),
        ("  https://example.com/a ", "ignored https://other.example/", "https://example.com/a"),
        ("", "Read this https://example.com/post?id=3.", "https://example.com/post?id=3"),
        ("", "A title (https://example.com/x)", "https://example.com/x"),
        ("", "HTTPS://EXAMPLE.COM/Up", "HTTPS://EXAMPLE.COM/Up"),
        ("", "no address here", ""),
        ("", "", ""),
    ],
)
def test_the_url_comes_from_url_or_else_the_shared_text(url: str, text: str, expected: str) -> None:
    assert url_from(url, text) == expected


def test_a_lenient_read_keeps_what_was_typed() -> None:
    form = form_from_values({"url": "ftp://x", "tags": " a,,b ", "title": "T\x00"}, strict=False)
    assert (form.url, form.tags, form.title) == ("ftp://x", "a,,b", "T")


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"url": ""}, "url", "Enter the address"),
        ({"url": "ftp://example.com/file"}, "url", "Only http:// and https://"),
        ({"url": "javascript:alert(1)"}, "url", "Only http:// and https://"),
        ({"url": "https://example.com/", "tags": "ok, " + "x" * 65}, "tags", "at most 64"),
        ({"url": "https://example.com/", "tags": "bad\x07tag"}, "tags", "control character"),
        # The rules an edit applies (app/services/curation.py FIELD_RULES), not looser ones.
        ({"url": "https://example.com/", "note": "n" * 100_001}, "note", "at most"),
        ({"url": "https://example.com/", "section": "s" * 301}, "section", "at most 300"),
    ],
)
def test_what_cannot_be_saved_is_refused_per_field(
    values: dict[str, str], field: str, words: str
) -> None:
    with pytest.raises(AddRefused) as refused:
        form_from_values(values, strict=True)
    assert words in refused.value.errors[field]
    assert refused.value.form.url == values["url"]  # shown again as typed


def test_a_saved_form_holds_the_values_an_edit_would_store() -> None:
    form = form_from_values(
        {
            "url": "https://example.com/",
            "title": "  A   title ",
            "note": "line one  \r\nline two\n",
        },
        strict=True,
    )
    assert (form.title, form.note) == ("A title", "line one\nline two")


def test_empty_pieces_of_the_tag_list_are_not_tags() -> None:
    form = form_from_values({"url": "https://example.com/", "tags": ",a,, B ,a"}, strict=True)
    assert form.tag_list == ("a", "B")


def test_adding_stores_everything_then_adding_again_keeps_the_edits(tmp_path: Path) -> None:
    vault = Vault(make_settings(tmp_path / "data"))
    try:
        first = add_link(
            vault,
            form_from_values(
                {"url": "https://example.com/a", "section": "Reading", "tags": "one, two"},
                strict=True,
            ),
        )
        assert first.new
        again = add_link(
            vault,
            form_from_values(
                {
                    "url": "https://EXAMPLE.com/a",  # the same link, normalised
                    "title": "My title",
                    "section": "Elsewhere",
                    "tags": "Two, three",
                    "note": "why I kept it",
                },
                strict=True,
            ),
        )
        assert (again.link_id, again.new) == (first.link_id, False)
        [link] = vault.store.curation.describe([first.link_id])
        # Tags added (case-insensitively distinct), title and note set where there were
        # none, the section the link already had kept.
        assert link.tags == ("one", "two", "three")
        assert (link.title, link.section, link.note) == ("My title", "Reading", "why I kept it")
    finally:
        vault.close()


def test_a_new_link_keeps_its_note_and_tags(tmp_path: Path) -> None:
    vault = Vault(make_settings(tmp_path / "data"))
    try:
        added = add_link(vault, AddForm(url="https://example.com/n", note="n", tag_list=("t",)))
        [link] = vault.store.curation.describe([added.link_id])
        assert (link.note, link.tags, link.title) == ("n", ("t",), None)
    finally:
        vault.close()
