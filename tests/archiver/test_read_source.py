"""read_source: files, standard input and URL arguments, encodings, errors; and the
never-raise properties of every link-list importer."""

from __future__ import annotations

import io
import os
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
from tests.archiver._helpers import problems_of

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
    assert problems_of(result) == [(None, "no links found")]


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
