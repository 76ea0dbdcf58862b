"""Sign-in (issue 11): the owner's password hash, API tokens (their SHA-256 only), sign-in
failures per client for the rate limit, and secrets linkvault makes for itself.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import archiver.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner_password",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("session_stamp", sa.String(length=64), nullable=False),
        sa.Column("changed_at", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", archiver.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_signin_failures_client_at", "signin_failures", ["client", "failed_at"], unique=False
    )
    op.create_index(
        op.f("ix_signin_failures_failed_at"), "signin_failures", ["failed_at"], unique=False
    )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", archiver.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("app_secrets")
    op.drop_index(op.f("ix_signin_failures_failed_at"), table_name="signin_failures")
    op.drop_index("ix_signin_failures_client_at", table_name="signin_failures")
    op.drop_table("signin_failures")
    op.drop_table("api_tokens")
    op.drop_table("owner_password")
