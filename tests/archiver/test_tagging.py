"""The one tag rule: strict for what a person types, lenient for what an import brings."""

from __future__ import annotations

import pytest

from archiver.sources import parse_bookmarks
from archiver.tagging import (
    MAX_TAG_LENGTH,
    InvalidTag,
    clean_tag,
    clean_tags,
    lenient_tags,
    split_tags,
)


def test_a_tag_is_stripped_and_its_inner_whitespace_folded() -> None:
    assert clean_tag("  cpython   internals ") == "cpython internals"
    assert clean_tag("\n python\t") == "python"  # around it, whitespace is not part of it
    assert clean_tag("x" * MAX_TAG_LENGTH) == "x" * MAX_TAG_LENGTH
    assert clean_tag("Ärger über C++") == "Ärger über C++"


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("", "a tag cannot be empty"),
        ("   ", "a tag cannot be empty"),
        ("x" * (MAX_TAG_LENGTH + 1), f"is {MAX_TAG_LENGTH + 1} characters long; at most 64"),
        ("new\nline", "contains a control character"),
        ("tab\there", "contains a control character"),
        ("nul\x00", "contains a control character"),
        ("bell\x07", "contains a control character"),
        ("a,b", "contains a comma"),
    ],
)
def test_bad_tags_are_refused_with_a_message(tag: str, message: str) -> None:
    with pytest.raises(InvalidTag, match=message):
        clean_tag(tag)


def test_tags_are_distinct_case_insensitively_keeping_the_first_spelling() -> None:
    assert clean_tags(["Python", "python", " PYTHON ", "Straße", "STRASSE", "c"]) == [
        "Python",
        "Straße",
        "c",
    ]
    with pytest.raises(InvalidTag, match="empty"):
        clean_tags(["good", ""])


def test_lenient_tags_drop_what_the_rule_refuses() -> None:
    long = "y" * (MAX_TAG_LENGTH + 1)
    assert lenient_tags(["a", "", " ", long, "b\x01", "A", 7, "b"]) == ("a", "b")


def test_comma_separated_tags_have_no_empty_pieces() -> None:
    assert split_tags(",a,,b, ,") == ["a", "b"]
    assert split_tags("") == []


def test_a_bookmarks_file_yields_no_empty_or_bad_tags() -> None:
    long = "z" * (MAX_TAG_LENGTH + 1)
    text = (
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
        f'<DT><A HREF="https://a.example.com/" TAGS=",a,,b, A,{long},">A</A>\n'
        '<DT><A HREF="https://b.example.com/" TAGS=",,">B</A>\n'
        "</DL>\n"
    )
    links = parse_bookmarks(text, "b.html").links
    assert [link.tags for link in links] == [("a", "b"), ()]
