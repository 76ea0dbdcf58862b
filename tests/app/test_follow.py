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
    assert [(i["url"], i["listed"]) for i in by_url[f"{ARTICLES}/beta"]["lists"]] == [
        (REPO, False)
    ]
    assert [(i["url"], i["listed"]) for i in by_url[f"{ARTICLES}/alpha"]["lists"]] == [
        (REPO, True)
    ]
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
