"""What kind of image some bytes are, read from the bytes themselves: a server's Content-Type
is a claim (an HTML error page served as image/png is common, a hostile one on purpose).

Only the formats a browser shows in <img> and linkvault serves back are named; anything
else is None and is not kept.
"""

from __future__ import annotations

import re

# An SVG document: optional BOM, XML declaration, comments and doctype, then the <svg> root.
_SVG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:(?:<!--.*?-->|<!doctype[^>]*>)\s*)*<svg[\s>/]",
    re.IGNORECASE | re.DOTALL,
)
_AVIF_BRANDS = (b"avif", b"avis")


def image_type(data: bytes) -> str | None:
    """The image's media type ("image/png", ...) by its magic bytes or markup, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    if _is_avif(data):
        return "image/avif"
    if _SVG.match(data[:4096]):
        return "image/svg+xml"
    return None


def _is_avif(data: bytes) -> bool:
    # ISO BMFF: a leading `ftyp` box whose major or a compatible brand is AVIF.
    if data[4:8] != b"ftyp" or len(data) < 16:
        return False
    box = int.from_bytes(data[0:4], "big")
    brands = data[8:12] + data[16 : min(box, 64)]
    return any(brands[i : i + 4] in _AVIF_BRANDS for i in range(0, len(brands) - 3, 4))
