"""Alembic migrations of the linkvault database (SQLite and PostgreSQL); see archiver/schema.py."""
