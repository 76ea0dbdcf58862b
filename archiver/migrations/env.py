"""Alembic environment: linkvault passes its own connection (archiver/schema.py), so there is
no alembic.ini and no URL here. For a new revision during development:

    .venv/bin/alembic -c archiver/migrations/alembic.ini revision -m "what changes"
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from archiver.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # the alembic command line, during development
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///dev.db")
    connection = engine.connect()

# render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds the table instead.
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
