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
through that declaration), and this revision creates them from it, so the two cannot drift.
A released migration must go on creating exactly what it created, since databases already
past it never run it again; so RELEASED_DDL_SHA256 pins the CREATE statements this revision
shipped with, and tests/archiver/test_migrated_schema.py fails when the declaration changes.
Whoever changes it then pastes the statements of index.postgres.search_tables_ddl() as they
were into this file (frozen), and writes the change as a new revision.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from index.postgres import search_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# sha256 of "\n".join(index.postgres.search_tables_ddl()) when this revision was released.
RELEASED_DDL_SHA256 = "ada169316749533736c7b58555e9beb4dc6f1d3f521f7b8da41d2dcaaf0f0563"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # The declaration refers to links.id; reflecting links lets SQLAlchemy resolve that.
    existing = sa.MetaData()
    sa.Table("links", existing, autoload_with=bind)
    for table in search_tables(existing):
        table.create(bind)  # with its indexes


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("search_lexemes")
    op.drop_table("search_documents")
