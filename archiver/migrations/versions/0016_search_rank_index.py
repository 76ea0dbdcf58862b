"""A GIN index on search_documents.rank_tsv (issue 14: PostgreSQL ranking in bounded time).

When a query matches more pages than phase one of the ranking keeps
(index/postgres/_rank.py), its candidates are the pages that have the query in their title,
note or lead: this index finds those without reading the rows of every match. Nothing to do
on SQLite (search there is the Whoosh index).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.get_bind().exec_driver_sql(
        "CREATE INDEX ix_search_documents_rank_tsv ON search_documents USING gin (rank_tsv)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.get_bind().exec_driver_sql("DROP INDEX ix_search_documents_rank_tsv")
