"""The address guard: which hosts and addresses are refused in every spelling, and the Fetcher
refusing them for real, directly and through a proxy, without sending a request."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver._guard import check_host, forbidden_reason, parse_ip_host
from archiver.config import FetchConfig
from archiver.fetch import Fetcher, FetchResult, Outcome, check_url_allowed
from tests.support.site import ForwardProxy, LocalSite

GUARDED = FetchConfig(connect_timeout=2, read_timeout=2, deadline=3, retry_backoff=0.01)
# For the local test server itself, which lives on 127.0.0.1.
OPEN = FetchConfig(
    allow_private=True, connect_timeout=2, read_timeout=2, deadline=3, retry_backoff=0.01
)


def fetch(url: str, config: FetchConfig = GUARDED, **kwargs: Any) -> FetchResult:
    async def go() -> FetchResult:
        async with Fetcher(config, resolver=kwargs.pop("resolver", None)) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(go())


def fake_dns(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    """A resolver for names that must never reach real DNS in tests."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


BLOCKED_ADDRESSES = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "CGNAT"),
    ("169.254.169.254", "link-local"),
    ("224.0.0.1", "multicast"),
    ("255.255.255.255", "reserved"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "private"),
    ("fd12:3456::1", "private"),
    ("fe80::1", "link-local"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:10.0.0.1", "private"),
    ("::127.0.0.1", "reserved"),  # deprecated IPv4-compatible
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
]
PUBLIC_ADDRESSES = [
    "93.184.216.34",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "2606:2800:220:1:248:1893:25c8:1946",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "198.18.0.5",  # benchmarking range: fake-IP DNS proxies answer from here
]


@pytest.mark.parametrize(("address", "kind"), BLOCKED_ADDRESSES)
def test_forbidden_addresses_are_named(address: str, kind: str) -> None:
    reason = forbidden_reason(ipaddress.ip_address(address))
    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("169.254.43518", "169.254.169.254"),
        ("127.0.0.1.", "127.0.0.1"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("::1%25lo", "::1%lo"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("08.0.0.1", None),  # not octal: resolvers treat it as a name
        ("4294967296", None),
    ],
)
def test_ip_literals_in_odd_spellings(host: str, expected: str | None) -> None:
    parsed = parse_ip_host(host)
    assert (str(parsed) if parsed is not None else None) == expected


_part = st.one_of(
    st.integers(0, 2**32 - 1).map(str),
    st.integers(0, 2**32 - 1).map(lambda n: f"0x{n:x}"),
    st.integers(0, 2**32 - 1).map(lambda n: f"0{n:o}"),
)


@given(st.lists(_part, min_size=1, max_size=4).map(".".join))
def test_legacy_forms_agree_with_inet_aton(host: str) -> None:
    # The guard must see an address exactly where the system resolver would.
    try:
        expected: str | None = socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        expected = None
    parsed = parse_ip_host(host)
    assert (str(parsed) if parsed is not None else None) == expected


@pytest.mark.parametrize(
    "host", ["localhost", "LOCALHOST.", "api.localhost", "ip6-localhost", "localhost.localdomain"]
)
def test_local_names_are_refused_without_dns(host: str) -> None:
    assert check_host(host, allow_private=False) is not None
    assert check_host(host, allow_private=True) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("javascript:alert(1)", "javascript:"),
        ("file:///etc/passwd", "file:"),
        ("mailto:me@example.com", "mailto:"),
        ("ftp://example.com/a", "ftp:"),
        ("http://127.0.0.1/", "loopback"),
        ("http://[::ffff:127.0.0.1]:8080/", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://192.168.0.1/", "private"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://2130706433/", "loopback"),
        ("http://localhost:8000/", "loopback"),
        ("/relative/path", "no scheme"),
        ("http:///nohost", "no host"),
    ],
)
def test_check_url_allowed_refuses(url: str, fragment: str) -> None:
    error = check_url_allowed(url, allow_private=False)
    assert error is not None and fragment in error


def test_check_url_allowed_passes_public_urls_and_honours_allow_private() -> None:
    assert check_url_allowed("https://example.com/a?b=1", allow_private=False) is None
    assert check_url_allowed("http://93.184.216.34/", allow_private=False) is None
    assert check_url_allowed("http://bücher.example/", allow_private=False) is None
    assert check_url_allowed("http://127.0.0.1:8000/", allow_private=True) is None
    # allow_private never opens other schemes
    assert check_url_allowed("file:///etc/passwd", allow_private=True) is not None


# --- the Fetcher refusing for real ---------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://localhost:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f.1:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:{port}/",
    ],
)
def test_private_targets_are_blocked_without_a_request(
    local_site: LocalSite, template: str
) -> None:
    local_site.route("/", b"secret")
    result = fetch(template.format(port=local_site.port))
    assert result.outcome is Outcome.BLOCKED and result.error
    assert result.attempts == 0 and result.http_status is None
    assert local_site.hits() == 0


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.org/a"])
def test_non_http_schemes_are_blocked(url: str) -> None:
    result = fetch(url)
    assert result.outcome is Outcome.BLOCKED and result.attempts == 0 and result.body == b""


def test_name_resolving_to_a_private_address_is_blocked(local_site: LocalSite) -> None:
    dns = fake_dns({"intranet.example.test": ["93.184.216.34", "10.0.0.7"]})
    url = f"http://intranet.example.test:{local_site.port}/"
    result = fetch(url, resolver=dns)
    assert result.outcome is Outcome.BLOCKED
    assert result.error == "intranet.example.test resolves to private address 10.0.0.7"
    assert local_site.hits() == 0


def test_this_machines_name_is_blocked_when_it_resolves_locally(local_site: LocalSite) -> None:
    name = socket.gethostname()
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except OSError:
        pytest.skip("hostname does not resolve here")
    if not all(a.startswith(("127.", "10.", "172.", "192.168.", "::1")) for a in addresses):
        pytest.skip("hostname resolves to a public address here")
    result = fetch(f"http://{name}:{local_site.port}/")
    assert result.outcome is Outcome.BLOCKED and "resolves to" in (result.error or "")
    assert local_site.hits() == 0


def test_unresolvable_host_is_dead() -> None:
    result = fetch("http://no-such-host.example.test/", resolver=fake_dns({}))
    assert result.outcome is Outcome.DEAD and result.error == "host not found"


def test_allow_private_reaches_names_that_resolve_locally(local_site: LocalSite) -> None:
    local_site.route("/", b"intranet page")
    dns = fake_dns({"wiki.corp.test": ["127.0.0.1"]})
    result = fetch(f"http://wiki.corp.test:{local_site.port}/", OPEN, resolver=dns)
    assert result.outcome is Outcome.OK and result.body == b"intranet page"
    assert local_site.requests("/")[0].host == f"wiki.corp.test:{local_site.port}"


# --- through a proxy -----------------------------------------------------------------------


@pytest.fixture
def proxy(local_site: LocalSite, monkeypatch: pytest.MonkeyPatch) -> Iterator[ForwardProxy]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with ForwardProxy(local_site) as forward:
        monkeypatch.setenv("HTTP_PROXY", forward.base_url)
        yield forward


def test_proxy_resolves_names_and_may_be_on_loopback(
    local_site: LocalSite, proxy: ForwardProxy
) -> None:
    local_site.route("/page", b"<p>via proxy</p>")
    # No resolver entry: resolving this name locally would fail the fetch.
    result = fetch("http://archive.example.test/page", resolver=fake_dns({}))
    assert result.outcome is Outcome.OK and result.body == b"<p>via proxy</p>"
    assert proxy.requests()[0].target == "http://archive.example.test/page"
    assert local_site.requests("/page")[0].host == "archive.example.test"


def test_redirect_through_proxy_into_loopback_is_blocked(
    local_site: LocalSite, proxy: ForwardProxy
) -> None:
    local_site.redirect("/jump", f"http://127.0.0.1:{local_site.port}/secret")
    local_site.route("/secret", b"secret")
    result = fetch("http://archive.example.test/jump", resolver=fake_dns({}))
    assert result.outcome is Outcome.BLOCKED
    assert result.error == "redirect blocked: loopback address 127.0.0.1 is not allowed"
    assert local_site.hits("/secret") == 0 and proxy.hits() == 1


def test_ip_literal_is_blocked_even_through_a_proxy(
    local_site: LocalSite, proxy: ForwardProxy
) -> None:
    for url in (f"http://127.0.0.1:{local_site.port}/", "http://localhost/"):
        result = fetch(url)
        assert result.outcome is Outcome.BLOCKED
    assert proxy.hits() == 0 and local_site.hits() == 0


def test_no_proxy_hosts_go_direct_and_are_resolved_and_checked(
    local_site: LocalSite, proxy: ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "corp.test")
    local_site.redirect("/jump", f"http://wiki.corp.test:{local_site.port}/secret")
    local_site.route("/secret", b"secret")
    dns = fake_dns({"wiki.corp.test": ["127.0.0.1"]})
    result = fetch("http://archive.example.test/jump", resolver=dns)
    assert result.outcome is Outcome.BLOCKED
    assert result.error == "wiki.corp.test resolves to loopback address 127.0.0.1"
    assert local_site.hits("/secret") == 0 and proxy.hits() == 1


def test_proxy_reporting_an_unknown_host_means_dead(
    local_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with ForwardProxy(local_site, unknown_hosts=["gone.example.test"]) as forward:
        monkeypatch.setenv("HTTP_PROXY", forward.base_url)
        result = fetch("http://gone.example.test/", resolver=fake_dns({}))
    assert result.outcome is Outcome.DEAD and result.error == "host not found"
    assert forward.hits() == 1


def test_same_error_page_from_the_site_itself_is_only_a_failure(local_site: LocalSite) -> None:
    local_site.route("/", b"upstream: Name or service not known", status=502)
    result = fetch(local_site.url("/"), OPEN)
    assert result.outcome is Outcome.FAILED and result.error == "HTTP 502 Bad Gateway"
    assert local_site.hits("/") == OPEN.max_retries + 1
