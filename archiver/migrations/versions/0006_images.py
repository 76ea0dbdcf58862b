"""Archived figures: each image's bytes once, by SHA-256 (`images`), and which snapshot shows
which image from which figure URL (`snapshot_images`; archiver/images.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archiver.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetched_at", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "snapshot_images",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("src_hash", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["images.sha256"]),
        sa.ForeignKeyConstraint(["snapshot_id"], ["snapshots.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("snapshot_id", "src_hash"),
    )
    op.create_index("ix_snapshot_images_src_hash", "snapshot_images", ["src_hash"], unique=False)
    op.create_index("ix_snapshot_images_sha256", "snapshot_images", ["sha256"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_snapshot_images_sha256", table_name="snapshot_images")
    op.drop_index("ix_snapshot_images_src_hash", table_name="snapshot_images")
    op.drop_table("snapshot_images")
    op.drop_table("images")
