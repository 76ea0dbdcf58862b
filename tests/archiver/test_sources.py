from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.sources import (
    ImportResult,
    LinkSpec,
    SourceError,
    SourceProblem,
    parse_bookmarks,
    parse_markdown,
    parse_text,
    read_source,
)
from archiver.urls import normalize_url

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-internals.md"


def _by_url(result: ImportResult) -> dict[str, LinkSpec]:
    return {link.url: link for link in result.links}


def _problems(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in result.problems]


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
    assert _problems(result) == [
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
    assert _problems(result) == [
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
    assert [line for line, _ in _problems(result)] == [2]
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
    lines = [line for line, _ in _problems(result)]
    assert lines == [3, 4, 5, 6, 7]
    messages = [message for _, message in _problems(result)]
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
    assert _problems(result) == [
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
    assert [line for line, _ in _problems(result)] == [2]


# --- bookmarks --------------------------------------------------------------------------


def test_chrome_bookmarks() -> None:
    result = read_source(str(FIXTURES / "chrome_bookmarks.html"))
    assert [(link.line, link.section, link.title) for link in result.links] == [
        (11, None, "Hacker News"),
        (14, "Python", "3.12.0 Documentation"),
        (17, "Python / Internals", "CPython’s internals"),
        (18, "Python / Internals", "CPython - Wikipedia"),
        (20, "Python", "PEP 8 – Style Guide for Python Code | peps.python.org"),
        (22, None, "GitHub"),
        (26, "Reading & Research", "LWN.net"),
        (29, None, "Loose in Other bookmarks"),
        (30, None, "A bookmarklet"),
        (34, None, "After the empty folder"),
    ]
    pep8 = result.links[4]
    assert pep8.url == "https://peps.python.org/pep-0008/?utm_source=chrome&utm_medium=bookmark"
    assert pep8.normalized_url == "https://peps.python.org/pep-0008/"
    # "https://LWN.net:443/#top" is the same page as "https://lwn.net/".
    assert sum(link.normalized_url == "https://lwn.net/" for link in result.links) == 1
    assert result.problems == []


def test_firefox_bookmarks_folders_and_tags() -> None:
    result = read_source(str(FIXTURES / "firefox_bookmarks.html"))
    assert [(link.section, link.title, link.tags) for link in result.links] == [
        ("Mozilla Firefox", "Get Help", ()),
        ("Mozilla Firefox", "About Us", ()),
        (None, "Learn Rust", ("rust", "learning")),
        (None, "Getting Started", ()),
        ("Web dev", "HTML: HyperText Markup Language | MDN", ("html", "reference", "mdn")),
        ("Web dev / CSS", "grid - CSS: Cascading Style Sheets | MDN", ("css",)),
        (None, "A blog post", ("later",)),
        ("Recipes", "Bread", ()),
    ]
    blog = result.links[6]
    assert blog.url == "https://blog.example.com/post?id=7&fbclid=abc123"
    assert blog.normalized_url == "https://blog.example.com/post?id=7"
    assert not any(link.url.startswith("place:") for link in result.links)
    assert result.problems == []


def test_malformed_bookmarks_still_yield_links() -> None:
    result = read_source(str(FIXTURES / "malformed_bookmarks.html"))
    assert [(link.line, link.title, link.tags) for link in result.links] == [
        (6, "One", ()),
        (7, "Two", ("a", "b")),
        (8, "Three", ()),
        (9, "broken", ()),
        (10, "Five bold", ()),
        (13, "Six", ()),
    ]
    assert {link.section for link in result.links} == {"Unclosed folder"}
    assert _problems(result) == [(11, "link with an empty target skipped")]


def test_bookmark_tags_cleaned_and_root_names_dropped() -> None:
    text = (
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
        "<DT><H3>Favorites</H3>\n<DL><p>\n"
        '<DT><A HREF="https://a.example.com/" TAGS=" x , y,,x ">A</A>\n'
        "<DT><H3>Favorites</H3>\n<DL><p>\n"
        '<DT><A HREF="https://b.example.com/">B</A>\n'
        "</DL><p>\n</DL><p>\n</DL>\n"
    )
    links = parse_bookmarks(text, "b.html").links
    assert [(link.section, link.tags) for link in links] == [
        (None, ("x", "y")),
        ("Favorites", ()),  # only the top level is the browser's own folder
    ]


def test_plain_html_page_falls_back_to_anchor_links(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><base href='https://base.example.com/dir/'><title>T</title></head><body>\n"
        "<h2>Tools <small>new</small></h2><p><a href='tool.html'>Tool</a> <a href='#top'>top</a>\n"
        "<script>var s = \"<a href='https://script.example.com'>\";</script>\n"
        "<h2>Docs</h2><ul><li><a href=https://docs.example.com/>The <b>docs</b></a></ul>\n"
        "</body></html>\n",
        encoding="utf-8",
    )
    result = read_source(str(page))
    assert [(link.line, link.section, link.title, link.url) for link in result.links] == [
        (2, "Tools new", "Tool", "https://base.example.com/dir/tool.html"),
        (4, "Docs", "The docs", "https://docs.example.com/"),
    ]
    assert _problems(result) == [
        (2, "anchor link '#top' skipped: it points inside the list itself")
    ]


def test_bookmarks_huge_input_stays_linear() -> None:
    # Unclosed constructs that make html.parser quadratic on older Pythons.
    junk = "</" * 500_000 + "<a x='" * 20_000 + "<!" * 50_000
    text = f'<DL><DT><A HREF="https://first.example.com/">F</A>{junk}'
    result = parse_bookmarks(text, "b.html")
    assert [link.url for link in result.links] == ["https://first.example.com/"]


# --- read_source: files, stdin, URLs, errors ---------------------------------------------


def test_url_argument() -> None:
    result = read_source("https://Example.com/a?utm_source=x#frag")
    assert result.links == [
        LinkSpec(
            "https://Example.com/a?utm_source=x#frag",
            "https://example.com/a",
            None,
            None,
            "<args>",
            None,
        )
    ]
    assert result.problems == []


def test_bad_url_argument_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="not a usable URL"):
        read_source("https://exa mple.com/")


def test_missing_file() -> None:
    with pytest.raises(SourceError, match="nope.md: no such file"):
        read_source("nope.md")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory"):
        read_source(str(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files regardless of permissions")
def test_permission_denied(tmp_path: Path) -> None:
    path = tmp_path / "secret.md"
    path.write_text("https://example.com/\n")
    path.chmod(0)
    with pytest.raises(SourceError, match="permission denied"):
        read_source(str(path))


def test_name_with_nul_byte() -> None:
    with pytest.raises(SourceError, match="not a valid path"):
        read_source("bad\x00name.md")


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00" + bytes(range(256)) * 8,
        b"https://example.com/\n\x00\x00\x00\x01\x02binary",
        bytes((i * 7919) % 256 for i in range(1, 5000) if (i * 7919) % 256),
    ],
    ids=["elf", "nul-bytes", "noise"],
)
def test_binary_garbage_is_a_source_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "links.txt"
    path.write_bytes(data)
    with pytest.raises(SourceError, match=r"links\.txt: .*binary"):
        read_source(str(path))


def test_source_error_is_a_value_error() -> None:
    assert issubclass(SourceError, ValueError)


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"# only a comment\n"])
def test_empty_file_is_not_an_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    result = read_source(str(path))
    assert result.links == []
    assert result.problems == [SourceProblem(str(path), None, "no links found")]


def test_markdown_without_links_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nNothing to see here.\n")
    result = read_source(str(path))
    assert result.links == []
    assert _problems(result) == [(None, "no links found")]


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("bom.md", "\ufeff# Café\n[Crème](https://example.com/crème)\n".encode(), "Crème"),
        ("le.txt", "\ufeffhttps://example.com/ Grüße\n".encode("utf-16-le"), "Grüße"),
        ("be.txt", "\ufeffhttps://example.com/ Grüße\n".encode("utf-16-be"), "Grüße"),
        ("u32.txt", "\ufeffhttps://example.com/ Grüße\n".encode("utf-32-le"), "Grüße"),
        (
            "cp1252.txt",
            (
                "# Café links — “favourites”\n"
                "https://example.com/  Crème brûlée – “the” recipe\n"
                "https://example.org/  Naïve résumé, déjà vu\n"
            ).encode("cp1252"),
            "Crème brûlée – “the” recipe",
        ),
    ],
)
def test_encodings(tmp_path: Path, name: str, data: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = read_source(str(path))
    assert result.links[0].title == expected
    assert result.links[0].url.startswith("https://example.com/")


def test_html_declared_charset(tmp_path: Path) -> None:
    path = tmp_path / "bookmarks.htm"
    path.write_bytes(
        b'<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META CONTENT="text/html; charset=windows-1252">\n'
        b'<DL><p><DT><A HREF="https://example.com/">Caf\xe9 \x93quoted\x94</A>\n</DL>\n'
    )
    assert read_source(str(path)).links[0].title == "Café “quoted”"


@pytest.mark.parametrize(
    ("name", "content", "title", "section"),
    [
        ("list", "https://example.com/ Plain title\n", "Plain title", None),
        ("notes.lst", "## Heading\n* [Md title](https://example.com/)\n", "Md title", "Heading"),
        (
            "export",
            "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n<DT><H3>Dir</H3>\n<DL><p>\n"
            '<DT><A HREF="https://example.com/">Bm title</A>\n</DL>\n</DL>\n',
            "Bm title",
            "Dir",
        ),
        (
            "page.php",
            "<p>Go to <a href='https://example.com/'>Html title</a></p>",
            "Html title",
            None,
        ),
    ],
)
def test_unknown_extension_is_sniffed(
    tmp_path: Path, name: str, content: str, title: str, section: str | None
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    link = read_source(str(path)).links[0]
    assert (link.title, link.section, link.source) == (title, section, str(path))


def test_extension_decides_over_content(tmp_path: Path) -> None:
    # A .txt file is a plain list even when a line looks like a markdown link.
    path = tmp_path / "links.TXT"
    path.write_text("https://example.com/a  [not](https://example.com/b) markdown\n")
    result = read_source(str(path))
    assert [link.url for link in result.links] == [
        "https://example.com/a",
        "https://example.com/b",
    ]


@pytest.mark.parametrize(
    ("data", "title", "section"),
    [
        (b"# S\n\n- [Stdin md](https://example.com/)\n", "Stdin md", "S"),
        (b"https://example.com/ stdin text\n", "stdin text", None),
        (
            b"<!DOCTYPE NETSCAPE-Bookmark-file-1><DL><DT><H3>F</H3><DL>"
            b'<DT><A HREF="https://example.com/">stdin bm</A></DL></DL>',
            "stdin bm",
            "F",
        ),
    ],
)
def test_stdin_is_sniffed(data: bytes, title: str, section: str | None) -> None:
    result = read_source("-", stdin=io.BytesIO(data))
    link = result.links[0]
    assert (link.title, link.section, link.source, link.line) == (title, section, "-", link.line)
    assert link.line is not None


def test_stdin_binary_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="standard input"):
        read_source("-", stdin=io.BytesIO(b"\x00\x01\x02\x03" * 100))


# --- properties -------------------------------------------------------------------------

_MARKUP = st.sampled_from(
    [
        "[", "]", "(", ")", "<", ">", "!", "#", "*", "_", "`", "\n", " ", "\\", "&amp;", ":",
        "https://a.example.com/", "http://", "www.", "<a href=", '"', "'", "</a>", "<DT>",
        "<DL>", "</DL>", "<H3>", "</H3>", "<!--", "-->", "===", "---", "```", "|", "x",
        "é", "\x00", "\r",
    ]
)  # fmt: skip
_soup = st.one_of(st.text(max_size=300), st.lists(_MARKUP, max_size=60).map("".join))


def _check(result: ImportResult, source: str) -> None:
    seen = set()
    for link in result.links:
        assert link.source == source
        assert link.normalized_url == normalize_url(link.url)
        assert link.normalized_url not in seen
        seen.add(link.normalized_url)
    assert all(p.source == source for p in result.problems)
    if not result.links:
        assert result.problems[-1].message == "no links found"


@settings(deadline=None, max_examples=150)
@given(_soup)
def test_parsers_never_raise(text: str) -> None:
    for parse in (parse_markdown, parse_text, parse_bookmarks):
        _check(parse(text, "soup"), "soup")


@settings(deadline=None, max_examples=60)
@given(st.binary(max_size=300))
def test_read_source_on_arbitrary_bytes_only_raises_source_error(data: bytes) -> None:
    try:
        result = read_source("-", stdin=io.BytesIO(data))
    except SourceError:
        return
    _check(result, "-")
