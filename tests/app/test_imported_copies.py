"""Imported copies through `Vault.import_links`, on a real SQLite store and Whoosh index: the
article an export carried becomes the first snapshot of a new link (marked with its tool,
extracted as a fetched page is: no script, no style), is searchable at once and leaves the
link pending; a link that already has a copy keeps it; an article over the page limit is
not kept. Then what archiving does after it: a fetch makes the current copy, a first 404
makes the link dead at once (linkvault never saw the page alive). In a WARC it is a
`resource` record: no server answered it."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from app.services import Vault, tasks_to_archive
from archiver.export import write_markdown
from archiver.models import Link, LinkStatus, Snapshot
from archiver.records import ImportedCopy, LinkSpec, StoredPage, compress
from archiver.warc import write_warc
from index import SearchQuery
from tests.app._archive import make_settings

SAVED = datetime(2024, 5, 1, 8, 30, tzinfo=UTC)
ARTICLE = (
    "<h2>Tide tables</h2><p>The axolotl almanac lists every tide of the year.</p>"
    "<script>var leaked = 'scriptword';</script><style>.x { color: styleword }</style>"
    '<p>Pictures: <img src="https://img.example/tide.png" alt="Tides"></p>'
)


def _spec(url: str, html: str | None = ARTICLE, title: str | None = "Tides") -> LinkSpec:
    copy = None if html is None else ImportedCopy(html, "wallabag", title, SAVED)
    return LinkSpec(url, url, title, None, "export.json", None, imported_copy=copy)


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    vault = Vault(make_settings(tmp_path / "data"))
    yield vault
    vault.close()


def _snapshots(vault: Vault, link_id: int) -> list[Snapshot]:
    with vault.store.session() as session:
        query = select(Snapshot).where(Snapshot.link_id == link_id).order_by(Snapshot.id)
        snapshots = list(session.scalars(query))
        session.expunge_all()
    return snapshots


def _link(vault: Vault, link_id: int) -> Link:
    link = vault.store.links.get_link(link_id)
    assert link is not None
    return link


def _search(vault: Vault, text: str) -> list[int]:
    return [hit.id for hit in vault.index.search(SearchQuery(text)).hits]


def test_the_article_becomes_the_first_snapshot_marked_imported(vault: Vault) -> None:
    counts = vault.import_links([_spec("https://example.org/tides")])

    [link_id] = counts.link_ids
    [snapshot] = _snapshots(vault, link_id)
    assert snapshot.imported_from == "wallabag"
    assert snapshot.fetched_at == SAVED
    assert snapshot.http_status is None and snapshot.kind == "html"
    assert "axolotl almanac" in snapshot.text
    for hidden in ("scriptword", "styleword", "<p>", "img.example"):
        assert hidden not in snapshot.text
        assert hidden not in (snapshot.document or "")
    link = _link(vault, link_id)
    assert (link.status, link.snapshot_id, link.archived_at) == (
        LinkStatus.PENDING,
        snapshot.id,
        SAVED,
    )
    assert _search(vault, "axolotl") == [link_id]
    # Still fetched once by the next archive run.
    assert [task.id for task in tasks_to_archive(vault, [link_id])] == [link_id]
    # The markdown export says where the copy came from.
    out = io.StringIO()
    write_markdown(vault.store, out)
    assert f"[archived copy of 2024-05-01, imported from wallabag](/links/{link_id})" in (
        out.getvalue()
    )


def test_a_link_that_has_a_copy_keeps_it(vault: Vault) -> None:
    [link_id] = vault.import_links([_spec("https://example.org/tides")]).link_ids
    again = _spec("https://example.org/tides", "<p>A different armadillo article.</p>")

    assert vault.import_links([again]).link_ids == [link_id]

    assert len(_snapshots(vault, link_id)) == 1
    assert _search(vault, "armadillo") == []


def test_only_the_first_of_duplicates_and_nothing_over_the_page_limit(tmp_path: Path) -> None:
    vault = Vault(make_settings(tmp_path / "data", max_page_bytes=4096))
    try:
        specs = [
            _spec("https://example.org/a", "<p>The first okapi copy.</p>"),
            _spec("https://example.org/a", "<p>The second okapi copy, a duplicate.</p>"),
            _spec("https://example.org/big", "<p>" + "huge " * 2000 + "</p>"),
            _spec("https://example.org/none", None),
            _spec("https://example.org/blank", "<div><script>only()</script></div>"),
        ]
        ids = vault.import_links(specs).link_ids
        assert len(ids) == 4
        assert [len(_snapshots(vault, link_id)) for link_id in ids] == [1, 0, 0, 0]
        assert "first okapi" in _snapshots(vault, ids[0])[0].text
    finally:
        vault.close()


def _page(text: str) -> StoredPage:
    body = f"<html><body><p>{text}</p></body></html>".encode()
    return StoredPage(
        final_url="https://example.org/tides",
        http_status=200,
        content_type="text/html",
        headers={},
        content_hash=hashlib.sha256(body).hexdigest(),
        raw_compressed=compress(body),
        size=len(body),
        kind="html",
        text=text,
        title="Tides",
        author=None,
        published=None,
        sitename=None,
        description=None,
        language=None,
    )


def test_a_fetch_after_the_import_makes_the_current_copy_even_with_the_same_text(
    vault: Vault,
) -> None:
    [link_id] = vault.import_links([_spec("https://example.org/tides")]).link_ids
    [imported] = _snapshots(vault, link_id)

    changed = vault.store.links.record_page(link_id, _page(imported.text))

    assert changed
    first, fetched = _snapshots(vault, link_id)
    assert (first.imported_from, fetched.imported_from) == ("wallabag", None)
    assert _link(vault, link_id).snapshot_id == fetched.id
    assert _link(vault, link_id).status == LinkStatus.OK
    # The next fetch of the same page is unchanged: no third copy.
    assert not vault.store.links.record_page(link_id, _page(imported.text))


def test_a_first_404_after_the_import_is_believed(vault: Vault) -> None:
    [link_id] = vault.import_links([_spec("https://example.org/tides")]).link_ids

    status = vault.store.links.record_failure(link_id, LinkStatus.DEAD, "HTTP 404", 404)

    assert status is LinkStatus.DEAD
    link = _link(vault, link_id)
    assert link.status == LinkStatus.DEAD and link.dead_since is not None
    assert link.snapshot_id == _snapshots(vault, link_id)[0].id  # the imported copy stays


def test_an_imported_copy_is_a_resource_record_in_the_warc(vault: Vault, tmp_path: Path) -> None:
    [link_id] = vault.import_links([_spec("https://example.org/tides")]).link_ids
    target = tmp_path / "archive.warc.gz"
    with target.open("wb") as out:
        assert write_warc(vault.store, out) == 1

    seen = []
    with target.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests="raise"):
            headers = record.rec_headers
            seen.append(
                (
                    record.rec_type,
                    headers.get_header("WARC-Target-URI"),
                    headers.get_header("Linkvault-Imported-From"),
                    headers.get_header("Linkvault-Link-Id"),
                    b"axolotl almanac" in record.content_stream().read(),
                )
            )
    assert seen == [
        ("warcinfo", None, None, None, False),
        ("resource", "https://example.org/tides", "wallabag", str(link_id), True),
    ]
