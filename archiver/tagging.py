"""The one rule for tags, wherever they come from: an edit, a bookmarks file, a backup.

A tag is text without surrounding whitespace (runs of inner whitespace become one space), at
most MAX_TAG_LENGTH characters, with no control characters and no comma: a Netscape
bookmarks file lists a link's tags comma-separated (`TAGS="a,b"`), so a comma inside a tag
could not be written out and read back. A link's tags are distinct case-insensitively; the
first spelling met is kept ("Python" then "python" is just "Python").

Two forms: `clean_tags` for what a person types (the first bad tag raises InvalidTag, whose
message says what is wrong), `lenient_tags` for what an import brings (bad tags are dropped,
so `TAGS=",a,,b"` is just a and b).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = [
    "MAX_TAG_LENGTH",
    "InvalidTag",
    "clean_tag",
    "clean_tags",
    "lenient_tags",
    "same_tag",
    "split_tags",
]

MAX_TAG_LENGTH = 64


class InvalidTag(ValueError):
    """A tag the rule refuses; the message is written for the person who typed it."""


def _shown(tag: str) -> str:
    return repr(tag if len(tag) <= 40 else tag[:37] + "...")


def clean_tag(tag: str) -> str:
    """The tag as stored; InvalidTag when it is empty, too long, or holds a control
    character or a comma."""
    if not isinstance(tag, str):
        raise InvalidTag(f"a tag is text, not {type(tag).__name__}")
    stripped = tag.strip()
    if not stripped:
        raise InvalidTag("a tag cannot be empty")
    # Tested before whitespace is folded: a tab or a newline inside a tag is a control
    # character, not a space.
    if any(unicodedata.category(char) == "Cc" for char in stripped):
        raise InvalidTag(f"tag {_shown(stripped)} contains a control character")
    if "," in stripped:
        raise InvalidTag(
            f"tag {_shown(stripped)} contains a comma: tags are separated by commas, "
            "so give each one on its own"
        )
    cleaned = " ".join(stripped.split())
    if len(cleaned) > MAX_TAG_LENGTH:
        raise InvalidTag(
            f"tag {_shown(cleaned)} is {len(cleaned)} characters long; "
            f"at most {MAX_TAG_LENGTH} are allowed"
        )
    return cleaned


def same_tag(tag: str) -> str:
    """The key two spellings of one tag share ("Python" and "PYTHON")."""
    return tag.casefold()


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Every tag cleaned, in order, the first spelling of each kept; InvalidTag on the first
    bad one."""
    kept: dict[str, str] = {}
    for tag in tags:
        cleaned = clean_tag(tag)
        kept.setdefault(same_tag(cleaned), cleaned)
    return list(kept.values())


def lenient_tags(tags: Iterable[object]) -> tuple[str, ...]:
    """The good tags, cleaned and distinct, in order; bad ones (and non-text) are dropped."""
    kept: dict[str, str] = {}
    for tag in tags:
        if not isinstance(tag, str):
            continue
        try:
            cleaned = clean_tag(tag)
        except InvalidTag:
            continue
        kept.setdefault(same_tag(cleaned), cleaned)
    return tuple(kept.values())


def split_tags(text: str) -> list[str]:
    """The tags of a comma-separated list ("a, b,,c"), as a Netscape file's TAGS or a form's
    tag field gives them; empty pieces are nothing, not empty tags."""
    return [piece for piece in text.split(",") if piece.strip()]
