"""The structured copy of hostile and broken pages: nothing live gets in, links and images are
http(s) only, huge and malformed pages stay bounded and never raise, and every Document
produced passes its own validation."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.document import Document
from archiver.extract import extract
from bench.structure_facts import facts

URL = "https://blog.example/posts/hostile"
PROSE = (
    "This paragraph is ordinary article prose, long enough that an extractor takes it for the"
    " main content of the page and keeps it. "
)


def article(inner: str) -> bytes:
    body = "".join(f"<p>{PROSE} Paragraph {n}.</p>" for n in range(4))
    html = f"<html><head><title>T</title></head><body><article>{body}{inner}{body}</article>"
    return (html + "</body></html>").encode()


def document(body: bytes) -> Document | None:
    result = extract(body, "text/html", URL)
    if result.document is not None:  # the contract every producer keeps
        assert Document.from_data(json.loads(result.document.to_json())) == result.document
    return result.document


def test_script_style_iframe_object_form_and_handlers_never_appear() -> None:
    doc = document(
        article(
            "<p>Before <script>LEAK_SCRIPT()</script><style>.LEAK_STYLE{}</style> after.</p>"
            '<iframe src="https://evil.example/">LEAK_IFRAME</iframe>'
            '<object data="x.swf">LEAK_OBJECT</object><embed src="LEAK_EMBED">'
            '<form action="/steal"><input value="LEAK_INPUT"><button>LEAK_BUTTON</button></form>'
            '<p onclick="LEAK_HANDLER()">Click <svg><text>LEAK_SVG</text></svg> here.</p>'
            "<noscript>LEAK_NOSCRIPT</noscript><template>LEAK_TEMPLATE</template>"
            "<pre><code>x = 1<script>LEAK_PRE_SCRIPT</script></code></pre>"
        )
    )
    assert doc is not None
    data = doc.to_json()
    assert "LEAK" not in data
    assert "Before" in data and "after." in data


def test_javascript_data_and_other_schemes_become_text() -> None:
    doc = document(
        article(
            '<p>See <a href="javascript:alert(1)">one</a>, <a href="JaVaScRiPt:alert(2)">two</a>,'
            ' <a href="data:text/html,<script>alert(3)</script>">three</a>,'
            ' <a href="vbscript:msgbox">four</a>, <a href="mailto:a@b.example">five</a>,'
            ' <a href="  https://ok.example/x  ">six</a> and <a href="/rel">seven</a>.</p>'
            '<figure><img src="javascript:alert(4)"><figcaption>bad image</figcaption></figure>'
            '<p><img src="data:image/png;base64,AAAA" alt="inline data"></p>'
        )
    )
    found = facts(doc)
    assert found["links"] == ["https://ok.example/x", "https://blog.example/rel"]
    assert "See one, two, three, four, five, six and seven." in found["text"]
    assert found["figures"] == []
    assert "javascript" not in doc.to_json().lower() if doc else True


def test_tracking_pixels_and_emoji_images_are_not_figures() -> None:
    doc = document(
        article(
            '<p>Hello <img class="emoji" alt="👋" src="https://s.example/1f44b.svg"> there.'
            '<img src="https://track.example/p.gif" width="1" height="1"></p>'
            '<p><img src="https://cdn.example/real.jpg" data-src="https://cdn.example/lazy.jpg"'
            ' alt="real"></p>'
        )
    )
    found = facts(doc)
    assert "Hello 👋 there." in found["text"]
    assert [f["src"] for f in found["figures"]] == ["https://cdn.example/lazy.jpg"]


def test_five_megabyte_page_stays_bounded() -> None:
    rows = "".join(
        f"<div class='c'><p>Paragraph {n} {PROSE}</p><ul><li>item {n}</li></ul></div>"
        for n in range(26_000)
    )
    body = f"<html><body><article>{rows}</article></body></html>".encode()
    assert len(body) > 5_000_000
    start = time.process_time()
    doc = document(body)
    assert time.process_time() - start < 30
    assert doc is not None
    assert len(doc.to_json()) < 12_000_000


def test_deep_nesting_never_raises() -> None:
    for html in (
        "<div>" * 5000 + "<p>deep</p>",
        "<ul><li>" * 300 + "deep list",
        "<blockquote>" * 300 + "deep quote",
        "<p>" + "<em><strong>" * 400 + "deep style",
        "<pre>" + "<span>" * 3000 + "deep code</pre>",
        "<table><tr><td>" * 200 + "deep table",
        f"<article><p>{PROSE}</p><pre>" + "<span>" * 900 + "x = 1</pre></article>",
    ):
        document(html.encode())


def test_malformed_markup_never_raises() -> None:
    for html in (
        b"<html><body><p>unclosed <b>bold <i>italic <a href='/x'>link",
        b"<table><td>cell<tr><th>head</table></td>",
        b"<ol start='abc'><li>one<li>two</ol><ol start='99999999999999999999'><li>x</ol>",
        b"<dl><dd>definition without a term</dd><dt></dt></dl>",
        b"<figure><figcaption>caption only</figcaption></figure><picture></picture>",
        b'<img srcset=", ,, 100w, x 2x,">' + b"<img srcset='a.png 1.5.5x'>",
        b"<h7>no such heading</h7><h0>nor this</h0>",
        b"\x00\xff\xfe<html>\x00<p>nul bytes</p>",
        b"<pre></pre><pre>   \n  </pre><h2></h2><p></p>",
        b"<base href='javascript:alert(1)//'><a href='x'>relative to a bad base</a>",
    ):
        document(html)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<ul>",
                "<li>",
                "</ul>",
                "<ol start=3>",
                "<pre>",
                "</pre>",
                "<code>",
                "<table>",
                "<tr>",
                "<td>",
                "<th>",
                "<dl>",
                "<dt>",
                "<dd>",
                "<blockquote>",
                "<figure>",
                "<figcaption>",
                "<img src=/i.png>",
                "<a href=/x>",
                "<a href='javascript:x'>",
                "</a>",
                "<em>",
                "<br>",
                "<hr>",
                "<h2>",
                "<div>",
                "</div>",
                "words ",
                "\n",
                "\t",
                "&amp;",
                "<script>",
            ]
        ),
        max_size=60,
    )
)
def test_any_tag_soup_gives_a_valid_document_or_none(parts: list[str]) -> None:
    document(article("".join(parts)))
