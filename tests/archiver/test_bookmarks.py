"""The bookmark importer on examples: Chrome and Firefox exports, malformed files, and plain
HTML pages read for their anchor links."""

from __future__ import annotations

from pathlib import Path

from archiver.sources import (
    parse_bookmarks,
    read_source,
)
from tests.archiver._helpers import problems_of

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


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
    assert problems_of(result) == [(11, "link with an empty target skipped")]


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
    assert problems_of(result) == [
        (2, "anchor link '#top' skipped: it points inside the list itself")
    ]


def test_bookmarks_huge_input_stays_linear() -> None:
    # Unclosed constructs that make html.parser quadratic on older Pythons.
    junk = "</" * 500_000 + "<a x='" * 20_000 + "<!" * 50_000
    text = f'<DL><DT><A HREF="https://first.example.com/">F</A>{junk}'
    result = parse_bookmarks(text, "b.html")
    assert [link.url for link in result.links] == ["https://first.example.com/"]
