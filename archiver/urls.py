"""URL helpers: the canonical form used to spot the same link listed twice.

`normalize_url` is deliberately conservative: it only applies changes that cannot make two
different resources collide (RFC 3986 section 6 normalisations plus dropping fragments and
well-known tracking parameters). `http://` and `https://` stay different, and so do paths
with and without a trailing slash.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote

import idna

__all__ = ["MAX_URL_LENGTH", "domain_of", "is_http_url", "normalize_url"]

# Browsers and servers start refusing URLs around here; longer "URLs" in a list are junk.
MAX_URL_LENGTH = 8192

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
# Query keys that only identify a campaign or a click, never the resource itself.
_TRACKING_KEYS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "spm",
    }
)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_HEX = frozenset("0123456789abcdefABCDEF")
# ASCII characters that may not appear raw in a path, query or fragment; browsers send them
# percent-encoded, so encoding them here makes both spellings compare equal.
_ENCODE_ALWAYS = frozenset('"<>\\^`{|}')
_HOST_CHARS = re.compile(r"[a-z0-9\-._~!$&'()*+,;=]+")
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
# Lone surrogates: undecodable bytes of a command-line argument (surrogateescape). They
# cannot be encoded, so such a "URL" could be neither stored nor fetched.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Parts made only of these need no re-encoding (the common case, kept fast).
_PLAIN_PART = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?\[\]]*")


def normalize_url(url: str) -> str:
    """Return the canonical form of `url` used for de-duplication.

    Raises ValueError with a short reason when `url` is not a usable absolute URL.
    Non-http(s) URLs (mailto:, javascript:, ftp:, ...) are only stripped.
    """
    text = _strip(url)
    if not text:
        raise ValueError("empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"URL is longer than {MAX_URL_LENGTH} characters ({len(text)})")
    if _WHITESPACE_OR_CONTROL.search(text):
        raise ValueError("URL contains whitespace or control characters")
    if _SURROGATE.search(text):
        raise ValueError("URL contains bytes that are not valid UTF-8")
    match = _SCHEME.match(text)
    if match is None:
        raise ValueError("not an absolute URL (no scheme)")
    scheme = match.group(1).lower()
    if len(scheme) == 1:
        raise ValueError("looks like a Windows path, not a URL")
    rest = text[match.end() :]
    if not rest:
        raise ValueError("nothing after the scheme")
    if rest[0].isdigit():
        # "localhost:8000/x" or "example.com:8080" is a host and port, not a scheme.
        raise ValueError("not an absolute URL (no scheme)")
    if scheme not in _DEFAULT_PORTS:
        return text
    result = _normalize_http(scheme, rest)
    if len(result) > MAX_URL_LENGTH:
        raise ValueError(f"URL is longer than {MAX_URL_LENGTH} characters once normalized")
    return result


def is_http_url(url: str) -> bool:
    """True for a usable absolute http:// or https:// URL."""
    try:
        normalized = normalize_url(url)
    except ValueError:
        return False
    return normalized.startswith(("http://", "https://"))


def domain_of(url: str) -> str:
    """The host of `url`, lowercase, without a leading "www."; "" when there is none."""
    try:
        normalized = normalize_url(url)
    except ValueError:
        return ""
    _, sep, after = normalized.partition("://")
    if not sep:
        return ""
    authority = re.split(r"[/?#]", after, maxsplit=1)[0]
    host = authority.rpartition("@")[2]
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    else:
        host = host.partition(":")[0]
    host = host.lower()
    return host.removeprefix("www.")


def _strip(url: str) -> str:
    text = url.strip()
    # Markdown autolinks and plain-text lists often wrap URLs in <...>.
    if len(text) >= 2 and text[0] == "<" and text[-1] == ">":
        text = text[1:-1].strip()
    return text


def _normalize_http(scheme: str, rest: str) -> str:
    if not rest.startswith("//"):
        raise ValueError(f"no host (expected '//' after '{scheme}:')")
    rest = rest[2:]
    rest, hash_sign, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])

    userinfo, at, hostport = authority.rpartition("@")
    host, port = _split_port(hostport)
    host = _normalize_host(host)
    if port and _DEFAULT_PORTS[scheme] == port:
        port = ""

    out = [scheme, "://"]
    if at:
        out += [_normalize_part(userinfo, extra="@/?#"), "@"]
    out.append(host)
    if port:
        out += [":", port]
    out.append(_remove_dot_segments(_normalize_part(path, extra="?#")) or "/")
    if question:
        kept = _strip_tracking(query)
        if kept:
            out += ["?", kept]
    # A "#!" fragment is an old AJAX route that names a different page; other fragments
    # only point inside one page.
    if hash_sign and fragment.startswith("!"):
        out += ["#", _normalize_part(fragment, extra="#")]
    return "".join(out)


def _split_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise ValueError("unclosed '[' in IPv6 host")
        host, after = hostport[: end + 1], hostport[end + 1 :]
        if after and not after.startswith(":"):
            raise ValueError("unexpected characters after IPv6 host")
        port = after[1:]
    else:
        host, _, port = hostport.partition(":")
    if port:
        if not port.isascii() or not port.isdigit():
            raise ValueError(f"invalid port {port[:20]!r}")
        number = int(port)
        if number > 65535:
            raise ValueError(f"port {number} out of range")
        port = str(number)
    return host, port


def _normalize_host(host: str) -> str:
    if not host:
        raise ValueError("no host")
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError("invalid IPv6 address") from None
        return f"[{address.compressed}]"
    if "%" in host:
        host = unquote(host, errors="strict")
    if not host.isascii():
        host = _idna_encode(host)
    host = host.lower()
    if not _HOST_CHARS.fullmatch(host):
        raise ValueError(f"invalid host {host[:60]!r}")
    return host


def _idna_encode(host: str) -> str:
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (UnicodeError, ValueError):
        pass
    # IDNA 2008 refuses symbols (☃.net) that IDNA 2003, and so most browsers, still accept.
    try:
        return host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        raise ValueError(f"invalid international host name {host[:60]!r}") from None


def _normalize_part(text: str, extra: str = "") -> str:
    """Canonical percent-encoding: decode unreserved bytes, uppercase the hex of the rest,
    encode what may not appear raw (non-ASCII, stray '%', and the characters in `extra`)."""
    if _PLAIN_PART.fullmatch(text) and not any(ch in text for ch in extra):
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "%":
            if i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
                decoded = chr(int(text[i + 1 : i + 3], 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
                i += 3
                continue
            out.append("%25")
        elif ch in _ENCODE_ALWAYS or ch in extra or not ch.isascii():
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, on a path that starts with "/" (or is empty)."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if output:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/" + "/".join(output)


def _strip_tracking(query: str) -> str:
    kept = []
    for part in query.split("&"):
        if not part:
            continue
        key = unquote(part.partition("=")[0]).lower()
        if key.startswith("utm_") or key in _TRACKING_KEYS:
            continue
        kept.append(_normalize_part(part, extra="#"))
    return "&".join(kept)
