"""Followed lists in the archiver: where a list is read (GitHub READMEs), how a list read
from the web becomes links (relative links, anchors, links to itself, its charset), and
what `Store.lists` records (listed, dropped, listed again), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from archiver import Store
from archiver.followed import list_address
from archiver.lists import LIST_FAILED, LIST_OK, LIST_UNCHANGED
from archiver.sources import SourceError, parse_text, read_web_list

REPO = "https://github.com/owner/repo"
RAW = "https://raw.githubusercontent.com/owner/repo"


@pytest.mark.parametrize(
    ("given", "fetch", "base"),
    [
        (REPO, f"{RAW}/HEAD/README.md", f"{REPO}/blob/HEAD/"),
        (f"{REPO}/", f"{RAW}/HEAD/README.md", f"{REPO}/blob/HEAD/"),
        (f"{REPO}.git", f"{RAW}/HEAD/README.md", f"{REPO}/blob/HEAD/"),
        (f"{REPO}/tree/dev", f"{RAW}/dev/README.md", f"{REPO}/blob/dev/"),
        (f"{REPO}/blob/main/LIST.md", f"{RAW}/main/LIST.md", f"{REPO}/blob/main/LIST.md"),
        ("https://www.github.com/owner/repo", f"{RAW}/HEAD/README.md", f"{REPO}/blob/HEAD/"),
        # Not a repository: read as it is.
        ("https://github.com/owner", "https://github.com/owner", "https://github.com/owner"),
        ("https://lists.example/a.md#top", "https://lists.example/a.md", "https://lists.example/a.md"),
    ],
)  # fmt: skip
def test_where_a_list_is_read(given: str, fetch: str, base: str) -> None:
    address = list_address(given)
    assert (address.url, address.fetch_url, address.base_url) == (given, fetch, base)


@pytest.mark.parametrize("bad", ["ftp://lists.example/a", "lists.example/a", "", "http://"])
def test_only_http_urls_can_be_followed(bad: str) -> None:
    with pytest.raises(ValueError):
        list_address(bad)


def test_a_readme_resolves_relative_links_and_leaves_out_its_own() -> None:
    address = list_address(REPO)
    text = (
        "# List\n- [Contents](#tools)\n## Tools\n"
        "- [Guide](docs/guide.md)\n- [Up](../other/README.md)\n- [Site](/about)\n"
        f"- [Home]({REPO})\n- [Readme]({REPO}/blob/HEAD/README.md#list)\n"
        "- [Tool](https://tool.example/)\n"
    )
    result = read_web_list(text.encode(), address.fetch_url, address.base(), kind="markdown")
    assert [(link.url, link.section) for link in result.links] == [
        (f"{REPO}/blob/HEAD/docs/guide.md", "Tools"),
        (f"{REPO}/blob/other/README.md", "Tools"),
        ("https://github.com/about", "Tools"),
        ("https://tool.example/", "Tools"),
    ]
    assert result.problems == []  # anchors and links to itself are no problems either


def test_a_web_list_by_content_type_and_charset() -> None:
    address = list_address("https://lists.example/links")
    page = '<h2>Caf\xe9</h2><a href="/a">A</a> <a href="b">B</a> <a href="links">me</a>'
    result = read_web_list(
        page.encode("latin-1"),
        address.fetch_url,
        address.base(),
        content_type="text/html",
        charset="iso-8859-1",
    )
    assert [(link.url, link.section) for link in result.links] == [
        ("https://lists.example/a", "Café"),
        ("https://lists.example/b", "Café"),
    ]
    # A redirect moves the base of a list that is not a README.
    moved = read_web_list(
        b'<a href="c">C</a>', address.fetch_url, address.base("https://new.example/x/links"),
        content_type="text/html",
    )  # fmt: skip
    assert [link.url for link in moved.links] == ["https://new.example/x/c"]
    with pytest.raises(SourceError):
        read_web_list(b"\x00\x01\x02\xff" * 100, address.fetch_url, address.base())


def test_local_lists_still_refuse_relative_links() -> None:
    result = parse_text("docs/guide.md\n", "list.txt")
    assert result.links == [] and "no URL found" in result.problems[0].message


def test_lists_record_what_they_list(store: Store) -> None:
    lists = store.lists
    state, created = lists.add(list_address(REPO), "Awesome")
    again, created_again = lists.add(list_address(f"{REPO}.git"), None)
    assert created and not created_again and again.id == state.id
    assert again.section_prefix == "Awesome"
    urls = [f"https://a.example/{n}" for n in range(4)]
    ids = store.links.add_links(parse_text("\n".join(urls), "t").links).link_ids

    first = lists.record_read(state.id, ids[:3], etag='"1"', last_modified=None, content_hash="h1")
    assert (first.added, first.returned, first.dropped) == (ids[:3], [], [])
    second = lists.record_read(
        state.id, [ids[0], ids[2], ids[3]], etag='"2"', last_modified="x", content_hash="h2"
    )
    assert (second.added, second.returned, second.dropped) == ([ids[3]], [], [ids[1]])
    now = lists.find(str(state.id))
    assert now is not None
    assert (now.listed, now.no_longer_listed, now.status) == (3, 1, LIST_OK)
    assert (now.etag, now.last_modified, now.content_hash) == ('"2"', "x", "h2")
    listing = lists.listings([ids[1]])[ids[1]]
    assert [(item.list_url, item.still_listed) for item in listing] == [(REPO, False)]

    third = lists.record_read(state.id, ids, etag=None, last_modified=None, content_hash="h3")
    assert (third.added, third.returned, third.dropped) == ([], [ids[1]], [])
    lists.record_unchanged(state.id)
    lists.record_failure(state.id, "cannot read it: HTTP 500")
    after = lists.find(REPO)
    assert after is not None and (after.status, after.error) == (
        LIST_FAILED,
        "cannot read it: HTTP 500",
    )
    assert (after.listed, after.content_hash) == (4, "h3")  # a failure changes no links
    lists.record_unchanged(state.id)
    assert lists.all()[0].status == LIST_UNCHANGED

    # Removing a listed link takes its listing with it; unfollowing keeps the links.
    store.curation.remove([ids[0]])
    assert lists.listed_links(state.id) == ids[1:]
    assert lists.remove(state.id) and lists.all() == []
    assert lists.find(str(state.id)) is None and not lists.remove(state.id)
    assert len(store.links.tasks_for_archive()) == 3
