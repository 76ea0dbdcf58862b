"""One good image URL for an `<img>`: the largest `srcset`/`<picture>` candidate, then the
lazy-loading attributes, then `src`; absolute, http(s) only, placeholders skipped."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from archiver.document import is_web_url

# Lazy-loading conventions put the real image here and a placeholder in src.
_LAZY_SRC = (
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-hi-res-src",
)
_SRCSETS = ("srcset", "data-srcset", "data-lazy-srcset")
_DESCRIPTOR = re.compile(r"^(\d+(?:\.\d+)?)([wx])$", re.IGNORECASE)
_PLACEHOLDER_SIZES = frozenset({"0", "1", "2"})


def image_src(img: Any, picture: Any, base: str) -> str | None:
    """The URL to archive for an image, or None (no usable source, or a tracking pixel)."""
    if img is None and picture is None:
        return None
    if img is not None and (
        img.get("width") in _PLACEHOLDER_SIZES or img.get("height") in _PLACEHOLDER_SIZES
    ):
        return None
    candidates: list[tuple[float, str]] = []
    if picture is not None:
        for source in picture.iter("source"):
            for attr in _SRCSETS:
                candidates.extend(_srcset(source.get(attr)))
    if img is not None:
        for attr in _SRCSETS:
            candidates.extend(_srcset(img.get(attr)))
    ordered = [url for _, url in sorted(candidates, key=lambda c: -c[0])]
    if img is not None:
        ordered.extend(img.get(attr) or "" for attr in _LAZY_SRC)
        ordered.append(img.get("src") or "")
    for candidate in ordered:
        candidate = candidate.strip()
        if not candidate or candidate.lower().startswith(("data:", "javascript:")):
            continue
        url = urljoin(base, candidate)
        if is_web_url(url):
            return url
    return None


def _srcset(value: str | None) -> list[tuple[float, str]]:
    """srcset candidates with their size (width, or density x 1000 so widths win ties).

    Parsed as the HTML standard does: a URL runs to the next whitespace (commas inside it,
    as CDNs write them, are part of it), then descriptors run to the next comma.
    """
    if not value or "data:" in value:
        return []
    found = []
    position, length = 0, len(value)
    while position < length:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url = value[start:position]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = value.find(",", position)
            end = length if end < 0 else end
            descriptor = value[position:end].strip()
            position = end
        if not url:
            continue
        size = 1.0
        match = _DESCRIPTOR.match(descriptor)
        if match:
            number = float(match.group(1))
            size = number if match.group(2).lower() == "w" else number * 1000
        found.append((size, url))
    return found
