"""Snapshots say whether they were imported (issue 12: wallabag's and Omnivore's exports
carry the article, kept as the link's first copy) and from which tool; NULL: fetched.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(sa.Column("imported_from", sa.String(length=32)))


def downgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_column("imported_from")
