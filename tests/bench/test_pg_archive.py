"""`python -m bench.search --backend postgres`: the archive goes into PostgreSQL by COPY in
the real schema, a kept one is reused, and search tables emptied or marked stale by a
migration cost a rebuild_index only, not a new insert; the JSON holds postgres alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.services import Vault
from app.settings import Settings
from archiver.models import Link, Snapshot
from bench._corpus import Corpus
from bench.search.__main__ import chosen_backends
from bench.search.load import InProcess
from bench.search.pg_archive import postgres_archive
from bench.search.report import results_json
from tests.support.databases import migrated

DOCS = 30


def build(settings: Settings, meta: dict[str, float], capsys: pytest.CaptureFixture[str]) -> str:
    postgres_archive(settings, DOCS, 1, False, meta)
    return capsys.readouterr().out


def test_built_reused_and_only_reindexed_after_a_migration(
    postgres_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrated(postgres_url)
    settings = Settings(  # type: ignore[call-arg]
        data_dir=tmp_path, database_url=postgres_url, search_backend="postgres"
    )
    meta: dict[str, float] = {}
    out = build(settings, meta, capsys)
    assert "inserting 30 links" in out and "rebuild_index" in out
    assert {"postgres_insert_s", "postgres_rebuild_s", "postgres_search_mb"} <= set(meta)
    assert meta["postgres_database_mb"] >= meta["postgres_search_mb"] > 0

    vault = Vault(settings)
    try:
        with vault.store.engine.begin() as conn:
            linked = select(func.count()).where(Link.snapshot_id == Link.id)
            assert conn.execute(linked).scalar_one() == DOCS
            first = conn.execute(select(Snapshot.text).where(Snapshot.id == 1)).scalar()
            assert first == next(Corpus(1).records(1)).text
            assert conn.execute(select(Link.host).where(Link.id == 1)).scalar()
        assert vault.index.doc_count() == DOCS

        assert "reusing the search tables" in build(settings, meta, capsys)

        # What a migration that changes the search documents leaves: emptied tables, or
        # every link marked for indexing.
        for change in ("DELETE FROM search_documents", "UPDATE links SET needs_index = true"):
            with vault.store.engine.begin() as conn:
                conn.execute(text(change))
            out = build(settings, meta, capsys)
            assert "reusing the links and snapshots" in out and "inserting" not in out
            assert "rebuild_index" in out
            assert vault.index.doc_count() == DOCS
    finally:
        vault.close()


def test_postgres_alone_is_all_the_json_holds() -> None:
    assert chosen_backends(["postgres"], no_postgres=False) == {"postgres"}
    assert chosen_backends(None, no_postgres=True) == {"whoosh", "fts5"}
    ms = [float(i) for i in range(1, 101)]
    local = [InProcess(words, postgres=ms) for words in (1, 2, 3)]
    data = results_json(DOCS, local, [])
    assert data == {
        "docs": DOCS,
        "in_process": {
            "postgres": {w: {"p50_ms": 50.5, "p95_ms": 95.05, "p99_ms": 99.01} for w in "123"}
        },
        "http": {},
    }
