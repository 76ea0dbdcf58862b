"""Migration 0015 (linkvault_english and rank_tsv) on a PostgreSQL database searched before it:
the documents are re-analysed in place, so a phrase of stop words and a phrase ending at a
hyphen find their page at once, with no reindex; and it goes back down to 0014 cleanly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from archiver import make_engine
from archiver.models import Link
from archiver.schema import _config, head_revision, migrate
from bench.postgres import PostgresServer
from index import SearchQuery
from index.postgres import PostgresSearch

# A search document as the 0014 writer wrote it.
_OLD_DOCUMENT = sa.text(
    "INSERT INTO search_documents (link_id, url, title, body, section, domain, status, version) "
    "VALUES (:id, :url, 'Diary', :body, NULL, 'example.com', 'ok', 'v1')"
)
BODY = "At the door she said she did not know him. He left at thirty-one."


def _ids(pg: PostgresSearch, query: str) -> list[int]:
    return [hit.id for hit in pg.search(SearchQuery(query)).hits]


def test_documents_indexed_before_0015_are_reanalysed_in_place(
    postgres_server: PostgresServer,
) -> None:
    engine = make_engine(postgres_server.database())
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0014")
        with Session(engine) as session, session.begin():
            url = "https://example.com/1"
            session.add(Link(id=1, url=url, normalized_url=url, status="ok", needs_index=False))
        with engine.begin() as conn:
            conn.execute(_OLD_DOCUMENT, {"id": 1, "url": url, "body": BODY})
        pg = PostgresSearch(engine)
        with engine.connect() as conn:
            # Before: the english configuration had dropped the stop words.
            before = conn.execute(sa.text("SELECT tsv::text FROM search_documents")).scalar_one()
            assert "'she'" not in before
        assert migrate(engine) == ("0014", head_revision())
        assert _ids(pg, '"she said she did not"') == [1]
        assert _ids(pg, '"left at thirty"') == [1]
        assert _ids(pg, "diary") == [1]
        with engine.connect() as conn:
            lead = conn.execute(sa.text("SELECT rank_tsv::text FROM search_documents")).scalar()
            assert lead is not None and "'diari':1A" in lead
            needs = conn.execute(sa.text("SELECT count(*) FROM links WHERE needs_index"))
            assert needs.scalar_one() == 0  # nothing to reindex
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0014")
        with engine.connect() as conn:
            configs = conn.execute(
                sa.text("SELECT count(*) FROM pg_ts_config WHERE cfgname = 'linkvault_english'")
            )
            assert configs.scalar_one() == 0
            found = conn.execute(
                sa.text("SELECT count(*) FROM search_documents WHERE tsv @@ 'diari'::tsquery")
            )
            assert found.scalar_one() == 1
    finally:
        engine.dispose()
