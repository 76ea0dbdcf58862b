from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.urls import MAX_URL_LENGTH, domain_of, is_http_url, normalize_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com", "https://example.com/"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:80/a", "https://example.com:80/a"),
        ("http://example.com:0080/", "http://example.com/"),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("http://example.com:/a", "http://example.com/a"),
        ("https://example.com/a#section-2", "https://example.com/a"),
        ("https://example.com/a?#", "https://example.com/a"),
        ("https://example.com/a/", "https://example.com/a/"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/../../x", "https://example.com/x"),
        ("https://example.com/%7euser/%2fencoded", "https://example.com/~user/%2Fencoded"),
        ("https://example.com/%2E%2E/x", "https://example.com/x"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/café", "https://example.com/caf%C3%A9"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/a|b", "https://example.com/a%7Cb"),
        ("  <https://example.com/x>  ", "https://example.com/x"),
        ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("https://Bücher.de/", "https://xn--bcher-kva.de/"),
        ("https://XN--BCHER-KVA.de", "https://xn--bcher-kva.de/"),
        ("http://☃.net/", "http://xn--n3h.net/"),
        ("http://%65xample.com/", "http://example.com/"),
        ("http://[::FFFF:7F00:1]:8080/", "http://[::ffff:7f00:1]:8080/"),
        ("http://User:Pass@Example.com/", "http://User:Pass@example.com/"),
        ("https://x.com/#!/user/42", "https://x.com/#!/user/42"),
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_tracking_parameters_dropped_others_kept_in_order() -> None:
    url = (
        "https://example.com/p?b=2&utm_source=news&UTM_Medium=mail&a=1&fbclid=x&gclid=y"
        "&dclid=1&msclkid=2&mc_cid=3&mc_eid=4&igshid=5&yclid=6&_ga=7&ref_src=twsrc&spm=a.b"
        "&ref=main&q=a+b"
    )
    assert normalize_url(url) == "https://example.com/p?b=2&a=1&ref=main&q=a+b"
    assert normalize_url("https://example.com/?utm_campaign=x") == "https://example.com/"
    # Only the key decides: an encoded "utm_" key is still tracking.
    assert normalize_url("https://example.com/?utm%5Fsource=x&k=v") == "https://example.com/?k=v"


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("https://Example.com/page", "https://example.com:443/page#top"),
        ("https://example.com/page?utm_source=rss", "https://example.com/page"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/%7Efoo", "https://example.com/~foo"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ],
)
def test_same_resource_same_key(first: str, second: str) -> None:
    assert normalize_url(first) == normalize_url(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("http://example.com/", "https://example.com/"),
        ("https://example.com/a", "https://example.com/a/"),
        ("https://example.com/?a=1&b=2", "https://example.com/?b=2&a=1"),
        ("https://example.com/a/b", "https://example.com/a%2Fb"),
        ("https://example.com/A", "https://example.com/a"),
        ("https://example.com/#!/a", "https://example.com/#!/b"),
    ],
)
def test_different_resources_stay_different(first: str, second: str) -> None:
    assert normalize_url(first) != normalize_url(second)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "mailto:Someone@Example.COM",
        "FTP://Files.Example.com/a/../b",
        "file:///etc/passwd",
        "data:text/plain,hello",
    ],
)
def test_other_schemes_returned_unchanged(url: str) -> None:
    assert normalize_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("example.com/page", "no scheme"),
        ("//example.com/page", "no scheme"),
        ("localhost:8000/x", "no scheme"),
        ("C:\\Users\\me\\links.txt", "Windows path"),
        ("http://", "no host"),
        ("https:///path", "no host"),
        ("http:example.com", "no host"),
        ("https://exa mple.com/", "whitespace"),
        ("https://example.com/a\tb", "whitespace"),
        ("https://example.com/\x00", "control"),
        ("https://example.com:99999/", "out of range"),
        ("https://example.com:8o/", "invalid port"),
        ("http://[::1/", "IPv6"),
        ("http://[not-an-ip]/", "IPv6"),
        ("http://exa<mple.com/", "invalid host"),
        ("http://%zz.com/", "invalid host"),
        ("mailto:", "nothing after"),
        ("https://example.com/" + "a" * MAX_URL_LENGTH, "longer than"),
    ],
)
def test_unusable_urls_raise_value_error(url: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        normalize_url(url)


def test_url_that_only_grows_too_long_when_encoded_is_refused() -> None:
    # 3000 "é" fit the limit as text but not as %C3%A9 triplets.
    url = "https://example.com/" + "é" * 3000
    with pytest.raises(ValueError, match="longer than"):
        normalize_url(url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/", True),
        ("HTTP://example.com", True),
        ("  <http://example.com/a>  ", True),
        ("ftp://example.com/", False),
        ("javascript:alert(1)", False),
        ("mailto:a@example.com", False),
        ("example.com", False),
        ("http://", False),
        ("", False),
    ],
)
def test_is_http_url(url: str, expected: bool) -> None:
    assert is_http_url(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.com/a", "example.com"),
        ("https://docs.python.org/3/", "docs.python.org"),
        ("http://user:pw@www.example.com:8080/", "example.com"),
        ("https://wwwexample.com/", "wwwexample.com"),
        ("https://www.Bücher.de/", "xn--bcher-kva.de"),
        ("http://[::1]:8000/", "::1"),
        ("ftp://Files.Example.com/x", "files.example.com"),
        ("mailto:a@example.com", ""),
        ("not a url", ""),
        ("", ""),
    ],
)
def test_domain_of(url: str, expected: str) -> None:
    assert domain_of(url) == expected


# Pieces chosen to hit every branch: case, escapes (valid, invalid, unreserved), dot
# segments, non-ASCII, characters that need encoding, and separators in odd places.
_PIECES = [
    "a", "Z", "0", "-", ".", "_", "~", "/", "..", "./", "../", "%", "%2e", "%2E", "%41",
    "%7e", "%zz", "%2", "%C3%A9", "%c3", "é", "€", "😀", "?", "#", "#!", "&", "=", "+",
    "utm_source=x", "UTM_X=1", "fbclid=1", "@", ":", ";", "(", ")", "[", "]", "|", "\\",
    "^", "`", "{", "}", '"', "<", ">", "'", "!", "$", "*", ",",
]  # fmt: skip
_parts = st.lists(st.sampled_from(_PIECES), max_size=12).map("".join)
_hosts = st.one_of(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.\-]{0,20}", fullmatch=True),
    st.sampled_from(
        ["Bücher.de", "☃.net", "ＥＸＡＭＰＬＥ.com", "[::1]", "[::FFFF:1.2.3.4]", "%41.com", "a..b"]
    ),
    st.text(min_size=1, max_size=8),
)
_ports = st.one_of(
    st.just(""), st.integers(0, 70000).map(lambda p: f":{p}"), st.sampled_from([":", ":x", ":080"])
)
_schemes = st.sampled_from(["http", "https", "HTTP", "hTtPs", "ftp", "mailto", "javascript"])
_userinfo = st.sampled_from(["", "user@", "u:p@", "a@b@", "%40@"])
_urls = st.builds(
    lambda scheme, user, host, port, path, query, fragment: (
        f"{scheme}://{user}{host}{port}{path}{query}{fragment}"
    ),
    _schemes,
    _userinfo,
    _hosts,
    _ports,
    _parts.map(lambda p: "/" + p),
    st.one_of(st.just(""), _parts.map(lambda p: "?" + p)),
    st.one_of(st.just(""), _parts.map(lambda p: "#" + p)),
)


def _assert_idempotent(url: str) -> None:
    try:
        once = normalize_url(url)
    except ValueError:
        return
    assert normalize_url(once) == once


@settings(deadline=None, max_examples=400)
@given(_urls)
def test_normalize_is_idempotent_on_url_like_text(url: str) -> None:
    _assert_idempotent(url)


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=200))
def test_normalize_only_raises_value_error_on_arbitrary_text(text: str) -> None:
    _assert_idempotent(text)
    _assert_idempotent("https://" + text)
    assert isinstance(is_http_url(text), bool)
    assert isinstance(domain_of("http://" + text), str)
