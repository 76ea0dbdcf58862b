"""Links remember when a death signal (404, 410, host not found) was first seen on a link
with a copy, and why, until a second check confirms it (archiver/rot.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archiver.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("unreachable_since", archiver.models.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("unreachable_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("unreachable_reason")
        batch.drop_column("unreachable_since")
