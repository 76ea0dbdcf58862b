"""The server-rendered pages: content, escaping, and no 500 for anything a URL can hold."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.http.web.templating import http_href, paragraphs, snippet_html
from tests.app._archive import TOPICS, Archive

RAW_MARKUP = ("<script>alert", "<img src=x", "onerror=alert(1)>", "<b>section</b>")


def assert_no_live_markup(page: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in page
    assert 'href="javascript:' not in page.lower()


def test_start_page_shows_what_the_archive_holds(client: TestClient, archive: Archive) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.text
    assert '<label for="q"' in page and 'id="q"' in page
    assert "Links by status" in page
    assert f"{len(TOPICS) + 5} links" in page
    for section in ("Interpreters", "Bytecode", "Memory"):
        assert f'href="/?section={section}"' in page
    assert "Recently archived" in page
    # Newest first: the hostile page was archived last; its title is escaped.
    assert f'href="/links/{archive.ids["xss"]}"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hostile" in page
    assert_no_live_markup(page)


def test_head_requests_are_answered(client: TestClient, archive: Archive) -> None:
    assert client.head("/").status_code == 200
    assert client.head(f"/links/{archive.ids['topic0']}").status_code == 200


def test_search_page_lists_hits_with_everything(client: TestClient) -> None:
    response = client.get("/", params={"q": "interpreter"})
    assert response.status_code == 200
    page = response.text
    assert 'value="interpreter"' in page  # the box keeps the query
    assert re.search(r"1–10</span> of <strong>24</strong> results", page)
    assert re.search(r"\(\d+ ms\)", page)
    assert page.count('<li class="hit') == 10
    assert "<mark>" in page.lower()
    assert 'rel="noopener noreferrer nofollow"' in page
    assert 'href="/?q=interpreter&amp;section=Memory"' in page  # a facet adds its filter
    assert 'href="/?q=interpreter&amp;domain=akaptur.com"' in page
    assert 'href="/?q=interpreter&amp;page=2"' in page  # pagination
    assert 'aria-current="page"' in page


def test_search_page_filters_and_clears(client: TestClient) -> None:
    page = client.get("/", params={"q": "interpreter", "section": "Memory"}).text
    assert "<strong>8</strong> results" in page
    assert "Clear all filters" in page
    assert 'href="/?q=interpreter"' in page  # the way back to no filters
    assert '<input type="hidden" name="section" value="Memory">' in page


def test_search_page_second_page(client: TestClient) -> None:
    page = client.get("/", params={"q": "interpreter", "page": "3"}).text
    assert re.search(r"21–24</span> of <strong>24</strong>", page)
    assert 'rel="prev" href="/?q=interpreter&amp;page=2"' in page
    assert 'rel="next"' not in page


def test_dead_links_get_a_badge(client: TestClient) -> None:
    page = client.get("/", params={"q": "dodoword"}).text
    assert '<span class="badge badge-dead">dead</span>' in page


def test_did_you_mean_and_or_fallback(client: TestClient) -> None:
    page = client.get("/", params={"q": "interpretr"}).text
    assert "Did you mean" in page
    assert re.search(r'href="/\?q=[^"]*interpreter[^"]*"', page)
    page = client.get("/", params={"q": "dodoword xssprobe"}).text
    assert "No page has all of your words" in page


def test_hostile_page_is_escaped_in_results(client: TestClient) -> None:
    page = client.get("/", params={"q": "xssprobe"}).text
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; Hostile &lt;img src=x onerror=alert(1)&gt;" in page
    )
    assert "Hostile &lt;b&gt;section&lt;/b&gt;" in page  # the facet and the hit's section
    snippet = re.search(r'<p class="snippet">(.*?)</p>', page, re.S)
    assert snippet is not None
    assert "<mark>xssprobe</mark>" in snippet.group(1)
    assert "&lt;" in snippet.group(1)
    assert_no_live_markup(page)


def test_results_show_tags_linking_to_their_search_and_a_tag_facet(client: TestClient) -> None:
    page = client.get("/", params={"q": "interpreter"}).text
    # Each tag of a hit searches its pages; quoted when it has a space.
    assert page.count('href="/?q=tag%3A%22cpython+internals%22"') >= 3
    assert ">CPython internals</a>" in page
    # The facet counts the tag over all 24 hits and adds it as a filter.
    facet = re.search(
        r'<section class="facet" aria-labelledby="facet-tag">(.*?)</section>', page, re.S
    )
    assert facet is not None
    assert 'href="/?q=interpreter&amp;tag=cpython+internals"' in facet.group(1)
    assert '<span class="facet-name">cpython internals</span><span class="count">8</span>' in (
        facet.group(1)
    )
    assert '<span class="facet-name">long read</span><span class="count">6</span>' in facet.group(1)


def test_the_tag_filter_narrows_shows_and_clears(client: TestClient) -> None:
    page = client.get("/", params={"q": "interpreter", "tag": "Long read"}).text
    assert "<strong>6</strong> results" in page
    assert "<span>Tag: Long read</span>" in page
    assert 'href="/?q=interpreter"' in page  # removing it
    assert '<input type="hidden" name="tag" value="Long read">' in page  # kept by the box
    assert 'aria-current="true" href="/?q=interpreter"' in page  # the facet shows it chosen


def test_a_tag_without_words_is_the_query_that_finds_it(client: TestClient) -> None:
    page = client.get("/", params={"tag": "CPython internals"}).text
    assert 'value="tag:&#34;cpython internals&#34;"' in page  # in the box, to refine
    assert "<strong>8</strong> results" in page


def test_hostile_tags_and_notes_are_text(client: TestClient) -> None:
    page = client.get("/", params={"q": "xssprobe"}).text
    assert ">&lt;script&gt;alert(4)&lt;/script&gt;</a>" in page
    assert "&lt;img src=x onerror=alert(5)&gt; xssnote" in page
    assert "<script>alert(4)" not in page and "<img src=x onerror=alert(5)>" not in page
    assert_no_live_markup(page)


def test_hostile_snippet_is_escaped_in_the_api(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "xssprobe"}).json()
    snippet = body["results"][0]["snippet"]
    assert "&lt;script&gt;" in snippet or "&lt;img" in snippet or "&lt;a href" in snippet
    assert "<script" not in snippet and "<img" not in snippet and "<a " not in snippet
    assert re.sub(r"</?mark>", "", snippet).count("<") == 0


def test_reader_view(client: TestClient, archive: Archive) -> None:
    response = client.get(f"/links/{archive.ids['topic0']}")
    assert response.status_code == 200
    page = response.text
    assert '<h1 id="reader-title">Python internals: frames</h1>' in page
    assert "<p>How the CPython interpreter handles frames.</p>" in page
    assert "<p>It ends with further reading.</p>" in page
    assert "Allison Kaptur" in page
    assert "text/html" in page and "Fixture site" in page
    assert "History" in page and "new copy" in page
    assert 'href="https://akaptur.com/python/0" rel="noopener noreferrer nofollow"' in page


def test_reader_view_of_a_dead_link_keeps_the_copy(client: TestClient, archive: Archive) -> None:
    page = client.get(f"/links/{archive.ids['dead']}").text
    assert "HTTP 404 Not Found" in page
    assert "dead since" in page
    assert "dodoword" in page
    assert page.count("badge-dead") >= 2  # the header and the history row


def test_reader_view_escapes_the_hostile_page(client: TestClient, archive: Archive) -> None:
    page = client.get(f"/links/{archive.ids['xss']}").text
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; sits next to xssprobe" in page
    assert "&lt;a href=&#34;javascript:alert(2)&#34;&gt;" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page  # the author
    assert_no_live_markup(page)


def test_non_http_links_never_become_hrefs(client: TestClient, archive: Archive) -> None:
    page = client.get(f"/links/{archive.ids['blocked']}").text
    assert '<span class="url ">javascript:alert(document.cookie)</span>' in page
    assert "There is no archived copy of this link yet" in page
    assert_no_live_markup(page)


@pytest.mark.parametrize(
    "path",
    ["/links/999999", "/links/abc", "/links/-3", "/links/1e3", "/links/" + "9" * 50, "/links/%00"],
)
def test_unknown_reader_pages_are_html_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no archived link with this id." in response.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": '"unbalanced'},
        {"q": "(((("},
        {"q": "AND OR NOT"},
        {"q": "🐍"},
        {"q": "x" * 10_000},
        {"q": "interpreter", "page": "abc"},
        {"q": "interpreter", "page": "-5"},
        {"q": "interpreter", "page": "99999999999999999999"},
        {"q": "interpreter", "date_from": "not-a-date"},
        {"q": "interpreter", "date_from": "2024-05-01", "date_to": "2024-01-01"},
        {"q": "interpreter", "sort": "sideways"},
        {"section": "Nope"},
        {"q": "\x00"},
    ],
)
def test_web_search_never_500s(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/", params=params)
    assert response.status_code in (200, 400)
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="q"' in response.text


def test_malformed_query_is_shown_on_the_page(client: TestClient) -> None:
    response = client.get("/", params={"q": "x" * 10_000})
    if response.status_code == 400:
        assert "This search cannot be run." in response.text


def test_a_section_without_words_lists_its_links(client: TestClient, archive: Archive) -> None:
    response = client.get("/", params={"section": "Memory"})
    assert response.status_code == 200
    page = response.text
    assert "9 links in this section" in page
    assert page.count('<div class="browse-title">') == 9
    assert f'href="/links/{archive.ids["failed"]}"' in page  # not archived, still listed
    assert '<span class="badge badge-failed">failed</span>' in page
    assert '<input type="hidden" name="section" value="Memory">' in page


def test_filters_without_words_ask_for_words(client: TestClient) -> None:
    page = client.get("/", params={"domain": "akaptur.com"}).text
    assert "Type words in the search box to search akaptur.com" in page


def test_snippet_filter_keeps_only_mark() -> None:
    assert snippet_html("a &lt;b&gt; <mark>c</mark>") == "a &lt;b&gt; <mark>c</mark>"
    assert (
        snippet_html("<script>x</script><mark>y") == "&lt;script&gt;x&lt;/script&gt;<mark>y</mark>"
    )
    assert snippet_html("</mark><mark><mark>z</mark></mark>") == "<mark>z</mark>"
    assert snippet_html("&amp;lt;") == "&amp;lt;"


def test_http_href_refuses_other_schemes() -> None:
    assert http_href("https://a.example/x?y=1") == "https://a.example/x?y=1"
    assert http_href(" HTTP://a.example/ ") == "HTTP://a.example/"
    for url in (
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,x",
        "//a.b",
        "",
        None,
    ):
        assert http_href(url) is None


def test_paragraphs_split_on_blank_lines() -> None:
    assert paragraphs("a\nb\n\n\n c  \n \n") == ["a b", "c"]
    assert paragraphs("") == []
