"""Writing to the PostgreSQL search backend: huge and odd documents, batches, cancelling,
rebuilding, the writer lock, the factory and the health check."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from archiver import make_engine
from index import (
    IndexLocked,
    IndexRecord,
    SearchQuery,
    inspect_backend,
    open_search_backend,
)
from index.postgres import PostgresSearch
from index.postgres._writer import LOCK_KEY
from tests.index._helpers import add_links, index_all, record


def versioned(link_id: int, version: str, **fields: object) -> IndexRecord:
    return replace(record(link_id, **fields), version=version)  # type: ignore[arg-type]


# -- writing ----------------------------------------------------------------------------------


def test_huge_and_odd_documents_never_fail_a_write(pg: PostgresSearch) -> None:
    # Distinct words: their tsvector is far past PostgreSQL's 1 MB limit.
    huge = "needle " + " ".join(f"w{i:07d}q{i * 7919 % 100_003}" for i in range(150_000))
    records = [
        record(1, text=huge),
        record(2, title="T" * 300_000 + " needle", text="nul\x00byte needle"),
        record(3, text=("lorem ipsum " * 200_000) + " needle"),  # 2.4 MB, few words
        record(4, text="needle " + "x" * 5000),  # a 5,000-letter "word"
    ]
    index_all(pg, records)
    assert pg.doc_count() == 4
    found = pg.search(SearchQuery("needle", per_page=10))
    assert sorted(hit.id for hit in found.hits) == [1, 2, 4]  # 3: past the first 1M chars
    assert pg.search(SearchQuery("w0000001q7919")).total == 1
    assert pg.search(SearchQuery("nul byte")).total == 1


def test_writer_batches_last_change_wins_and_cancel_drops(pg: PostgresSearch) -> None:
    add_links(pg.engine, range(1, 6))
    with pg.writer(batch_size=2) as writer:
        writer.add(versioned(1, "a", text="first alpha"))
        writer.add(versioned(1, "b", text="second beta"))
        writer.add(record(2, text="alpha"))
        writer.add(record(3, text="alpha"))  # a batch of 2 was written
        writer.delete(3)
    assert pg.indexed_versions() == {1: "b", 2: ""}
    assert pg.search(SearchQuery("alpha")).total == 1
    with pytest.raises(RuntimeError), pg.writer() as writer:
        writer.add(record(4, text="alpha"))
        raise RuntimeError
    assert pg.indexed_ids() == {1, 2}
    with pg.writer() as writer:
        writer.add(record(99, text="alpha"))  # its link does not exist: skipped
        writer.add(record(5, text="alpha"))
    assert pg.indexed_ids() == {1, 2, 5}


def test_rebuild_replaces_everything_and_keeps_the_first_of_repeated_ids(
    pg: PostgresSearch,
) -> None:
    index_all(pg, [record(1, text="old words"), record(2, text="old words")])
    add_links(pg.engine, [3])
    count = pg.rebuild(
        [record(3, text="new words"), record(3, text="other"), record(1, text="new")]
    )
    assert count == 2
    assert pg.indexed_ids() == {1, 3}
    assert pg.search(SearchQuery("old")).total == 0
    assert pg.search(SearchQuery("other")).total == 0
    assert pg.search(SearchQuery("new")).total == 2


def test_a_second_writer_waits_for_the_lock_then_gives_up(pg: PostgresSearch) -> None:
    add_links(pg.engine, [1])
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with pg.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        held.wait(10)
        with pytest.raises(IndexLocked, match="1 document"), pg.writer() as writer:
            writer.add(record(1, text="words"))
    finally:
        release.set()
        holder.join()
    assert pg.search(SearchQuery("words")).total == 0


def test_the_factory_and_check_helpers(pg: PostgresSearch, tmp_path: Path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="LINKVAULT_DATABASE_URL to be a PostgreSQL"):
        open_search_backend("postgres", engine=sqlite)
    with pytest.raises(ValueError, match="Unknown search backend"):
        open_search_backend("elastic", engine=pg.engine)
    assert open_search_backend("postgres", engine=pg.engine).name == "postgres"
    index_all(pg, [versioned(7, "v7", text="words")])
    health = inspect_backend("postgres", engine=pg.engine)
    assert health.readable and health.versions == {7: "v7"} and not health.leftovers
    assert pg.size_bytes() > 0
    with pg.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE search_documents RENAME TO moved"))
    assert "linkvault migrate" in (inspect_backend("postgres", engine=pg.engine).problem or "")


def test_dates_come_back_in_utc(pg: PostgresSearch) -> None:
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    index_all(pg, [record(1, text="dated", archived_at=when.replace(tzinfo=None))])
    assert pg.search(SearchQuery("dated")).hits[0].archived_at == when
