"""The re-extraction service on both databases: the fixture archive (snapshots with no stored
body) with real bodies given to two of its snapshots, one the current copy of its link and
one an older copy of another."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from app.services.linkrefs import UnknownLinks, link_ids_for
from app.services.reextracting import (
    Outcome,
    SnapshotDone,
    reextract,
    snapshots_to_reextract,
)
from app.services.vault import Vault
from archiver import compress
from archiver.extract import EXTRACTOR_VERSION
from archiver.models import Link, Snapshot
from bench.postgres import PostgresServer
from index import SearchQuery
from tests.app._archive import build_archive
from tests.support import pages


@pytest.fixture(params=["sqlite", "postgres"])
def vault(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Vault:
    database_url = None
    backend = "whoosh"
    if request.param == "postgres":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        database_url, backend = server.database(), "postgres"
    archive = build_archive(
        tmp_path_factory.mktemp("reextract"), database_url=database_url, search_backend=backend
    )
    opened = Vault(archive.settings())
    request.addfinalizer(opened.close)
    return opened


def _ids(vault: Vault, words: str) -> list[int]:
    return [hit.id for hit in vault.index.search(SearchQuery(text=words, per_page=50)).hits]


def test_reextract_stores_and_indexes_what_changed(vault: Vault) -> None:
    store = vault.store
    with store.session() as session:
        current_link, current_snapshot = session.execute(
            select(Link.id, Link.snapshot_id).where(Link.snapshot_id.is_not(None)).limit(1)
        ).one()
        other_link = session.scalar(
            select(Link.id).where(Link.snapshot_id.is_not(None), Link.id != current_link).limit(1)
        )
        old = session.get_one(Snapshot, session.get_one(Link, other_link).snapshot_id)
        # An older copy of another link: not what the index shows.
        older = Snapshot(
            link_id=other_link,
            fetched_at=datetime(2020, 1, 1, tzinfo=UTC),
            final_url=old.final_url,
            content_type="text/html",
            content_hash="0" * 64,
            kind="html",
            text="",
            raw=b"",
            headers={},
        )
        session.add(older)
        session.flush()
        older_id = older.id
    body = pages.article("Quokkas", pages.filler("quokkaword habits")).encode()
    with store.session() as session:
        for snapshot_id in (current_snapshot, older_id):
            session.execute(
                update(Snapshot)
                .where(Snapshot.id == snapshot_id)
                .values(raw=compress(body), headers={"content-type": "text/html; charset=utf-8"})
            )
    assert _ids(vault, "quokkaword") == []

    chosen = snapshots_to_reextract(vault)  # the fixture predates extractor versions
    with store.session() as session:
        assert chosen == sorted(session.scalars(select(Snapshot.id)))
    heard: list[SnapshotDone] = []
    summary = reextract(vault, chosen, on_done=heard.append)

    assert summary.changed == 2 and summary.unchanged == 0 and summary.failed == 0
    assert summary.skipped == len(chosen) - 2
    assert summary.indexed_links == [current_link]  # the older copy is not in the index
    assert {done.snapshot_id for done in heard} == set(chosen)
    assert {d.snapshot_id for d in heard if d.outcome is Outcome.CHANGED} == {
        current_snapshot,
        older_id,
    }
    with store.session() as session:
        versions = set(session.scalars(select(Snapshot.extracted_with)))
        current = session.get_one(Snapshot, current_snapshot)
        assert current.title == "Quokkas" and "quokkaword" in current.text
        assert current.content_hash != "0" * 64  # the fetch it records stays as it was
    assert versions == {EXTRACTOR_VERSION}
    assert _ids(vault, "quokkaword") == [current_link]
    assert store.index_bookkeeping.ids_needing_index() == []

    assert snapshots_to_reextract(vault) == []
    assert snapshots_to_reextract(vault, [current_link], everything=True) == [current_snapshot]


def test_unknown_urls_are_named(vault: Vault) -> None:
    with pytest.raises(UnknownLinks) as raised:
        link_ids_for(vault, ["https://docs.python.org/python/1", "https://never.example/"])
    assert raised.value.urls == ["https://never.example/"]
