"""The structured copy of each snapshot (archiver/document.py, as JSON) and the version of the
extractor that made its text and copy, so `linkvault reextract` can bring older snapshots up
to date from their stored bodies without refetching.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("extracted_with", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("snapshots", schema=None) as batch_op:
        batch_op.drop_column("extracted_with")
        batch_op.drop_column("document")
