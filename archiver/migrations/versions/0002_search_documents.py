"""Search documents for the PostgreSQL search backend (LINKVAULT_SEARCH_BACKEND=postgres).

A weighted tsvector (title A, text B) over each searchable link's current copy, with a GIN
index, and the table of indexed words (lexemes) that prefix limits and "did you mean" read.
On SQLite this revision changes nothing: search there is the Whoosh index.

The tsvector covers ``body``, which the index writes as at most the first 1,000,000
characters of the text (as the Whoosh index does), cut shorter still for a text whose
tsvector PostgreSQL refuses (1 MB of words and positions at most): a huge or odd text is
indexed in part, never fails the write. PostgreSQL caps word positions at 16,383, so past
about the 16,000th word words still match but phrases no longer can.

The tables are declared once, in index/postgres/_tables.py (the index reads and writes them
through that declaration). This revision first created them from it; when the declaration
changed (0009: notes and tags), the statements it had released were frozen here, since a
released migration must go on creating exactly what it created (databases already past it
never run it again). RELEASED_DDL_SHA256 pins them: tests/archiver/test_migrated_schema.py
checks that they hash to it, and that a database migrated to head matches the declaration.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# sha256 of "\n".join(RELEASED_STATEMENTS): index.postgres.search_tables_ddl() as released.
RELEASED_DDL_SHA256 = "ada169316749533736c7b58555e9beb4dc6f1d3f521f7b8da41d2dcaaf0f0563"

# What index/postgres/_tables.py declared when this revision was released, frozen.
RELEASED_STATEMENTS = [
    "CREATE TABLE search_documents (\n"
    "\tlink_id INTEGER NOT NULL, \n"
    "\turl TEXT NOT NULL, \n"
    "\ttitle TEXT NOT NULL, \n"
    "\tbody TEXT NOT NULL, \n"
    "\tsection TEXT, \n"
    "\tdomain TEXT NOT NULL, \n"
    "\tstatus VARCHAR(16) NOT NULL, \n"
    "\tarchived_at TIMESTAMP WITH TIME ZONE, \n"
    "\tpublished TIMESTAMP WITH TIME ZONE, \n"
    "\tversion TEXT DEFAULT '' NOT NULL, \n"
    "\ttsv TSVECTOR GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(body, '<', ' ')), 'B')) STORED, \n"
    "\tPRIMARY KEY (link_id), \n"
    "\tFOREIGN KEY(link_id) REFERENCES links (id) ON DELETE CASCADE\n"
    ")",
    "CREATE INDEX ix_search_documents_archived_at ON search_documents (archived_at)",
    "CREATE INDEX ix_search_documents_domain ON search_documents (domain)",
    "CREATE INDEX ix_search_documents_published ON search_documents (published)",
    "CREATE INDEX ix_search_documents_section ON search_documents (section)",
    "CREATE INDEX ix_search_documents_section_words ON search_documents "
    "USING gin (to_tsvector('simple'::regconfig, coalesce(section, '')))",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    "CREATE TABLE search_lexemes (\n"
    '\tlexeme TEXT COLLATE "C" NOT NULL, \n'
    "\tndoc INTEGER NOT NULL, \n"
    "\tPRIMARY KEY (lexeme)\n"
    ")",
]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in RELEASED_STATEMENTS:
        bind.exec_driver_sql(statement)  # as written: no bound parameters to look for


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("search_lexemes")
    op.drop_table("search_documents")
