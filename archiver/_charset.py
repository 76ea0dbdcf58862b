"""Bytes to text, the one decoder: fetched pages and link lists alike.

The charset comes from a byte order mark, the Content-Type header, a declaration in the
document (<meta charset>, the XML declaration), else charset-normalizer's detection.
`decode` reads fetched pages as browsers would and never raises; `decode_list` reads a
link list file, and refuses binary data.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# Labels browsers accept that Python's codec registry does not know.
_LABEL_ALIASES = {
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-874": "cp874",
    "dos-874": "cp874",
    "x-gbk": "gb18030",
    "x-x-big5": "big5hkscs",
    "unicode": "utf-16-le",
    "ucs-2": "utf-16-le",
    "unicodefeff": "utf-16-le",
    "unicodefffe": "utf-16-be",
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-cp1250": "cp1250",
    "x-cp1251": "cp1251",
    "x-cp1252": "cp1252",
}

# WHATWG Encoding Standard: browsers decode these labels with a superset codec, and pages
# labelled "iso-8859-1" routinely use curly quotes and the euro sign from windows-1252.
_WHATWG_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
}

# Text codecs that are not web charsets. UTF-7 is refused by browsers (it was an XSS vector);
# the others are Python transfer or escape codecs that would "decode" any input.
_REFUSED = frozenset(
    {"utf-7", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "charmap"}
)

_UTF16_32 = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})

# Order matters: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Declarations live in <head>; 16 KB covers pages that put big inline scripts before them.
_PRESCAN_BYTES = 16_384
_HTML_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.DOTALL)
_BODY_START = re.compile(rb"<body[\s>]", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:+-]{1,40})""")
# Matches both <meta charset=x> and <meta http-equiv=Content-Type content="...; charset=x">.
_META_CHARSET = re.compile(
    rb"""<meta\s[^>]{0,500}?charset\s*=\s*["']?\s*([A-Za-z0-9._:+-]{1,40})""", re.IGNORECASE
)

# charset-normalizer reads a sample; it is slow on large inputs and only the non-ASCII part
# carries any signal.
_DETECT_SAMPLE = 65_536
_SIGNAL = re.compile(rb"[\x80-\xff\x1b]")
_HIGH_BYTES = bytes(range(0x80, 0x100))


def normalize_charset(label: str | None) -> str | None:
    """Python codec name for a charset label, or None if unknown, bogus or refused."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _LABEL_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # base64, rot13, zlib... are registered codecs but not text encodings.
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return _WHATWG_SUPERSETS.get(info.name, info.name)


def sniff_bom(body: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when the body starts with a Unicode byte order mark."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec, len(bom)
    return None


def declared_charset(body: bytes) -> str | None:
    """Charset declared inside an HTML/XML document (<meta>, XML declaration), normalized."""
    head = body[:_PRESCAN_BYTES]
    match = _XML_DECL.match(head)
    candidates = [match.group(1)] if match else []
    head = _HTML_COMMENT.sub(b"", head)
    body_start = _BODY_START.search(head)
    if body_start:
        head = head[: body_start.start()]
    candidates.extend(m.group(1) for m in _META_CHARSET.finditer(head))
    for raw in candidates:
        codec = normalize_charset(raw.decode("ascii", "replace"))
        if codec:
            # A document that could be read as ASCII to find this tag is not UTF-16/32; browsers
            # treat such declarations as UTF-8 (WHATWG "prescan").
            return "utf-8" if codec in _UTF16_32 else codec
    return None


def detect_encoding(body: bytes, header_charset: str | None, *, markup: bool) -> str:
    """The codec to decode `body` with. `markup` enables the in-document declaration."""
    bom = sniff_bom(body)
    if bom:
        return bom[0]
    candidates = [normalize_charset(header_charset)]
    if markup:
        candidates.append(declared_charset(body))
    declared = [c for c in candidates if c]

    if body.isascii():
        # Pure 7-bit: every ASCII-compatible charset reads it the same, except the stateful
        # ISO-2022 family, which uses escape sequences.
        for codec in declared:
            if codec.startswith("iso2022") or codec in _UTF16_32:
                return codec
        return _detect(body) if b"\x1b" in body else "utf-8"

    # Servers often label UTF-8 pages ISO-8859-1 (Apache's AddDefaultCharset, old CMS
    # defaults), while legacy-encoded text with non-ASCII bytes is practically never valid UTF-8
    # by accident. So (almost) valid UTF-8 wins over any declared ASCII-compatible charset, and
    # over detection, which can mistake UTF-8 with one stray byte for a legacy code page.
    if not (declared and declared[0] in _UTF16_32) and _mostly_utf8(body):
        return "utf-8"

    for codec in declared:
        if _decodes_cleanly(body, codec):
            return codec
    return _detect(body)


def decode(body: bytes, header_charset: str | None = None, *, markup: bool = False) -> str:
    """Decode `body` with the charset rules above; never raises."""
    codec = detect_encoding(body, header_charset, markup=markup)
    bom = sniff_bom(body)
    if bom and bom[0] == codec:
        body = body[bom[1] :]
    try:
        return body.decode(codec, "replace")
    except (LookupError, UnicodeError):  # pragma: no cover - codec vetted above
        return body.decode("utf-8", "replace")


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as err:
        # A document truncated mid-character (size limits) is still UTF-8.
        return err.start >= len(body) - 3 and err.reason == "unexpected end of data"
    return True


def _mostly_utf8(body: bytes) -> bool:
    """Valid UTF-8, or UTF-8 with a few broken bytes among many well-formed characters."""
    if _is_utf8(body):
        return True
    text = body.decode("utf-8", "replace")
    errors = text.count("\ufffd")
    characters = len(text) - len(text.encode("ascii", "ignore")) - errors
    return characters >= 8 and errors * 4 <= characters


def _decodes_cleanly(body: bytes, codec: str) -> bool:
    """True if `codec` reads the body with at most a few undecodable bytes.

    A wrong declaration (header says UTF-8, body is Shift_JIS) shows up as many errors; a right
    one may still meet a stray byte, which should not throw the whole page into detection.
    """
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:  # pragma: no cover - codec vetted by normalize_charset
        return False
    else:
        return True
    text = body.decode(codec, "replace")
    non_ascii = len(body) - len(body.translate(None, _HIGH_BYTES))
    return text.count("\ufffd") <= 2 + non_ascii // 200


def _detect(body: bytes) -> str:
    first = _SIGNAL.search(body)
    start = max(0, first.start() - 1024) if first else 0
    sample = body[start : start + _DETECT_SAMPLE]
    matches = list(charset_normalizer.from_bytes(sample))
    if not matches:
        return "utf-8"
    best = matches[0]
    # charset-normalizer often ranks cp1250 or mac_* first for Western European text that
    # windows-1252 reads just as cleanly; undeclared legacy pages are overwhelmingly
    # windows-1252 (the WHATWG default), so it wins ties.
    for match in matches:
        if match.chaos <= best.chaos + 0.01 and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return normalize_charset(best.encoding) or "utf-8"


# -- link lists ---------------------------------------------------------------------------------


class NotText(ValueError):
    """Bytes that are no text: a binary file given as a link list."""


# The list's own declaration lookup, kept apart from `declared_charset`: a list names the
# codec it was saved in, and is read with exactly that one (no browser superset, and a
# wrong one falls through to detection instead of being trusted).
_LIST_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_\-:.]{1,40})""", re.I
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
# Share of control characters above which "text" is really a binary file read as text.
_MAX_CONTROL_RATIO = 0.02
_SAMPLE = 1_000_000


def decode_list(data: bytes, name: str) -> str:
    """UTF-8 (BOM aware), UTF-16/32 with BOM, a declared HTML charset, else detection.

    Stricter than `decode`: a declared charset is used only if it reads the whole list
    without an error, and binary data is refused with NotText (the message names the file)
    rather than read as text."""
    bom = sniff_bom(data)
    if bom is not None:
        # A BOM is a clear statement; a few broken bytes should not lose the whole list.
        codec, length = bom
        return _check_text(data[length:].decode(codec, errors="replace"), name)
    has_nul = b"\x00" in data[:_SAMPLE]
    if not has_nul:
        try:
            return _check_text(data.decode("utf-8"), name)
        except UnicodeDecodeError:
            pass
        declared = _list_declared_charset(data)
        if declared:
            try:
                return _check_text(data.decode(declared), name)
            except UnicodeDecodeError:
                pass
    guess = _detect_list(data)
    if has_nul:
        if guess is None:
            raise NotText(f"{name}: cannot decode it as text; is it a binary file?")
        # Only UTF-16/32 text legitimately contains NUL bytes.
        if not guess.encoding.startswith(("utf_16", "utf_32")):
            raise NotText(f"{name}: looks like a binary file, not a link list")
        return _check_text(str(guess), name)
    text = None if guess is None else str(guess)
    if text is None or _looks_binary(text):
        # On a short list in a legacy code page the detector may give up (Polish in cp1250)
        # or pick an exotic one (cp1006) that reads letters as control characters, and the
        # list would be refused as binary. Its URLs are ASCII: Windows-1252 keeps them, and
        # binary data still fails the control character check.
        fallback = data.decode("cp1252", errors="replace")
        if text is None or not _looks_binary(fallback):
            text = fallback
    return _check_text(text, name)


def _detect_list(data: bytes) -> charset_normalizer.CharsetMatch | None:
    matches = charset_normalizer.from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    # On a short list the detector often cannot tell the Latin code pages apart and picks
    # Baltic or Central European ones for French text; Windows-1252 is by far the most
    # common of them, so it wins every near tie.
    for match in matches:
        if (
            match.encoding == "cp1252"
            and match.percent_chaos <= best.percent_chaos + 5
            and match.percent_coherence >= best.percent_coherence - 1
        ):
            return match
    return best


def _list_declared_charset(data: bytes) -> str | None:
    match = _LIST_META_CHARSET.search(data[:8192])
    if match is None:
        return None
    name = match.group(1).decode("ascii")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE]
    return bool(sample) and len(_CONTROL.findall(sample)) > _MAX_CONTROL_RATIO * len(sample)


def _check_text(text: str, name: str) -> str:
    if _looks_binary(text):
        raise NotText(f"{name}: looks like a binary file, not a link list")
    return text
