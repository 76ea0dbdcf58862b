"""The link-list importers, fuzzed: markdown, plain text and bookmark files in every common
encoding, links hidden in garbage, random bytes, binary files and lines of several MB. The
contract: a list of links and problems, or a SourceError for input unusable as a whole;
never anything else. (test_read_source.py has two more never-raise properties.)

One module on purpose: every property here draws from the same strategies (URLs, titles
in each script, the three list formats) and checks the same contract (check_result), so
splitting it would move a third of it into a helper module that only these tests use."""

from __future__ import annotations

import codecs
import io
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from archiver.sources import (
    ImportResult,
    SourceError,
    clean_text,
    parse_bookmarks,
    parse_markdown,
    parse_text,
    read_source,
)
from archiver.urls import is_http_url, normalize_url

FUZZ = settings(
    deadline=None,
    max_examples=40,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_NEWLINE = re.compile(r"\r\n?|\n")

# --- what every import result satisfies -------------------------------------------------


def check_result(result: ImportResult, source: str) -> None:
    seen: set[str] = set()
    for link in result.links:
        assert link.source == source
        assert link.normalized_url == normalize_url(link.url)
        assert link.normalized_url not in seen
        seen.add(link.normalized_url)
        link.url.encode("utf-8")  # storable
        if link.normalized_url.startswith(("http://", "https://")):
            assert is_http_url(link.url)
        else:
            # Other schemes (mailto:, javascript:, ftp:) are kept so that the archive can
            # record them as blocked with a reason; they never pass for http(s).
            assert not is_http_url(link.url)
            assert re.match(r"[A-Za-z][A-Za-z0-9+.\-]+:", link.url)
        assert link.line is None or link.line >= 1
        for text in (link.title, link.section):
            assert text is None or (text == clean_text(text) and text)
    for problem in result.problems:
        assert problem.source == source
        assert problem.message
        assert problem.line is None or problem.line >= 1
    if not result.links:
        assert result.problems[-1].message == "no links found"


def read_or_source_error(data: bytes, tmp_path: Path, name: str) -> ImportResult | None:
    path = tmp_path / name
    path.write_bytes(data)
    try:
        result = read_source(str(path))
    except SourceError as exc:
        assert str(exc).startswith(str(path))
        return None
    check_result(result, str(path))
    return result


# --- strategies -------------------------------------------------------------------------

# URLs that survive every format unchanged: ASCII, no trailing punctuation, no brackets,
# no dot segments. No "~" either: the JIS code pages some detectors pick read it as "‾".
_urls = st.builds(
    "https://{}.example/{}".format,
    st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True),
    st.from_regex(r"(?:[A-Za-z0-9_\-]{1,8}/){0,3}[A-Za-z0-9]{1,8}(?:\.html)?", fullmatch=True),
)

# Per encoding, letters it can write (and the detector has a chance to recognise).
WESTERN = "àáâäåæçèéêëìíîïñòóôöøùúûüÿßÀÉÖÜ"
CYRILLIC = "абвгдежзийклмнопрстуфхцчшщыьэюяАБВГДЕЖЗИКЛМНОПРСТ"
CENTRAL = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻčďěňřšťůžČŘŠŽ"
GREEK = "αβγδεζηθικλμνξοπρστυφχψωΑΒΓΔΕΖΘΛΠΣΦΨΩ"
JAPANESE = "日本語のテキストです東京大学漢字ひらがなカタカナ"
SIMPLIFIED = "中文汉字简体北京大学书签链接网页文章"
TRADITIONAL = "中文漢字繁體臺灣書籤連結網頁文章"
KOREAN = "한국어텍스트서울북마크링크문서"
EVERYTHING = WESTERN + CYRILLIC + GREEK + JAPANESE + KOREAN + "😀🐍ℝ∑"
# (codec, BOM written first, letters). The Unicode ones must give back every title exactly.
UNICODE_ENCODINGS = [
    ("utf-8", b"", EVERYTHING),
    ("utf-8", codecs.BOM_UTF8, EVERYTHING),
    ("utf-16-le", codecs.BOM_UTF16_LE, EVERYTHING),
    ("utf-16-be", codecs.BOM_UTF16_BE, EVERYTHING),
    ("utf-32-le", codecs.BOM_UTF32_LE, EVERYTHING),
    ("utf-32-be", codecs.BOM_UTF32_BE, EVERYTHING),
]
LEGACY_ENCODINGS = [
    ("latin-1", WESTERN),
    ("cp1252", WESTERN + "€„…‘’“”–—™œŠ"),
    ("mac-roman", WESTERN),
    ("iso-8859-2", CENTRAL),
    ("cp1250", CENTRAL),
    ("koi8-r", CYRILLIC),
    ("cp1251", CYRILLIC),
    ("iso-8859-7", GREEK),
    ("shift_jis", JAPANESE),
    ("euc-jp", JAPANESE),
    ("gb18030", SIMPLIFIED),
    ("gbk", SIMPLIFIED),
    ("big5", TRADITIONAL),
    ("euc-kr", KOREAN),
]
KINDS = {"text": "links.txt", "markdown": "links.md", "bookmarks": "bookmarks.html"}


def _titles(letters: str) -> st.SearchStrategy[str]:
    # Starts with a letter: the text importer rightly takes leftover symbols for no title.
    first = st.sampled_from([ch for ch in letters if ch.isalpha()])
    rest = st.text(st.sampled_from(letters), max_size=7)
    words = st.lists(st.text(st.sampled_from(letters), min_size=1, max_size=8), max_size=3)
    return st.builds(lambda a, b, more: " ".join([a + b, *more]), first, rest, words)


def _entries(letters: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(
        st.tuples(_urls, _titles(letters)),
        min_size=1,
        max_size=6,
        unique_by=lambda entry: normalize_url(entry[0]),
    )


def render(kind: str, entries: list[tuple[str, str]]) -> tuple[str, list[int]]:
    """A list in format `kind`, and the line of each entry."""
    if kind == "text":
        lines = ["# my links", ""] + [f"{url}  {title}" for url, title in entries]
        return "\n".join(lines) + "\n", [3 + i for i in range(len(entries))]
    if kind == "markdown":
        lines = ["# Links", ""] + [f"- [{title}]({url})" for url, title in entries]
        return "\n".join(lines) + "\n", [3 + i for i in range(len(entries))]
    lines = [
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>",
        "<TITLE>Bookmarks</TITLE>",
        "<DL><p>",
        *(f'<DT><A HREF="{url}" ADD_DATE="1">{title}</A>' for url, title in entries),
        "</DL><p>",
    ]
    return "\n".join(lines) + "\n", [4 + i for i in range(len(entries))]


# --- every encoding ---------------------------------------------------------------------


@settings(parent=FUZZ, max_examples=60)
@given(
    encoding=st.sampled_from(UNICODE_ENCODINGS),
    kind=st.sampled_from(list(KINDS)),
    sniffed=st.booleans(),
    data=st.data(),
)
def test_unicode_encodings_give_back_every_link_and_title(
    tmp_path: Path,
    encoding: tuple[str, bytes, str],
    kind: str,
    sniffed: bool,
    data: st.DataObject,
) -> None:
    codec, bom, letters = encoding
    entries = data.draw(_entries(letters))
    text, lines = render(kind, entries)
    # By its suffix, or with a name that does not tell, from the content.
    name = "links.dat" if sniffed else KINDS[kind]
    result = read_or_source_error(bom + text.encode(codec), tmp_path, name)
    assert result is not None, f"{codec} list refused"
    assert [(link.url, link.title, link.line) for link in result.links] == [
        (url, title, line) for (url, title), line in zip(entries, lines, strict=True)
    ]
    assert result.problems == []


@settings(parent=FUZZ, max_examples=50)
@given(
    encoding=st.sampled_from(LEGACY_ENCODINGS),
    kind=st.sampled_from(list(KINDS)),
    data=st.data(),
)
def test_legacy_encodings_give_back_every_link(
    tmp_path: Path, encoding: tuple[str, str], kind: str, data: st.DataObject
) -> None:
    # A short list in a legacy code page cannot always be told from another (koi8-r from
    # shift_jis, latin-2 from latin-1), so titles may come back mis-decoded; the ASCII URLs,
    # their order and their lines must not, and the file must not be taken for binary.
    codec, letters = encoding
    entries = data.draw(_entries(letters))
    text, lines = render(kind, entries)
    result = read_or_source_error(text.encode(codec), tmp_path, KINDS[kind])
    assert result is not None, f"{codec} list refused"
    assert [(link.url, link.line) for link in result.links] == [
        (url, line) for (url, _title), line in zip(entries, lines, strict=True)
    ]


def test_declared_charset_decides_titles(tmp_path: Path) -> None:
    # With a <meta charset>, a legacy bookmark file's titles come back exactly.
    for codec, letters in LEGACY_ENCODINGS:
        title = letters[:12]
        page = (
            f'<meta http-equiv="Content-Type" content="text/html; charset={codec}">\n'
            f'<DL><DT><A HREF="https://a.example/">{title}</A></DL>\n'
        )
        result = read_or_source_error(page.encode(codec), tmp_path, "bookmarks.html")
        assert result is not None
        assert [(link.url, link.title) for link in result.links] == [
            ("https://a.example/", title)
        ], codec


# --- a link in garbage is still found ---------------------------------------------------

# Anything at all, on lines of its own; the text importer reads line by line.
_garbage_lines = st.lists(st.text(max_size=60), max_size=6)


@FUZZ
@example(before=["\x00", "\r"], after=["\u2028\x85"], url="https://a.example/x", title="Tïtle")
@given(before=_garbage_lines, after=_garbage_lines, url=_urls, title=_titles(EVERYTHING))
def test_text_link_among_garbage_lines_is_found(
    before: list[str], after: list[str], url: str, title: str
) -> None:
    text = "\n".join([*before, f"{url} {title}", *after])
    result = parse_text(text, "t")
    check_result(result, "t")
    line = len(_NEWLINE.findall("\n".join([*before, ""]))) + 1 if before else 1
    found = [link for link in result.links if link.url == url]
    assert [(link.title, link.line) for link in found] == [(title, line)]


# Markdown garbage must not open a block that runs past a blank line (fenced code, HTML
# blocks, which need "`", "~" or "<") or escape the link ("\\", "!"): then it is prose.
_md_garbage = st.text(
    st.characters(exclude_characters="`~<\\!", exclude_categories=["Cs"]), max_size=80
)


@FUZZ
@example(
    before=["[", "(", "* [x](", "# Head\r===="], after=["]"], url="https://a.example/b", title="T"
)
@given(
    before=st.lists(_md_garbage, max_size=5),
    after=st.lists(_md_garbage, max_size=5),
    url=_urls,
    title=_titles(EVERYTHING),
)
def test_markdown_link_among_garbage_paragraphs_is_found(
    before: list[str], after: list[str], url: str, title: str
) -> None:
    head = "".join(paragraph + "\n\n" for paragraph in before)
    text = f"{head}[{title}]({url})\n\n" + "\n\n".join(after)
    result = parse_markdown(text, "m")
    check_result(result, "m")
    line = len(_NEWLINE.findall(head)) + 1
    found = [link for link in result.links if link.url == url]
    assert [(link.title, link.line) for link in found] == [(title, line)]


# HTML garbage: any text but "<" (a stray "<!--" or "<script>" legitimately hides what
# follows), and tags that cannot swallow a link.
_html_garbage = st.lists(
    st.one_of(
        st.text(st.characters(exclude_characters="<", exclude_categories=["Cs"]), max_size=30),
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<DT>",
                "<DD>",
                "<DL>",
                "</DL>",
                "<H3>Folder</H3>",
                "<b>",
                "<br>",
                "<a name=x>",
                "</a>",
                "<img src=x alt='y'>",
                "<div",
                "<a href=",
                '"',
                "'",
            ]
        ),
    ),
    max_size=12,
).map("".join)


@FUZZ
@example(before="<div\r\r\n", after="", url="https://a.example/", title="T")
@given(before=_html_garbage, after=_html_garbage, url=_urls, title=_titles(EVERYTHING))
def test_bookmark_among_garbage_is_found(before: str, after: str, url: str, title: str) -> None:
    head = f"{before}\n"
    text = f'{head}<DT><A HREF="{url}">{title}</A>\n{after}'
    result = parse_bookmarks(text, "b")
    check_result(result, "b")
    line = len(_NEWLINE.findall(head)) + 1
    found = [link for link in result.links if link.url == url]
    assert [(link.title, link.line) for link in found] == [(title, line)]


# --- random and binary bytes ------------------------------------------------------------

_MAGIC = [
    b"\x00",
    b"\xff",
    b"\xfe",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\r",
    b"\n",
    b"https://a.example/",
    b"[x](",
    b"<a href=",
    b"\x1b[0m",
    b"\xc3",
    b"\xa9",
    b"%PDF-1.4",
    b"PK\x03\x04",
    b"\x7fELF",
    b"<!DOCTYPE NETSCAPE-Bookmark-file-1>",
]


@settings(parent=FUZZ, max_examples=80)
@given(
    name=st.sampled_from(["links.md", "links.txt", "links.html", "links"]),
    data=st.one_of(
        st.binary(max_size=2000),
        st.lists(st.sampled_from(_MAGIC), max_size=60).map(b"".join),
    ),
)
def test_any_bytes_give_links_or_a_source_error(tmp_path: Path, name: str, data: bytes) -> None:
    read_or_source_error(data, tmp_path, name)


@settings(parent=FUZZ, max_examples=60)
@given(kind=st.sampled_from(list(KINDS)), noise=st.binary(min_size=1, max_size=400), url=_urls)
def test_link_between_binary_blobs_is_found_or_the_file_refused(
    tmp_path: Path, kind: str, noise: bytes, url: str
) -> None:
    if kind == "bookmarks":
        entry = f'<a href="{url}">x</a>'
        noise = noise.replace(b"<", b" ")  # "<!--", "<script" would hide the link
    else:
        entry = url
        noise = noise.translate(None, b"`~<")  # a fence or an HTML block would hide it
    data = noise + f"\n\n{entry}\n\n".encode() + noise
    result = read_or_source_error(data, tmp_path, KINDS[kind])
    if result is not None:
        assert url in [link.url for link in result.links]


@settings(parent=FUZZ, max_examples=30)
@given(data=st.binary(max_size=3000))
def test_stdin_gives_links_or_a_source_error(data: bytes) -> None:
    try:
        result = read_source("-", stdin=io.BytesIO(data))
    except SourceError as exc:
        assert str(exc).startswith("standard input")
    else:
        check_result(result, "-")


# --- huge single lines ------------------------------------------------------------------

MB = 1024 * 1024
# Lines built to hit each importer's slow paths; all are linear, so 1 MB shows a quadratic
# blow-up as well as 100 MB would. "printable" (random markup characters) goes through
# every importer at 3 MB. Built lazily: collection must not pay for them.
HUGE_LINES = {
    "brackets": (("markdown", "text"), lambda: "[" * MB),
    "closers": (("markdown",), lambda: "](" * (MB // 2)),
    "backticks": (("markdown",), lambda: "`" * MB),
    "emphasis": (("markdown",), lambda: "*_" * (MB // 2)),
    "md-links": (("markdown", "text"), lambda: "[t](https://huge.example/) " * (MB // 54)),
    "schemes": (("text", "markdown"), lambda: "http://" * (MB // 7)),
    "long-url": (("text", "markdown"), lambda: "https://long.example/" + "p" * MB),
    "tags": (("bookmarks",), lambda: "<a href=" * (MB // 32)),
    "comment": (("bookmarks",), lambda: "<!--" + "x" * MB),
    "entities": (("bookmarks",), lambda: "&amp;&#x41;&bogus;" * (MB // 18)),
    "unicode": (tuple(KINDS), lambda: "é😀日本\u202e" * (MB // 5)),
    "printable": (
        tuple(KINDS),
        # No "!": a "<!--" with no "-->" after it would rightly hide the link in HTML.
        lambda: "".join(random.Random(1234).choices("abc []()<>*_`#:/\"'&;=.\\-", k=3 * MB)),
    ),
}
HUGE_CASES = [
    pytest.param(shape, kind, id=f"{shape}-{kind}")
    for shape, (kinds, _make) in HUGE_LINES.items()
    for kind in kinds
]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("shape", "kind"), HUGE_CASES)
def test_huge_line_then_a_link(tmp_path: Path, shape: str, kind: str) -> None:
    line = HUGE_LINES[shape][1]()
    url = "https://found.example/after"
    entry = {
        "text": url,
        "markdown": f"[after]({url})",
        "bookmarks": f'<DT><A HREF="{url}">after</A>',
    }[kind]
    # In HTML, an unclosed comment hides the rest of the file: the link is inside it.
    hidden = kind == "bookmarks" and shape == "comment"
    result = read_or_source_error(f"{line}\n{entry}\n".encode(), tmp_path, KINDS[kind])
    assert result is not None
    found = [link for link in result.links if link.url == url]
    assert [link.line for link in found] == ([] if hidden else [2])
