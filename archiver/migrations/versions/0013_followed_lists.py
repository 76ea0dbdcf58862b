"""Followed reading lists (issue 12: `linkvault follow`): the lists, with the validators of
their last read, and which links each lists, kept when a link is dropped from its list.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archiver.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followed_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetch_url", sa.Text(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("section_prefix", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("followed_at", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", archiver.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("fetch_url"),
    )
    op.create_table(
        "list_links",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("first_listed", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_listed", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("still_listed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["link_id"], ["links.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["list_id"], ["followed_lists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("list_id", "link_id"),
    )
    op.create_index("ix_list_links_link", "list_links", ["link_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_list_links_link", table_name="list_links")
    op.drop_table("list_links")
    op.drop_table("followed_lists")
