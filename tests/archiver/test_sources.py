"""The link-list importers on examples: the real example list, markdown and plain text.
(test_bookmarks.py has the bookmark files, test_read_source.py files, stdin and URLs.)"""

from __future__ import annotations

import re
from pathlib import Path

from archiver.sources import (
    LinkSpec,
    parse_markdown,
    parse_text,
    read_source,
)
from tests.archiver._helpers import problems_of

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-internals.md"


# --- the real example list -------------------------------------------------------------


def test_example_list_yields_every_link_once() -> None:
    result = read_source(str(EXAMPLE))
    listed = re.findall(r"\]\((https?://[^)\s]+)\)", EXAMPLE.read_text(encoding="utf-8"))
    assert len(listed) == 52
    assert [link.url for link in result.links] == list(dict.fromkeys(listed))
    assert len(result.links) == 51
    assert result.problems == []
    assert {link.source for link in result.links} == {str(EXAMPLE)}


def test_example_list_sections_and_titles() -> None:
    links = read_source(str(EXAMPLE)).links
    sections = [link.section for link in links]
    assert sections[:4] == ['EXAMPLES OF INTROSPECTION/REFLECTION ON "INTERNALS"'] * 4
    assert set(sections[4:]) == {"PYTHON INTERNALS - RESOURCES"}
    by_url = {link.url: link for link in links}
    episode = by_url[
        "https://talkpython.fm/episodes/show/22/cpython-internals-and-learning-python-with-pythontutor.com"
    ]
    assert episode.title == (
        "Episode #22 CPython Internals and Learning Python with pythontutor.com"
        " - [Talk Python To Me Podcast]"
    )
    assert episode.line == 39
    welcome = by_url["https://cs263-technology-tutorial.readthedocs.org/en/latest/"]
    assert welcome.title is not None and welcome.title.startswith(
        "Welcome to Python VM Internals Tutorial’s documentation! — "
    )
    extending = by_url["https://docs.python.org/2/extending/index.html#extending-index"]
    assert extending.normalized_url == "https://docs.python.org/2/extending/index.html"


def test_example_duplicate_keeps_first_occurrence() -> None:
    links = read_source(str(EXAMPLE)).links
    wiki = [link for link in links if "negativeview" in link.url]
    assert len(wiki) == 1
    assert wiki[0].line == 36


# --- markdown ---------------------------------------------------------------------------


def test_markdown_fixture() -> None:
    result = read_source(str(FIXTURES / "awesome.md"))
    tools = "TOOLS (Last Edit: 01Apr16a.20h35)"
    last = "Section with code and bold"
    assert [(link.line, link.section, link.title, link.url) for link in result.links] == [
        (1, None, "Awesome", "https://awesome.re"),
        (
            11,
            tools,
            "pallets/flask: The Python micro framework for building web applications",
            "https://github.com/pallets/flask",
        ),
        (
            12,
            tools,
            "Welcome to Flask’s documentation! — Flask Documentation (3.0.x) [stable]",
            "https://flask.palletsprojects.com/en/3.0.x/",
        ),
        (13, tools, "Foo (bar) - Wikipedia", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        (14, tools, "Emphasised and code title", "https://example.com/emphasis"),
        (15, tools, None, "https://autolink.example.com/page"),
        (16, tools, None, "https://bare.example.com/path"),
        (17, tools, "Reference style", "https://palletsprojects.com/p/flask/"),
        (18, tools, "second line link", "https://second-line.example.com/"),
        (33, last, "Last link", "http://Example.com:80/last"),
        (34, last, "A bookmarklet", "javascript:alert(1)"),
    ]
    assert result.links[-2].normalized_url == "http://example.com/last"
    assert problems_of(result) == [
        (6, "anchor link '#tools' skipped: it points inside the list itself"),
        (7, "anchor link '#reading--quotes' skipped: it points inside the list itself"),
        (23, "relative link './CONTRIBUTING.md' skipped: no base URL to resolve it against"),
    ]


def test_markdown_heading_forms() -> None:
    text = (
        "Intro [a](https://a.example.com)\n\n"
        "# ATX *one* #####\n[b](https://b.example.com)\n\n"
        "Setext `two`\n============\n[c](https://c.example.com)\n\n"
        "Setext three\n---\n[d](https://d.example.com)\n\n"
        '###### Six "quoted" &amp; escaped \\*\n[e](https://e.example.com)\n'
    )
    sections = [link.section for link in parse_markdown(text, "x.md").links]
    assert sections == [None, "ATX one", "Setext two", "Setext three", 'Six "quoted" & escaped *']


def test_markdown_skips_code_and_images() -> None:
    text = (
        "```\n[fenced](https://fenced.example.com) https://fenced2.example.com\n```\n\n"
        "~~~md\nhttps://tilde.example.com\n~~~\n\n"
        "    https://indented.example.com\n\n"
        "`https://span.example.com` ![img](https://img.example.com/x.png)\n"
        "[![badge](https://img.example.com/b.svg)](https://ci.example.com/)\n"
    )
    result = parse_markdown(text, "x.md")
    assert [(link.url, link.title) for link in result.links] == [
        ("https://ci.example.com/", "badge")
    ]


def test_markdown_titles_and_escapes() -> None:
    text = (
        '[Title *with* `code`](https://t.example.com/a "link title")\n'
        "[](https://empty-text.example.com/ 'fallback title')\n"
        "[https://same.example.com](https://same.example.com)\n"
        "[esc\\]aped](https://x.example.com/a\\_b)\n"
        "[angle](<https://x.example.com/with space?>)\n"
    )
    result = parse_markdown(text, "x.md")
    assert [(link.title, link.url) for link in result.links] == [
        ("Title with code", "https://t.example.com/a"),
        ("fallback title", "https://empty-text.example.com/"),
        (None, "https://same.example.com"),
        ("esc]aped", "https://x.example.com/a_b"),
    ]
    assert problems_of(result) == [
        (
            5,
            "unusable URL 'https://x.example.com/with space?' skipped: "
            "URL contains whitespace or control characters",
        )
    ]


def test_markdown_bare_urls_follow_github_rules() -> None:
    text = (
        "See https://a.example.com/x. And (https://b.example.com/y) or "
        "https://en.wikipedia.org/wiki/Foo_(bar), also http://localhost:8000/dev!\n"
        "Not links: https://nodot and [broken](https://exa mple.com)\n"
    )
    result = parse_markdown(text, "x.md")
    assert [link.url for link in result.links] == [
        "https://a.example.com/x",
        "https://b.example.com/y",
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "http://localhost:8000/dev",
    ]
    assert [line for line, _ in problems_of(result)] == [2]
    assert "not valid markdown" in result.problems[0].message


def test_markdown_inline_html_links_and_tables() -> None:
    text = (
        '<p align="center">\n'
        '  <a href="https://logo.example.com/"><img alt="Logo" src="l.png"></a>\n'
        "</p>\n\n"
        '## Tools\nUse <a href="https://inline.example.com/">the *inline* tool</a>.\n\n'
        "| name | link |\n|---|---|\n| one | [One](https://one.example.com/) |\n"
        "| two | <https://two.example.com/> |\n"
    )
    result = parse_markdown(text, "x.md")
    assert [(link.line, link.section, link.title, link.url) for link in result.links] == [
        (2, None, "Logo", "https://logo.example.com/"),
        (6, "Tools", "the inline tool", "https://inline.example.com/"),
        (10, "Tools", "One", "https://one.example.com/"),
        (11, "Tools", None, "https://two.example.com/"),
    ]


def test_markdown_problems_carry_line_numbers() -> None:
    long_url = "https://example.com/" + "a" * 9000
    text = (
        "# Links\n"
        "* [ok](https://ok.example.com/)\n"
        "* [relative](docs/readme.md)\n"
        "* [anchor](#links)\n"
        "* [empty]()\n"
        "* [no host](http://)\n"
        f"* [too long]({long_url})\n"
        "* [still fine after problems](https://fine.example.com/)\n"
    )
    result = parse_markdown(text, "x.md")
    assert [link.line for link in result.links] == [2, 8]
    lines = [line for line, _ in problems_of(result)]
    assert lines == [3, 4, 5, 6, 7]
    messages = [message for _, message in problems_of(result)]
    assert messages[0].startswith("relative link 'docs/readme.md'")
    assert messages[1].startswith("anchor link '#links'")
    assert messages[2] == "link with an empty target skipped"
    assert messages[3].endswith("no host")
    assert "longer than 8192" in messages[4]
    assert len(messages[4]) < 200  # the junk URL is shortened in the message


def test_duplicates_across_normalisation_keep_first() -> None:
    text = (
        "## First\n"
        "* [original](https://example.com/article?id=1)\n"
        "## Second\n"
        "* [utm](https://example.com/article?id=1&utm_source=twitter&utm_medium=social)\n"
        "* [fragment](https://example.com/article?id=1#comments)\n"
        "* [host case](https://EXAMPLE.com/article?id=1)\n"
        "* [default port](https://example.com:443/article?id=1)\n"
        "* [http is different](http://example.com/article?id=1)\n"
    )
    result = parse_markdown(text, "x.md")
    assert [(link.title, link.section, link.line) for link in result.links] == [
        ("original", "First", 2),
        ("http is different", "Second", 8),
    ]
    assert result.problems == []


def test_markdown_huge_lines_are_parsed() -> None:
    # A megabyte line of links, and one of bracket soup that markdown-it handles slowly.
    links = " ".join(f"[t{i}](https://huge.example.com/{i})" for i in range(40_000))
    soup = "[" * 1_000_000
    text = f"# Huge\n{links}\n{soup}\n[after](https://after.example.com/)\n"
    assert len(links) > 1_000_000
    result = parse_markdown(text, "x.md")
    assert len(result.links) == 40_001
    assert result.links[0] == LinkSpec(
        "https://huge.example.com/0", "https://huge.example.com/0", "t0", "Huge", "x.md", 2
    )
    assert result.links[-1].line == 4
    assert result.links[-1].section == "Huge"


# --- plain text -------------------------------------------------------------------------


def test_text_fixture() -> None:
    result = read_source(str(FIXTURES / "links.txt"))
    assert [(link.line, link.title, link.url) for link in result.links] == [
        (4, None, "https://www.python.org/"),
        (5, "asyncio — Asynchronous I/O", "https://docs.python.org/3/library/asyncio.html"),
        (6, "Real Python tutorials", "https://realpython.com/"),
        (7, None, "https://lwn.net/Articles/"),
        (8, None, "https://example.com/indented"),
        (14, None, "mailto:someone@example.com"),
        (15, None, "https://en.wikipedia.org/wiki/Foo_(bar)"),
    ]
    assert all(link.section is None for link in result.links)
    assert problems_of(result) == [
        (10, "no URL found in 'not a url at all'"),
        (11, "no URL found in 'www.example.org/missing-scheme' (missing https://?)"),
        (12, "no URL found in './relative/path.html'"),
        (13, "no URL found in 'https://exa mple.com/space' (space inside the URL?)"),
    ]


def test_text_lines_and_endings() -> None:
    text = (
        "https://a.example.com/\r\n"
        "# comment https://commented.example.com/\r"
        "two https://b.example.com/ and https://c.example.com/\n"
        "http://intranet/wiki\n"
        "\n"
        '"https://quoted.example.com/page", \n'
        "https://d.example.com/path. \n"
        "file:///etc/hosts the hosts file\n"
    )
    result = parse_text(text, "x.txt")
    assert [(link.line, link.url, link.title) for link in result.links] == [
        (1, "https://a.example.com/", None),
        (3, "https://b.example.com/", None),
        (3, "https://c.example.com/", None),
        (4, "http://intranet/wiki", None),
        (6, "https://quoted.example.com/page", None),
        (7, "https://d.example.com/path", None),
        (8, "file:///etc/hosts", "the hosts file"),
    ]


def test_text_huge_line() -> None:
    text = "https://big.example.com/ " + "word " * 250_000 + "\n" + "x" * 1_000_000
    result = parse_text(text, "x.txt")
    assert [link.url for link in result.links] == ["https://big.example.com/"]
    title = result.links[0].title
    assert title is not None and len(title) <= 1000
    assert [line for line, _ in problems_of(result)] == [2]
