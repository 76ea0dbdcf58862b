"""Migrations 0014 (code words in the PostgreSQL search documents) and 0015
(linkvault_english, rank_tsv) on a database that was searched before them: the documents keep
answering by their words, and are re-analysed in place, so a phrase of stop words and a
phrase ending at a hyphen find their page at once; every indexed link is marked for indexing
(0014), and once indexed again a page is found by the parts of its identifiers; the schema
goes back down to 0014 cleanly. On SQLite 0014 changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from archiver import make_engine
from archiver.models import Link
from archiver.schema import _config, current_revision, head_revision, migrate
from bench.postgres import PostgresServer
from index import IndexRecord, SearchQuery
from index.postgres import PostgresSearch

# A search document as the 0013 writer wrote it: no code words.
_OLD_DOCUMENT = sa.text(
    "INSERT INTO search_documents (link_id, url, title, body, section, domain, status, version) "
    "VALUES (:id, :url, :title, :body, NULL, 'example.com', 'ok', 'v1')"
)
WHEN = datetime(2024, 1, 1, tzinfo=UTC)
BODY = (
    "Call sys.getsizeof, and see LOAD_FAST in Python/ceval.c. She said she did not know it "
    "until thirty-one."
)


def _record(link_id: int, text: str) -> IndexRecord:
    return IndexRecord(
        id=link_id,
        url=f"https://example.com/{link_id}",
        title="Sizes",
        text=text,
        section=None,
        domain="example.com",
        status="ok",
        archived_at=WHEN,
        published=None,
    )


def _ids(pg: PostgresSearch, query: str) -> list[int]:
    return sorted(hit.id for hit in pg.search(SearchQuery(query, per_page=50)).hits)


def test_documents_indexed_before_0014_answer_and_are_reanalysed(
    postgres_server: PostgresServer,
) -> None:
    engine = make_engine(postgres_server.database())
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0013")
        with Session(engine) as session, session.begin():
            for link_id in (1, 2):
                url = f"https://example.com/{link_id}"
                session.add(
                    Link(id=link_id, url=url, normalized_url=url, status="ok", needs_index=False)
                )
        with engine.begin() as conn:
            params = {"id": 1, "url": "https://example.com/1", "title": "Sizes", "body": BODY}
            conn.execute(_OLD_DOCUMENT, params)
        assert migrate(engine) == ("0013", head_revision())
        pg = PostgresSearch(engine)
        assert _ids(pg, "call") == [1]  # its words still answer
        assert _ids(pg, "load fast") == [1]  # PostgreSQL's own parser cuts LOAD_FAST
        assert _ids(pg, "getsizeof") == []  # no code words yet
        # 0015 re-analysed the text in place: stop words and hyphenated parts line up.
        assert _ids(pg, '"she said she did not"') == [1]
        assert _ids(pg, '"until thirty"') == [1]
        with engine.connect() as conn:
            stale = conn.execute(sa.text("SELECT id FROM links WHERE needs_index")).scalars()
            assert sorted(stale) == [1]  # the next run indexes it again; 2 has no document
        with pg.writer() as writer:
            writer.add(_record(1, BODY))
        for query in ("getsizeof", "sys.getsizeof", "ceval", "LOAD_FAST", '"load fast"'):
            assert _ids(pg, query) == [1], query
        with engine.connect() as conn:
            lead = conn.execute(sa.text("SELECT rank_tsv::text FROM search_documents")).scalar()
            assert lead is not None and "'size':1A" in lead
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0014")
        with engine.connect() as conn:
            configs = "SELECT count(*) FROM pg_ts_config WHERE cfgname = 'linkvault_english'"
            assert conn.execute(sa.text(configs)).scalar_one() == 0
            found = "SELECT count(*) FROM search_documents WHERE tsv @@ 'getsizeof'::tsquery"
            assert conn.execute(sa.text(found)).scalar_one() == 1
    finally:
        engine.dispose()


def test_on_sqlite_0014_changes_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'linkvault.db'}")
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0013")
        before = sa.inspect(engine).get_table_names()
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0014")
        assert current_revision(engine) == "0014"
        assert sa.inspect(engine).get_table_names() == before
    finally:
        engine.dispose()
