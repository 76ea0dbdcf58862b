"""Migration 0009 (notes and tags in the PostgreSQL search documents) on a database that was
searched before it: the documents keep answering, and they find their links' tags and notes
as soon as the database is migrated. On SQLite it changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from archiver import make_engine
from archiver.schema import _config, current_revision, head_revision, migrate
from bench.postgres import PostgresServer
from index import IndexRecord, SearchQuery
from index.postgres import PostgresSearch

# Search documents as the 0008 writer wrote them: no note, no tags.
_OLD_DOCUMENT = sa.text(
    "INSERT INTO search_documents (link_id, url, title, body, section, domain, status, version) "
    "VALUES (:id, :url, :title, :body, NULL, 'example.com', 'ok', 'v1')"
)
WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def _links_at_0008(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0008")
    # Rows as the 0008 schema has them: the model has columns later migrations add.
    links_0008 = sa.table(
        "links",
        *(sa.column(name) for name in ("id", "url", "normalized_url", "note", "status")),
        *(sa.column(name) for name in ("created_at", "needs_index", "failure_count")),
        sa.column("tags", sa.JSON),
    )
    with engine.begin() as conn:
        for link_id, tags, note in [
            (1, ["CPython Internals", "gc"], "Remember the arenas"),
            (2, [], None),
            (3, ["Rust"], None),  # not searchable: no document
        ]:
            url = f"https://example.com/{link_id}"
            conn.execute(
                sa.insert(links_0008).values(
                    id=link_id,
                    url=url,
                    normalized_url=url,
                    tags=tags,
                    note=note,
                    status="ok",
                    created_at=WHEN,
                    needs_index=False,
                    failure_count=0,
                )
            )
    with engine.begin() as conn:
        for link_id, title in [(1, "Python memory"), (2, "Rust memory")]:
            body = f"{title}: how the garbage collector works."
            url = f"https://example.com/{link_id}"
            conn.execute(_OLD_DOCUMENT, {"id": link_id, "url": url, "title": title, "body": body})


def _ids(pg: PostgresSearch, query: str) -> list[int]:
    return sorted(hit.id for hit in pg.search(SearchQuery(query, per_page=50)).hits)


def test_documents_indexed_before_0009_keep_answering_and_find_tags_and_notes(
    postgres_server: PostgresServer,
) -> None:
    engine = make_engine(postgres_server.database())
    try:
        _links_at_0008(engine)
        assert migrate(engine) == ("0008", head_revision())
        pg = PostgresSearch(engine)
        assert _ids(pg, "collector") == [1, 2]  # the documents indexed before still answer
        assert _ids(pg, "tag:gc") == [1]
        assert _ids(pg, 'tag:"cpython internals" collector') == [1]
        assert _ids(pg, "collector -tag:GC") == [2]
        assert _ids(pg, "arenas") == [1]  # the note
        page = pg.search(SearchQuery("memory"))
        assert page.facets["tag"] == {"cpython internals": 1, "gc": 1}
        assert [hit.tags for hit in page.hits if hit.id == 1] == [["CPython Internals", "gc"]]
        with engine.connect() as conn:
            stale = conn.execute(sa.text("SELECT id FROM links WHERE needs_index")).scalars()
            # Rewritten by the next run: link 1 for its tags and note (0009), every link with a
            # document for its code words (0014); link 3 has no document.
            assert sorted(stale) == [1, 2]
        # The writer of this version writes the new columns.
        with pg.writer() as writer:
            writer.add(
                IndexRecord(
                    id=2,
                    url="https://example.com/2",
                    title="Rust memory",
                    text="The borrow checker.",
                    section=None,
                    domain="example.com",
                    status="ok",
                    archived_at=WHEN,
                    published=None,
                    tags=("Rust",),
                    note="ownership notes",
                )
            )
        assert _ids(pg, "tag:rust ownership") == [2]
    finally:
        engine.dispose()


def test_on_sqlite_0009_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'linkvault.db'}")
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0008")
        before = sa.inspect(engine).get_table_names()
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0009")
        assert current_revision(engine) == "0009"
        assert sa.inspect(engine).get_table_names() == before
    finally:
        engine.dispose()
