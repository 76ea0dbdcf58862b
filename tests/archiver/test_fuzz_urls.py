"""The URL normaliser, fuzzed: what its output always is, which spellings of one resource it
merges, which different resources it keeps apart, and that hostile text only ever gives a
ValueError. (test_urls.py has the examples and the idempotence property.)"""

from __future__ import annotations

import re
import string
from urllib.parse import urlsplit

import httpx
import idna
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from archiver.urls import MAX_URL_LENGTH, domain_of, is_http_url, normalize_url

FUZZ = settings(deadline=None, max_examples=80)

UNRESERVED = string.ascii_letters + string.digits + "-._~"
# A "%" not starting a canonical escape, and escapes of unreserved characters: neither may
# survive normalisation.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-F]{2})")
_UNRESERVED_ESCAPE = re.compile(r"%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)")
_HTTPX_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
TRACKING = ["utm_source=x", "UTM_Campaign=y", "fbclid=1", "gclid=2", "_ga=3", "mc_eid=4"]

# --- strategies ---------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9](?:[a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True)
_idn_label = st.text(
    st.sampled_from(
        "äöüßéèçñøåłśžйцукенгшщзхъфывапролджэячсмитьбюαβγδεζηθικλμνξοπρστυφχψω日本語中文한국어"
    ),
    min_size=1,
    max_size=8,
)
_ascii_hosts = st.lists(_label, min_size=1, max_size=4).map(".".join)
_hosts = st.one_of(
    _ascii_hosts,
    st.lists(st.one_of(_label, _idn_label), min_size=1, max_size=3).map(".".join),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
)
# Every character but "/", "?" and "#" (they would move the piece into another part).
_any_char = st.characters(exclude_characters="/?#", exclude_categories=["Cs"])
_segment = st.text(_any_char, max_size=12)
_path = st.lists(_segment, max_size=5).map(lambda parts: "/" + "/".join(parts))
_query_part = st.text(
    st.characters(exclude_characters="#&", exclude_categories=["Cs"]), max_size=12
)
_query = st.lists(_query_part, max_size=4).map("&".join)
_fragment = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
_ports = st.one_of(st.none(), st.integers(0, 65535))


@st.composite
def http_urls(draw: st.DrawFn) -> str:
    """Absolute http(s) URLs with every part drawn from (nearly) all of Unicode."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    user = draw(st.sampled_from(["", "user@", "user:pass@", "a%40b@"]))
    port = draw(_ports)
    url = f"{scheme}://{user}{draw(_hosts)}{'' if port is None else f':{port}'}{draw(_path)}"
    if draw(st.booleans()):
        url += "?" + draw(_query)
    if draw(st.booleans()):
        url += "#" + draw(_fragment)
    return url


def _normalized(url: str) -> str:
    try:
        return normalize_url(url)
    except ValueError:
        assume(False)
        raise


# --- what the output always is -----------------------------------------------------------


@FUZZ
@example("HTTP://Example.COM:80/a/./b/../%7e?utm_source=x&q=1#frag")
@example("https://Bücher.example/é?ä=ö")
@example("http://[::FFFF:7F00:1]:0/")
@given(http_urls())
def test_output_is_a_canonical_ascii_http_url(url: str) -> None:
    out = _normalized(url)
    assert out.isascii() and out.isprintable() and " " not in out
    assert len(out) <= MAX_URL_LENGTH
    assert normalize_url(out) == out
    assert is_http_url(url) and is_http_url(out)

    parts = urlsplit(out)
    assert parts.scheme in ("http", "https")
    assert parts.hostname
    assert parts.port is None or 0 <= parts.port <= 65535  # .port raises on a bad one
    assert parts.port != {"http": 80, "https": 443}[parts.scheme]
    assert parts.path.startswith("/")
    segments = parts.path.split("/")
    assert "." not in segments and ".." not in segments
    assert parts.fragment == "" or parts.fragment.startswith("!")
    for piece in (parts.path, parts.query, parts.fragment):
        assert not _BAD_ESCAPE.search(piece), piece
        assert not _UNRESERVED_ESCAPE.search(piece), piece
    for item in filter(None, parts.query.split("&")):
        key = item.partition("=")[0].lower()
        assert not key.startswith("utm_") and key not in ("fbclid", "gclid", "_ga", "mc_eid")

    host = parts.hostname
    assert host == host.lower()
    assert domain_of(url) == host.removeprefix("www.")

    # What the fetcher (httpx) makes of it is the same URL. httpx refuses hosts written
    # like an IPv4 address that is not one (999.1.1.1, 0177.0.0.1): RFC 3986 reads them as
    # names, and the fetch guard reports them, so they are not the normaliser's to refuse.
    bare = host if not parts.netloc.rpartition("@")[2].startswith("[") else f"[{host}]"
    if not _HTTPX_IPV4_STYLE.fullmatch(bare):
        fetched = httpx.URL(out)
        assert fetched.scheme == parts.scheme
        assert fetched.raw_host.decode("ascii") == host
        assert fetched.port == parts.port


@FUZZ
@example("ftp://example.com/\udcff")
@example("https://example.com/\ud800")
@example("mailto:\udfff@example.com")
@given(
    st.one_of(
        st.text(max_size=100),
        st.text(st.characters(codec=None), max_size=100),  # lone surrogates too
        st.builds("{}{}".format, st.sampled_from(["https://", "ftp://", "mailto:"]), st.text()),
    )
)
def test_any_text_gives_a_storable_url_or_a_value_error(text: str) -> None:
    try:
        out = normalize_url(text)
    except ValueError as exc:
        assert type(exc) is ValueError  # not a UnicodeError leaking from a codec
        assert str(exc)
        assert is_http_url(text) is False
        return
    out.encode("utf-8")  # storable: no lone surrogates
    assert out == out.strip() and out
    assert len(out) <= MAX_URL_LENGTH
    assert normalize_url(out) == out


def test_lone_surrogates_are_refused_with_a_reason() -> None:
    # `linkvault archive $'ftp://example.com/\xff'` reaches here with "\udcff" in the URL;
    # it used to be stored as it was and crash SQLite.
    for url in ("ftp://example.com/\udcff", "https://example.com/\udcff", "mailto:\ud800"):
        try:
            normalize_url(url)
        except ValueError as exc:
            assert "UTF-8" in str(exc)
        else:
            raise AssertionError(f"{url!r} was accepted")


# --- spellings of one resource give one key -----------------------------------------------


@FUZZ
@given(http_urls(), st.randoms(use_true_random=False))
def test_scheme_and_host_case_do_not_matter(url: str, rnd: object) -> None:
    out = _normalized(url)
    scheme, _, rest = url.partition("://")
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority = rest[:authority_end]
    userinfo, at, hostport = authority.rpartition("@")
    # Case, not Unicode case mapping: "ß".upper() is "SS", another name under IDNA 2008.
    flipped = "".join(
        ch.swapcase() if _simple_case(ch) and rnd.random() < 0.5 else ch  # type: ignore[attr-defined]
        for ch in hostport
    )
    respelled = f"{scheme.swapcase()}://{userinfo}{at}{flipped}{rest[authority_end:]}"
    assert normalize_url(respelled) == out


def _simple_case(ch: str) -> bool:
    swapped = ch.swapcase()
    return len(swapped) == 1 and swapped.swapcase() == ch


@FUZZ
@given(_ascii_hosts, _path, st.sampled_from(["http", "https"]))
def test_default_port_empty_port_and_fragment_do_not_matter(
    host: str, path: str, scheme: str
) -> None:
    assume(not re.search(r"\s", path))  # trailing spaces are stripped, but not before a "#"
    base = _normalized(f"{scheme}://{host}{path}")
    default = {"http": 80, "https": 443}[scheme]
    assert normalize_url(f"{scheme}://{host}:{default}{path}") == base
    assert normalize_url(f"{scheme}://{host}:0{default}{path}") == base
    assert normalize_url(f"{scheme}://{host}:{path}") == base
    assert normalize_url(f"{scheme}://{host}{path}#section-2") == base
    assert normalize_url(f"  <{scheme}://{host}{path}>\n") == base


@FUZZ
@given(_ascii_hosts, _path, st.lists(_query_part, max_size=4), st.data())
def test_tracking_parameters_do_not_matter(
    host: str, path: str, params: list[str], data: st.DataObject
) -> None:
    # Whitespace or a control character is only tolerated at the very end (stripped there):
    # such a parameter moved inside the query by the trackers makes the URL invalid.
    params = [p for p in params if not _is_tracking(p) and p.isprintable() and " " not in p]
    base = _normalized(f"https://{host}{path}?{'&'.join(params)}")
    noisy = list(params)
    for tracker in data.draw(st.lists(st.sampled_from(TRACKING), min_size=1, max_size=3)):
        noisy.insert(data.draw(st.integers(0, len(noisy))), tracker)
    assert normalize_url(f"https://{host}{path}?{'&'.join(noisy)}") == base


def _is_tracking(param: str) -> bool:
    try:
        return normalize_url(f"https://x.example/?{param}") == "https://x.example/"
    except ValueError:
        return True


@FUZZ
@given(_ascii_hosts, st.text(st.sampled_from(UNRESERVED + "é€😀/"), max_size=20), st.data())
def test_percent_encoding_of_safe_characters_does_not_matter(
    host: str, path: str, data: st.DataObject
) -> None:
    base = _normalized(f"https://{host}/{path}")
    encoded = "".join(
        _escape(ch, data.draw(st.booleans())) if ch != "/" and data.draw(st.booleans()) else ch
        for ch in path
    )
    assert normalize_url(f"https://{host}/{encoded}") == base


def _escape(ch: str, lower: bool) -> str:
    escaped = "".join(f"%{byte:02X}" for byte in ch.encode("utf-8"))
    return escaped.lower() if lower else escaped


@FUZZ
@given(st.lists(st.one_of(_label, _idn_label), min_size=1, max_size=3).map(".".join), _path)
def test_international_host_equals_its_punycode(host: str, path: str) -> None:
    out = _normalized(f"https://{host}{path}")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return  # IDNA 2003 spellings (symbols) have no IDNA 2008 form to compare with
    assert normalize_url(f"https://{ascii_host}{path}") == out
    assert normalize_url(f"https://{ascii_host.upper()}{path}") == out


# --- different resources stay different --------------------------------------------------


@FUZZ
@example("example.com", "(", "%28")  # a sub-delimiter and its escape are different (RFC 3986)
@example("example.com", "é", "%c3%a9")
@example("example.com", "~", "%7E")
@example("example.com", ".", "%2e%2E")
@given(_ascii_hosts, _segment, _segment)
def test_different_paths_stay_different(host: str, first: str, second: str) -> None:
    assume(not re.search(r"\s", first + second))  # refused inside, stripped at the end
    a = _normalized(f"https://{host}/{first}")
    b = _normalized(f"https://{host}/{second}")
    assert (a == b) == (_segment_key(first) == _segment_key(second)), (first, second, a, b)
    assert _normalized(f"http://{host}/{first}") != a


_KEPT = set(UNRESERVED + "!$&'()*+,;=:@[]")


def _segment_key(segment: str) -> list[tuple[str, str]]:
    """One path segment in RFC 3986's normal form, as tokens: unreserved characters decoded,
    reserved ones as written (a raw "(" and "%28" differ), everything else as its bytes;
    "." and ".." (however escaped) are no segment at all."""
    tokens: list[tuple[str, str]] = []
    i = 0
    while i < len(segment):
        escape = segment[i + 1 : i + 3]
        if segment[i] == "%" and re.fullmatch(r"[0-9A-Fa-f]{2}", escape):
            ch = chr(int(escape, 16))
            tokens.append(("char", ch) if ch in UNRESERVED else ("byte", escape.upper()))
            i += 3
            continue
        ch = segment[i]
        if ch in _KEPT:
            tokens.append(("char", ch))
        else:
            tokens += [("byte", f"{b:02X}") for b in ch.encode("utf-8")]
        i += 1
    if tokens in ([], [("char", ".")], [("char", ".")] * 2):
        return []
    return tokens
