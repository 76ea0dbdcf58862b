"""The structured copy as HTML and as Markdown (app/services/article.py): every kind of block
and inline, hostile strings kept as text, and the HTML already inside the sanitizer's
allowlist."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.services.article import (
    ALLOWED,
    document_of,
    markdown_file,
    render_html,
    sanitize,
    text_document,
    to_html,
    to_markdown,
    without_title,
)
from archiver.document import Document
from tests.app._article import CODE, DOCUMENT, HOSTILE, SHA


class _Tags(HTMLParser):
    """Every start tag and its attributes, and the text, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.pre: list[str] = []
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self._in_pre -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_pre:
            self.pre.append(data)


def parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser


def doc(*blocks: dict[str, object]) -> Document:
    return Document.from_data({"v": 1, "blocks": list(blocks)})


def test_html_builds_every_kind_inside_the_allowlist() -> None:
    html = to_html(DOCUMENT)
    tags = parse(html).tags
    names = {name for name, _ in tags}
    assert names <= set(ALLOWED)
    expected = {
        "h2", "h3", "h4", "p", "em", "strong", "del", "sub", "sup", "a", "br", "code", "pre",
        "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "div", "table", "thead", "tbody",
        "tr", "th", "td", "figure", "img", "figcaption", "hr",
    }  # fmt: skip
    assert expected <= names
    for name, attrs in tags:
        assert set(attrs) <= ALLOWED[name] | ({"rel"} if name == "a" else set()), name
        if name == "a":
            assert re.match(r"https?://", attrs["href"] or "")
            assert attrs["rel"] == "noopener noreferrer nofollow"
            assert attrs["class"] == "external"
        if name == "img":
            assert attrs["src"] == f"/images/{SHA}"
    # Headings sit below the page's h1, keeping their distances.
    assert "<h1" not in html
    assert [n for n, _ in tags if re.fullmatch(r"h\d", n)] == ["h2", "h3", "h4"]
    assert '<ol start="3">' in html
    assert '<code class="language-python">' in html
    assert '<div class="table-scroll"><table><thead>' in html


def test_sanitizer_changes_nothing_on_our_own_output() -> None:
    ours = render_html(DOCUMENT)
    assert sanitize(ours) == ours
    assert to_html(DOCUMENT) == ours
    tricky = doc({"t": "p", "c": ["a\xa0b & c\r\nd\x00e \"'<>"]}, {"t": "pre", "text": "\n\nx\r\n"})
    assert sanitize(render_html(tricky)) == render_html(tricky)


def test_hostile_strings_come_out_as_text() -> None:
    html = to_html(DOCUMENT)
    parsed = parse(html)
    assert all(name not in {"script", "style", "iframe"} for name, _ in parsed.tags)
    assert not any(attr.startswith("on") for _, attrs in parsed.tags for attr in attrs)
    assert "javascript:" not in " ".join(str(v) for _, a in parsed.tags for v in a.values())
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert HOSTILE in "".join(parsed.text)


def test_code_blocks_are_byte_exact_as_text() -> None:
    assert "".join(parse(to_html(DOCUMENT)).pre).startswith(CODE)


def test_a_figure_without_an_archived_image_has_no_img() -> None:
    html = to_html(doc({"t": "figure", "src": "https://e.org/a.png", "alt": "A chart"}))
    assert "<img" not in html
    assert "A chart" in html and 'href="https://e.org/a.png" class="external"' in html


def test_sanitize_is_a_second_wall() -> None:
    dirty = (
        '<p onclick="x()">hi<script>alert(1)</script><a href="javascript:alert(1)">j</a>'
        '<img src="https://evil.example/x.png"><img src="/images/' + SHA + '" onerror="x()">'
        '<iframe src="https://evil.example"></iframe><code class="evil">c</code>'
        '<div class="table-scroll other">d</div></p>'
    )
    clean = sanitize(dirty)
    assert "script" not in clean and "onclick" not in clean and "onerror" not in clean
    assert "javascript" not in clean and "evil.example" not in clean and "iframe" not in clean
    assert f'<img src="/images/{SHA}">' in clean
    assert "<code>c</code>" in clean


def test_markdown_has_every_kind() -> None:
    md = to_markdown(DOCUMENT, image_base="http://127.0.0.1:8000/")
    # Code fenced with a fence longer than any backtick run inside, its language after it.
    assert "````python\n" + CODE + "````" in md
    assert "```\nno language <b>bold?</b>\n```" in md
    assert md.startswith("## How `dis` works \\<script>")
    assert "\n### The listing\n" in md and "\n#### The end\n" in md
    assert "*emphasis*" in md and "**strong**" in md and "~~gone~~" in md
    assert "H<sub>2</sub>O" in md and "x<sup>2</sup>" in md
    assert "[the dis docs](https://docs.python.org/3/library/dis.html?a=1&b=2)" in md
    # Text that would be markup stays text.
    assert "\\\n\\# not a heading \\* not a list \\_ not emphasis \\[not\\](a link) \\| pipe" in md
    assert "- first\n\n  3. three\n  4. four\n\n- second" in md
    assert "**opcode**\n\n: one instruction" in md
    assert "> Readability counts." in md
    assert "| offset | opname | a\\|b |\n| --- | --- | --- |\n| 0 | `LOAD_FAST` | x |" in md
    assert f"![The value stack](http://127.0.0.1:8000/images/{SHA})\n\n_The stack, *drawn*_" in md
    assert "([image on the original site](https://example.org/lost.png))" in md
    assert "\n---\n" in md


def test_markdown_escapes_hostile_text() -> None:
    md = to_markdown(doc({"t": "p", "c": [HOSTILE]}))
    assert md == (
        '\\<script>alert(1)\\</script> "onload=alert(2) javascript:alert(3) '
        "\\<img src=x onerror=alert(4)>\n"
    )


def test_markdown_images_are_relative_without_a_base() -> None:
    md = to_markdown(doc({"t": "figure", "src": "https://e.org/a.png", "alt": "", "image": SHA}))
    assert md == f"![](/images/{SHA})\n"


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        ([{"t": "code", "text": "a`b"}], "``a`b``"),
        ([{"t": "code", "text": "`x`"}], "`` `x` ``"),
        (["1986. A year"], "1986\\. A year"),
        (["> not a quote"], "\\> not a quote"),
        (["- not a list"], "\\- not a list"),
    ],
)
def test_markdown_inline_edge_cases(nodes: list[object], expected: str) -> None:
    assert to_markdown(doc({"t": "p", "c": nodes})) == expected + "\n"


def test_ordered_list_start_and_table_without_head() -> None:
    md = to_markdown(
        doc(
            {"t": "ol", "start": 7, "items": [[{"t": "p", "c": ["a"]}], [{"t": "p", "c": ["b"]}]]},
            {"t": "table", "head": [], "body": [[["1"], ["2"]]]},
        )
    )
    assert md == "7. a\n8. b\n\n|  |  |\n| --- | --- |\n| 1 | 2 |\n"
    negative = doc({"t": "ol", "start": -3, "items": [[{"t": "p", "c": ["a"]}]]})
    assert to_markdown(negative) == "0. a\n"
    assert '<ol start="-3">' in to_html(negative)


def test_document_of_reads_only_what_checks_out() -> None:
    assert document_of(None) is None and document_of("") is None
    assert document_of("not json") is None
    assert document_of('{"v": 1, "blocks": [{"t": "script"}]}') is None
    assert document_of('{"v": 1, "blocks": []}') is None
    assert document_of(DOCUMENT.to_json()) == DOCUMENT


def test_markdown_file_and_text_document() -> None:
    text = markdown_file(
        text_document("First *para*.\n\nSecond."),
        title="A [title]",
        source_url="https://e.org/a b",
        archived="2024-03-01 12:00 UTC",
    )
    assert text == (
        "# A \\[title\\]\n\nSource: <https://e.org/a%20b>\\\nArchived: 2024-03-01 12:00 UTC"
        "\n\n---\n\nFirst \\*para\\*.\n\nSecond.\n"
    )


def test_markdown_reads_back_as_the_same_structure() -> None:
    """A CommonMark parser (markdown-it, GFM tables on) finds in our Markdown the code byte
    for byte, the headings, the table and the links, and no HTML but sub and sup."""
    from markdown_it import MarkdownIt

    tokens = (
        MarkdownIt("commonmark")
        .enable("table")
        .enable("strikethrough")
        .parse(to_markdown(DOCUMENT))
    )
    fences = [t for t in tokens if t.type == "fence"]
    assert [(t.info, t.content) for t in fences] == [
        ("python", CODE),
        ("", "no language <b>bold?</b>\n"),
    ]
    assert [t.tag for t in tokens if t.type == "heading_open"] == ["h2", "h3", "h4"]
    assert sum(t.type == "th_open" for t in tokens) == 3
    assert sum(t.type == "td_open" for t in tokens) == 6
    inline = [child for t in tokens if t.children for child in t.children]
    html = {child.content for child in inline if child.type == "html_inline"}
    assert html == {"<sub>", "</sub>", "<sup>", "</sup>"}
    links = {child.attrs.get("href") for child in inline if child.type == "link_open"}
    assert links == {
        "https://docs.python.org/3/library/dis.html?a=1&b=2",
        "https://example.org/lost.png",
    }
    images = [child.attrs.get("src") for child in inline if child.type == "image"]
    assert images == [f"/images/{SHA}"]
    texts = "".join(child.content for child in inline if child.type == "text")
    assert "<script>alert(1)</script>" in texts
    assert "# not a heading * not a list _ not emphasis [not](a link) | pipe" in texts
    assert sum(t.type == "bullet_list_open" for t in tokens) == 1
    assert [t.attrs.get("start") for t in tokens if t.type == "ordered_list_open"] == [3]


def test_a_first_heading_repeating_the_title_is_left_to_the_page() -> None:
    heading = {"t": "h", "level": 1, "c": ["How the ", {"t": "code", "text": "eval"}, "  Loop"]}
    body = {"t": "p", "c": ["Text."]}
    article = Document([heading, body])
    assert without_title(article, "how the eval loop").blocks == [body]
    assert without_title(article, "Another title") == article
    assert without_title(Document([body, heading]), "How the eval Loop").blocks == [body, heading]
    assert without_title(article, None) == article
    shown = markdown_file(
        article,
        title="How the eval loop",
        source_url="https://a.example/",
        archived="2026-12-05 00:00 UTC",
    )
    assert shown.count("How the") == 1
