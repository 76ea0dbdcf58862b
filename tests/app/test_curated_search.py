"""The index follows curation, on both backends: an edit of tags or note is searchable as soon
as index_links() has run, and a deleted link's document goes, by index_links() or, when the
index could not be reached then, by the next sync_index(). Also: `linkvault search` shows
tags, versions of untouched links are what they were, and a Whoosh index from before tags is
refused until `linkvault reindex`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from app.main import create_app
from app.services import Vault, check, sync_index
from app.services.indexing import index_links, record_version
from archiver.models import Check, Link, Snapshot
from archiver.records import as_datetime
from archiver.urls import domain_of
from index import IndexUnavailable, SearchIndex, SearchQuery
from index.whoosh import Store
from tests.app._archive import INTERNALS, Archive, build_archive
from tests.app.test_cli_archive import linkvault


@pytest.fixture(params=["whoosh", "postgres"])
def vault(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Vault, Archive]]:
    """A private archive, written to by the test, on each backend."""
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_server").database()
    archive = build_archive(
        tmp_path / "data", database_url=database_url, search_backend=request.param
    )
    opened = Vault(archive.settings())
    yield opened, archive
    opened.close()


def ids(vault: Vault, text: str, **kw: object) -> list[int]:
    page = vault.index.search(SearchQuery(text, per_page=100, **kw))  # type: ignore[arg-type]
    return sorted(hit.id for hit in page.hits)


def edit(vault: Vault, link_id: int, **values: object) -> None:
    """What the edit service does to the database: the user's values, then needs_index."""
    with vault.store.session() as session:
        link = session.get(Link, link_id)
        assert link is not None
        for name, value in values.items():
            setattr(link, name, value)
        link.needs_index = True


def remove(vault: Vault, link_id: int) -> None:
    """The link and what hangs on it, gone from the database (as the delete service does)."""
    with vault.store.session() as session:
        link = session.get(Link, link_id)
        assert link is not None
        link.snapshot_id = None
        session.flush()
        session.execute(delete(Check).where(Check.link_id == link_id))
        session.execute(delete(Snapshot).where(Snapshot.link_id == link_id))
        session.delete(link)


def test_an_edit_of_tags_and_note_is_searchable_once_indexed(
    vault: tuple[Vault, Archive],
) -> None:
    v, archive = vault
    link_id = archive.ids["topic2"]
    edit(v, link_id, tags=["Favourites", "GC Tuning"], note="Compare with the quixotic PyPy")
    assert ids(v, "tag:favourites") == []  # the index has not followed yet...
    assert check(v).stale == [link_id]  # ...and the fingerprint says so

    assert index_links(v.store, v.index, [link_id]) == 1
    assert ids(v, "tag:favourites") == [link_id]
    assert ids(v, 'tag:"gc tuning"') == [link_id]
    assert ids(v, "quixotic") == [link_id]  # the note's words
    assert ids(v, "interpreter", tag="Favourites") == [link_id]
    page = v.index.search(SearchQuery("quixotic"))
    assert page.hits[0].tags == ["Favourites", "GC Tuning"]
    assert page.hits[0].note == "Compare with the quixotic PyPy"
    assert page.facets["tag"] == {"favourites": 1, "gc tuning": 1}
    report = check(v)
    assert report.stale == [] and report.healthy

    edit(v, link_id, tags=["Favourites"], note=None)
    index_links(v.store, v.index, [link_id])
    assert ids(v, 'tag:"gc tuning"') == []
    assert ids(v, "quixotic") == []
    assert ids(v, "tag:favourites") == [link_id]


def test_a_deleted_link_leaves_the_index_with_index_links(vault: tuple[Vault, Archive]) -> None:
    v, archive = vault
    link_id = archive.ids["topic3"]
    assert link_id in ids(v, f'tag:"{INTERNALS}"')
    remove(v, link_id)
    index_links(v.store, v.index, [link_id])
    assert link_id not in v.index.indexed_ids()
    assert link_id not in ids(v, "interpreter")
    assert v.index.search(SearchQuery(f'tag:"{INTERNALS}"')).total == 7
    assert check(v).healthy


def test_a_link_deleted_while_the_index_was_away_leaves_it_at_the_next_sync(
    vault: tuple[Vault, Archive],
) -> None:
    v, archive = vault
    link_id = archive.ids["topic6"]
    remove(v, link_id)  # and the index is never told (it could not be reached)
    sync_index(v.store, v.index)
    assert link_id not in v.index.indexed_ids()
    assert link_id not in ids(v, "interpreter")
    assert check(v).healthy


def test_on_whoosh_a_delete_the_index_refused_is_caught_up_by_sync(
    fresh_archive: Archive,
) -> None:
    link_id = fresh_archive.ids["topic9"]
    v = Vault(fresh_archive.settings())
    try:
        remove(v, link_id)
        # Another writer holds the index for longer than this process waits.
        folder = fresh_archive.data_dir / "index"
        impatient = SearchIndex(folder, lock_timeout=0.2)
        with Store(folder).lock(5), pytest.raises(IndexUnavailable):
            index_links(v.store, impatient, [link_id])
        impatient.close()
        assert link_id in v.index.indexed_ids()  # still there: the index was away
        sync_index(v.store, v.index)
        assert link_id not in v.index.indexed_ids()
        assert link_id not in ids(v, "interpreter")
    finally:
        v.close()


def _version_before_tags(link: Link, snapshot: Snapshot) -> str:
    """record_version() as it was before tags and notes were indexed."""
    fields = [
        link.id,
        link.url,
        link.title or snapshot.title or link.url,
        link.section,
        domain_of(snapshot.final_url or link.url),
        link.status,
        link.archived_at,
        as_datetime(snapshot.published),
    ]
    parts = [str(snapshot.id)] + [
        v.isoformat() if isinstance(v, datetime) else str(v) for v in fields
    ]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).hexdigest()


def test_links_without_tags_or_note_keep_their_version(fresh_archive: Archive) -> None:
    v = Vault(fresh_archive.settings())
    try:
        with v.store.session() as session:
            rows = session.execute(
                select(Link, Snapshot).join(Snapshot, Link.snapshot_id == Snapshot.id)
            ).all()
            plain = [(link, snap) for link, snap in rows if not link.tags and not link.note]
            tagged = [(link, snap) for link, snap in rows if link.tags]
            assert plain and tagged
            for link, snap in plain:
                assert record_version(link, snap) == _version_before_tags(link, snap)
            for link, snap in tagged:
                assert record_version(link, snap) != _version_before_tags(link, snap)
    finally:
        v.close()


def test_the_search_command_shows_tags(fresh_archive: Archive) -> None:
    shown = linkvault(fresh_archive.data_dir, "search", 'tag:"long read" frames')
    assert shown.returncode == 0, shown.stderr
    assert "Python internals: frames" in shown.stdout
    assert "tags: CPython internals, Long read" in shown.stdout
    found = json.loads(
        linkvault(
            fresh_archive.data_dir, "search", "interpreter", "--tag", "LONG READ", "--json"
        ).stdout
    )
    assert found["total"] == 6
    assert all("Long read" in hit["tags"] for hit in found["results"])
    assert found["facets"]["tag"]["long read"] == 6


def test_a_whoosh_index_from_before_tags_is_refused_by_search_and_rebuilt_by_a_run(
    fresh_archive: Archive,
) -> None:
    pointer = fresh_archive.data_dir / "index" / "CURRENT"
    info = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**info, "version": 3}))  # what the last release wrote
    with TestClient(create_app(fresh_archive.settings())) as client:
        response = client.get("/api/search", params={"q": "interpreter"})
        assert response.status_code == 503
        assert "another version of linkvault" in response.json()["detail"]
        assert "linkvault reindex" in response.json()["detail"]
    refused = linkvault(fresh_archive.data_dir, "search", "interpreter")
    assert refused.returncode == 1
    assert "another version of linkvault" in refused.stderr
    assert "linkvault reindex" in refused.stderr and "Traceback" not in refused.stderr
    # A writing run mends it: the index is derived from the database.
    listing = fresh_archive.data_dir.parent / "list.txt"
    listing.write_text("https://akaptur.com/python/0\n")  # archived already: nothing to fetch
    mended = linkvault(fresh_archive.data_dir, "archive", str(listing))
    assert mended.returncode == 0, mended.stderr
    assert "Rebuilding it from the database now" in mended.stderr
    with TestClient(create_app(fresh_archive.settings())) as client:
        body = client.get("/api/search", params={"q": 'tag:"long read"'}).json()
        assert body["total"] == 6
