"""Fetcher against real local servers: redirect chains, loops, limits, dead hosts and
schemes."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace

from archiver.fetch import Outcome
from tests.archiver._helpers import CFG, fetch
from tests.support.site import Exchange, LocalSite


def fake_dns(table: dict[str, list[str]]) -> Callable[[str, int], Awaitable[list[str]]]:
    """A resolver for names that must never reach real DNS in tests."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


# --- redirects --------------------------------------------------------------------------


def test_redirect_chain_is_followed(local_site: LocalSite) -> None:
    local_site.redirect("/old", "new?x=1", status=301)  # relative
    local_site.redirect("/new", local_site.url("/final"), status=307)
    local_site.route("/final", b"<p>arrived</p>")
    result = fetch(local_site.url("/old"))
    assert result.outcome is Outcome.OK and result.body == b"<p>arrived</p>"
    assert result.final_url == local_site.url("/final")
    assert result.redirects == [local_site.url("/new?x=1"), local_site.url("/final")]
    assert [local_site.hits(p) for p in ("/old", "/new", "/final")] == [1, 1, 1]


def test_redirect_loop_fails(local_site: LocalSite) -> None:
    local_site.redirect("/a", "/b")
    local_site.redirect("/b", "/a")
    result = fetch(local_site.url("/a"))
    assert result.outcome is Outcome.FAILED and result.error == "redirect loop"
    assert local_site.hits() == 2


def test_self_redirect_that_sets_a_cookie_is_not_a_loop(local_site: LocalSite) -> None:
    def cookie_wall(ex: Exchange) -> None:
        if "seen=1" in ex.request.headers.get("cookie", ""):
            ex.respond(200, b"<p>behind the wall</p>")
        else:
            ex.respond(302, headers={"Location": "/wall", "Set-Cookie": "seen=1; Path=/"})

    local_site.route("/wall", handler=cookie_wall)
    result = fetch(local_site.url("/wall"))
    assert result.outcome is Outcome.OK and result.body == b"<p>behind the wall</p>"


def test_too_many_redirects(local_site: LocalSite) -> None:
    for i in range(6):
        local_site.redirect(f"/r{i}", f"/r{i + 1}")
    config = replace(CFG, max_redirects=3)
    result = fetch(local_site.url("/r0"), config)
    assert result.outcome is Outcome.FAILED
    assert result.error == "too many redirects (more than 3)"
    assert local_site.hits() == 4 and local_site.hits("/r4") == 0


def test_redirect_to_a_host_that_does_not_exist(local_site: LocalSite) -> None:
    local_site.redirect("/moved", "http://gone.example.test/new-home")
    result = fetch(local_site.url("/moved"), resolver=fake_dns({}))
    assert result.outcome is Outcome.DEAD and result.error == "host not found"
    assert result.final_url == "http://gone.example.test/new-home"
    assert result.http_status is None


def test_a_resolver_that_is_down_is_not_a_dead_host(local_site: LocalSite) -> None:
    async def resolver_down(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    local_site.redirect("/moved", "http://elsewhere.example.test/new-home")
    result = fetch(local_site.url("/moved"), resolver=resolver_down)
    assert result.outcome is Outcome.FAILED
    assert result.error == "DNS lookup failed (temporary)"


def test_redirect_to_non_http_scheme_is_blocked(local_site: LocalSite) -> None:
    local_site.redirect("/", "file:///etc/passwd")
    result = fetch(local_site.url("/"))
    assert result.outcome is Outcome.BLOCKED and "file:" in (result.error or "")
