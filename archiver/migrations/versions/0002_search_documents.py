"""Search documents for the PostgreSQL search backend (LINKVAULT_SEARCH_BACKEND=postgres).

A weighted tsvector (title A, text B) over each searchable link's current copy, with a GIN
index, and the table of indexed words (lexemes) that prefix limits and "did you mean" read.
On SQLite this revision changes nothing: search there is the Whoosh index.

The tsvector covers ``body``, which the index writes as at most the first 1,000,000
characters of the text (as the Whoosh index does), cut shorter still for a text whose
tsvector PostgreSQL refuses (1 MB of words and positions at most): a huge or odd text is
indexed in part, never fails the write. PostgreSQL caps word positions at 16,383, so past
about the 16,000th word words still match but phrases no longer can.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# "<" becomes a space: PostgreSQL's parser would take "<b>" or "<img src=x>" in an article's
# text for markup and skip the words in it, which the Whoosh backend indexes.
TSV = (
    "setweight(to_tsvector('english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(body, '<', ' ')), 'B')"
)
# `section:` searches the words of the section name: lowercased, neither stemmed nor stopped.
SECTION_WORDS = "to_tsvector('simple'::regconfig, coalesce(section, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "search_documents",
        sa.Column(
            "link_id",
            sa.Integer(),
            sa.ForeignKey("links.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=True),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Text(), nullable=False, server_default=""),
        sa.Column("tsv", postgresql.TSVECTOR(), sa.Computed(TSV, persisted=True)),
    )
    op.create_index("ix_search_documents_tsv", "search_documents", ["tsv"], postgresql_using="gin")
    op.create_index(
        "ix_search_documents_section_words",
        "search_documents",
        [sa.text(SECTION_WORDS)],
        postgresql_using="gin",
    )
    op.create_index("ix_search_documents_section", "search_documents", ["section"])
    op.create_index("ix_search_documents_domain", "search_documents", ["domain"])
    op.create_index("ix_search_documents_archived_at", "search_documents", ["archived_at"])
    op.create_index("ix_search_documents_published", "search_documents", ["published"])
    op.create_table(
        "search_lexemes",
        # Byte order ("C"), so a prefix is a range scan of the primary key.
        sa.Column("lexeme", sa.Text(collation="C"), primary_key=True),
        # Documents that had it when it was first indexed (for ranking suggestions only).
        sa.Column("ndoc", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("search_lexemes")
    op.drop_table("search_documents")
