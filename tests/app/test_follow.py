"""`linkvault follow`, `unfollow` and `refresh` over followed lists, run as a user runs them:
a local server plays GitHub (the repository page and raw.githubusercontent.com, over TLS
through a CONNECT proxy), another every http:// host, and the address guard stays on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.app._follow_web import ARTICLES, ListFile, Web, serve_web
from tests.app.test_cli_refresh import lv, sql
from tests.support import pages

REPO = "https://github.com/owner/awesome"
README_PATH = "/owner/awesome/HEAD/README.md"


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Web]:
    yield from serve_web(tmp_path)


def readme(*entries: str) -> str:
    """An awesome list: a table of contents, two sections, a relative link, a link to itself."""
    tools = [e for e in entries if e in ("alpha", "beta", "delta")]
    reading = [e for e in entries if e not in tools]
    lines = [
        "# Awesome things",
        "",
        "![Badge](https://img.example/badge.svg)",
        "",
        "- [Tools](#tools)",
        "- [Reading](#reading)",
        "",
        "## Tools",
        "",
        *(f"- [{name.title()}]({ARTICLES}/{name}) - about {name}." for name in tools),
        "",
        "## Reading",
        "",
        *(f"- [{name.title()}]({ARTICLES}/{name})" for name in reading),
        "- [How to contribute](CONTRIBUTING.md)",
        f"- [This very list]({REPO})",
    ]
    return "\n".join(lines) + "\n"


def links(data: Path) -> dict[str, tuple[str | None, str]]:
    rows = sql(data, "SELECT url, section, status FROM links")
    return {url: (section, status) for url, section, status in rows}


def listed(data: Path) -> dict[str, bool]:
    rows = sql(
        data,
        "SELECT links.url, list_links.still_listed FROM list_links "
        "JOIN links ON links.id = list_links.link_id",
    )
    return {url: bool(still) for url, still in rows}


def test_follow_a_github_readme_then_refresh_it(web: Web, tmp_path: Path) -> None:
    for name in ("alpha", "beta", "gamma", "delta", "epsilon"):
        web.article(name)
    web.github.route(
        "/owner/awesome/blob/HEAD/CONTRIBUTING.md",
        pages.article("Contributing", pages.filler("contributing")).encode(),
    )
    listing = ListFile(readme("alpha", "beta", "gamma"))
    web.github.route(README_PATH, handler=listing)
    data, env = tmp_path / "data", web.env()

    first = lv(data, "follow", REPO, "--section-prefix", "Awesome", **env)
    assert first.returncode == 0, first.stderr
    assert "Following https://github.com/owner/awesome (list 1)" in first.stderr
    contributing = f"{REPO}/blob/HEAD/CONTRIBUTING.md"
    assert links(data) == {
        f"{ARTICLES}/alpha": ("Awesome / Tools", "ok"),
        f"{ARTICLES}/beta": ("Awesome / Tools", "ok"),
        f"{ARTICLES}/gamma": ("Awesome / Reading", "ok"),
        contributing: ("Awesome / Reading", "ok"),
    }
    # The README was read from raw.githubusercontent.com, through the tunnel.
    assert [r.host for r in web.github.requests(README_PATH)] == ["raw.githubusercontent.com"]
    assert "raw.githubusercontent.com:443" in web.tunnel.targets
    assert listing.seen == [None]

    # Unchanged: a 304, and nothing changes.
    before = (links(data), listed(data))
    hits = web.articles.hits()
    unchanged = lv(data, "refresh", **env)
    assert unchanged.returncode == 0, unchanged.stderr
    assert listing.seen[-1] == listing.etag and listing.not_modified == 1
    assert f"{REPO}: unchanged" in unchanged.stderr
    assert (links(data), listed(data)) == before and web.articles.hits() == hits

    # Two links added, one dropped.
    listing.text = readme("alpha", "gamma", "delta", "epsilon")
    changed = lv(data, "refresh", **env)
    assert changed.returncode == 0, changed.stderr
    assert "1 no longer listed (kept)" in changed.stderr
    now = links(data)
    assert now[f"{ARTICLES}/delta"] == ("Awesome / Tools", "ok")
    assert now[f"{ARTICLES}/epsilon"] == ("Awesome / Reading", "ok")
    assert now[f"{ARTICLES}/beta"] == ("Awesome / Tools", "ok")  # kept
    assert listed(data)[f"{ARTICLES}/beta"] is False
    assert all(still for url, still in listed(data).items() if url != f"{ARTICLES}/beta")

    # The reader and both exports say so.
    beta_id = sql(data, "SELECT id FROM links WHERE url = ?", f"{ARTICLES}/beta")[0][0]
    with TestClient(create_app(Settings(data_dir=data))) as client:
        page = client.get(f"/links/{beta_id}").text
        assert "No longer listed in" in page and f'href="{REPO}"' in page
        alpha_id = sql(data, "SELECT id FROM links WHERE url = ?", f"{ARTICLES}/alpha")[0][0]
        assert "No longer listed in" not in client.get(f"/links/{alpha_id}").text
        api = client.get("/api/lists").json()["lists"]
    assert [(item["url"], item["listed"], item["no_longer_listed"]) for item in api] == [
        (REPO, len(listed(data)) - 1, 1)
    ]
    exported = lv(data, "export", "--format", "json", **env)
    assert exported.returncode == 0, exported.stderr
    by_url = {item["url"]: item for item in json.loads(exported.stdout)["links"]}
    lists_of = {
        url: [(i["url"], i["listed"]) for i in item["lists"]] for url, item in by_url.items()
    }
    assert lists_of[f"{ARTICLES}/beta"] == [(REPO, False)]
    assert lists_of[f"{ARTICLES}/alpha"] == [(REPO, True)]
    markdown = lv(data, "export", "--format", "markdown", **env).stdout
    beta_line = next(line for line in markdown.splitlines() if f"({ARTICLES}/beta)" in line)
    assert f"no longer listed in {REPO}" in beta_line

    # It comes back: listed again, not archived twice.
    listing.text = readme("alpha", "beta", "gamma", "delta", "epsilon")
    back = lv(data, "refresh", **env)
    assert back.returncode == 0, back.stderr
    assert "1 listed again" in back.stderr
    assert all(listed(data).values())
    assert sql(data, "SELECT count(*) FROM snapshots s JOIN links l ON l.id = s.link_id "
               "WHERE l.url = ?", f"{ARTICLES}/beta") == [(1,)]  # fmt: skip


LISTS = "http://lists.example"


def test_plain_and_html_lists_followed_listed_and_unfollowed(web: Web, tmp_path: Path) -> None:
    alpha, beta = web.article("alpha"), web.article("beta")
    date = "Sat, 05 Dec 2026 10:00:00 GMT"
    reading = ListFile(f"# my reading\n{alpha}  Alpha, the first\n{beta}\n", last_modified=date)
    web.articles.route("/reading.txt", handler=reading)
    web.articles.route(
        "/links",
        (
            '<!doctype html><html><body><p><a href="#top">Top</a></p><h2>Papers</h2><ul>'
            '<li><a href="/gamma">Gamma paper</a></li><li><a href="links">This page</a></li>'
            f'<li><a href="{alpha}">Alpha again</a></li></ul></body></html>'
        ).encode(),
    )
    web.article("gamma")
    data, env = tmp_path / "data", web.env()

    text = lv(data, "follow", f"{LISTS}/reading.txt", **env)
    assert text.returncode == 0, text.stderr
    assert links(data) == {alpha: (None, "ok"), beta: (None, "ok")}
    assert sql(data, "SELECT title FROM links WHERE url = ?", alpha) == [("Alpha, the first",)]

    html = lv(data, "follow", f"{LISTS}/links", "--section-prefix", "Web", **env)
    assert html.returncode == 0, html.stderr
    # Relative links resolve against the page; its anchor and its link to itself are no
    # entries; alpha was there already and keeps its section.
    assert links(data) == {
        alpha: (None, "ok"),
        beta: (None, "ok"),
        f"{LISTS}/gamma": ("Web / Papers", "ok"),
    }

    again = lv(data, "follow", f"{LISTS}/reading.txt", **env)
    assert again.returncode == 0, again.stderr
    assert "Already following" in again.stderr and f"{LISTS}/reading.txt: unchanged" in again.stderr
    assert reading.seen == [None, date] and reading.not_modified == 1
    assert sql(data, "SELECT count(*) FROM followed_lists") == [(2,)]

    shown = lv(data, "follow", "--list", **env)
    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.splitlines()
    assert rows[0].startswith(f"1  {LISTS}/reading.txt  2 listed, 0 no longer listed")
    assert rows[1].startswith(f"2  {LISTS}/links  2 listed, 0 no longer listed")
    assert "sections under 'Web'" in rows[1] and rows[1].endswith(": ok")

    assert lv(data, "unfollow", "1", **env).returncode == 0
    by_url = lv(data, "unfollow", f"{LISTS}/links", **env)
    assert by_url.returncode == 0 and "its links are kept" in by_url.stderr
    unknown = lv(data, "unfollow", f"{LISTS}/links", **env)
    assert unknown.returncode == 2 and "no followed list is" in unknown.stderr
    assert sql(data, "SELECT count(*) FROM followed_lists") == [(0,)]
    assert sql(data, "SELECT count(*) FROM list_links") == [(0,)]
    assert len(links(data)) == 3  # unfollowing keeps the links
    assert "No followed lists" in lv(data, "follow", "--list", **env).stderr


def test_lists_that_cannot_be_read(web: Web, tmp_path: Path) -> None:
    alpha = web.article("alpha")
    web.articles.route("/reading.txt", f"{alpha}\n".encode(), content_type="text/plain")
    # A list that moved to an internal address: refused, whatever the proxy could reach.
    web.articles.redirect("/moved", web.articles.url("/reading.txt"))
    data, env = tmp_path / "data", web.env()

    moved = lv(data, "follow", f"{LISTS}/moved", **env)
    assert moved.returncode == 2
    message = " ".join(moved.stderr.split())
    assert "refused by the address guard" in message
    assert "loopback address 127.0.0.1 is not allowed" in message
    assert "nothing was imported" in message
    assert web.articles.hits("/reading.txt") == 0
    missing = lv(data, "follow", f"{LISTS}/missing.md", **env)
    assert missing.returncode == 2
    assert "404 Not Found" in missing.stderr and "nothing was imported" in missing.stderr
    internal = lv(data, "follow", web.articles.url("/reading.txt"), **env)
    assert internal.returncode == 2 and "loopback address" in internal.stderr
    web.articles.route("/huge.txt", f"{alpha}\n".encode() * 1000, content_type="text/plain")
    huge = lv(data, "follow", f"{LISTS}/huge.txt", **env, LINKVAULT_MAX_PAGE_BYTES="10000")
    assert huge.returncode == 2 and "body larger than 9.8 KB limit" in huge.stderr
    not_http = lv(data, "follow", "ftp://lists.example/x", **env)
    assert not_http.returncode == 2 and "is not an http(s) URL" in not_http.stderr
    assert sql(data, "SELECT count(*) FROM followed_lists") == [(0,)]
    assert sql(data, "SELECT count(*) FROM links") == [(0,)]

    # A followed list that fails later is reported; the refresh goes on.
    assert lv(data, "follow", f"{LISTS}/reading.txt", **env).returncode == 0
    other = ListFile(f"{alpha}\n")
    web.articles.route("/other.txt", handler=other)
    assert lv(data, "follow", f"{LISTS}/other.txt", **env).returncode == 0
    web.articles.route("/reading.txt", b"gone", status=404, content_type="text/plain")
    other.text = f"{alpha}\n{web.article('beta')}\n"
    refresh = lv(data, "refresh", **env)
    assert refresh.returncode == 0, refresh.stderr
    assert f"cannot read {LISTS}/reading.txt: HTTP 404 Not Found" in refresh.stderr
    assert links(data)[f"{ARTICLES}/beta"] == (None, "ok")
    # The failed list keeps what it listed, and says why it failed.
    state = sql(data, "SELECT status, error FROM followed_lists WHERE id = 1")
    assert state == [("failed", f"cannot read {LISTS}/reading.txt: HTTP 404 Not Found")]
    assert listed(data)[alpha] is True
    refollow = lv(data, "follow", f"{LISTS}/reading.txt", **env)
    assert refollow.returncode == 2 and "HTTP 404 Not Found" in refollow.stderr
    with TestClient(create_app(Settings(data_dir=data))) as client:
        api = client.get("/api/lists").json()["lists"]
    assert [(item["url"], item["status"], item["listed"]) for item in api] == [
        (f"{LISTS}/reading.txt", "failed", 1),
        (f"{LISTS}/other.txt", "ok", 2),
    ]
    assert api[0]["error"] == f"cannot read {LISTS}/reading.txt: HTTP 404 Not Found"
