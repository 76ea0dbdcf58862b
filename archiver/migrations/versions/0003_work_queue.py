"""The shared work queue: links carry their host, what a worker should do with them and the
lease of the worker doing it (archiver/queue.py). Existing links get their host here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

import archiver.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _host(url: str) -> str:
    # As archiver.models.host_of was when this revision was written.
    try:
        return (urlsplit(url).hostname or "")[:255]
    except ValueError:
        return ""


def upgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("queued", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column("queued_at", archiver.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("lease_until", archiver.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_links_queue", ["queued_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_links_lease_until"), ["lease_until"], unique=False)

    links = sa.table("links", sa.column("id", sa.Integer), sa.column("url", sa.Text))
    host = sa.table("links", sa.column("id", sa.Integer), sa.column("host", sa.String))
    bind = op.get_bind()
    last_id = 0
    while True:  # in chunks, so a big archive is not held in memory at once
        rows = bind.execute(
            sa.select(links.c.id, links.c.url)
            .where(links.c.id > last_id)
            .order_by(links.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        bind.execute(
            sa.update(host).where(host.c.id == sa.bindparam("id_")).values(host=sa.bindparam("h")),
            [{"id_": row.id, "h": _host(row.url)} for row in rows],
        )
        last_id = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_links_lease_until"))
        batch_op.drop_index("ix_links_queue")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("queued_at")
        batch_op.drop_column("queued")
        batch_op.drop_column("host")
