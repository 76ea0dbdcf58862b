"""Search documents carry code words (issue 14: identifiers found by their parts), on
PostgreSQL.

search_documents gains ``title_code``, ``note_code`` and ``body_code``: the parts and joined
forms of the identifiers in each field (`LOAD_FAST` -> loadfast load fast), which the index
writer makes (index/_codewords.py) and which PostgreSQL's parser does not. The weighted
tsvector is a generated column, and PostgreSQL 15 cannot change the expression of one: it is
dropped and added again with the code words in it.

Documents already indexed have no code words yet; their links are marked for indexing, so the
next run (any `linkvault archive`, `refresh` or `worker`) rewrites them with code words, and
`linkvault reindex` does it at once. On SQLite this revision changes nothing: search there is
the Whoosh index (whose schema version changed too: `linkvault reindex` rebuilds it).

The statements are written out, not derived from index/postgres/_tables.py (which declares
the tables' current shape): a released migration must go on doing what it did.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_TSV_0009 = (
    "setweight(to_tsvector('english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(note, ''), '<', ' ')), 'C')"
    " || setweight(to_tsvector('english'::regconfig, translate(body, '<', ' ')), 'B')"
)
_TSV_0014 = (
    "setweight(to_tsvector('english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(title_code, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(note, ''), '<', ' ')), 'C')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(note_code, '')), 'C') || "
    "setweight(to_tsvector('english'::regconfig, translate(body, '<', ' ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(body_code, '')), 'B')"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in (
        "ALTER TABLE search_documents DROP COLUMN tsv",  # and its index
        "ALTER TABLE search_documents ADD COLUMN title_code TEXT",
        "ALTER TABLE search_documents ADD COLUMN note_code TEXT",
        "ALTER TABLE search_documents ADD COLUMN body_code TEXT",
        f"ALTER TABLE search_documents ADD COLUMN tsv TSVECTOR "
        f"GENERATED ALWAYS AS ({_TSV_0014}) STORED",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
        # The next run indexes them again, with code words.
        "UPDATE links SET needs_index = true WHERE id IN (SELECT link_id FROM search_documents)",
    ):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in (
        "ALTER TABLE search_documents DROP COLUMN tsv",
        "ALTER TABLE search_documents DROP COLUMN body_code",
        "ALTER TABLE search_documents DROP COLUMN note_code",
        "ALTER TABLE search_documents DROP COLUMN title_code",
        f"ALTER TABLE search_documents ADD COLUMN tsv TSVECTOR "
        f"GENERATED ALWAYS AS ({_TSV_0009}) STORED",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    ):
        bind.exec_driver_sql(statement)
