"""One schema, declared once: a database migrated to head has exactly the declared tables,
the archiver's models and (on PostgreSQL) the search backend's tables, on both databases."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from archiver.models import Base
from archiver.schema import head_revision, migrate
from index.postgres import SEARCH_METADATA, search_tables_ddl

MIGRATION_0002 = Path(__file__).parents[2] / "archiver/migrations/versions/0002_search_documents.py"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    if request.param == "sqlite":
        return sa.create_engine(f"sqlite:///{tmp_path / 'linkvault.db'}")
    return sa.create_engine(request.getfixturevalue("postgres_url"))


def declared(dialect: str) -> sa.MetaData:
    """Every table linkvault declares for ``dialect``: the search tables are PostgreSQL's
    only (on SQLite the Whoosh index searches)."""
    metadata = sa.MetaData()
    sources = [Base.metadata] + ([SEARCH_METADATA] if dialect == "postgresql" else [])
    for source in sources:
        for table in source.tables.values():  # the models' tables first: links is referred to
            if table.name not in metadata.tables:
                table.to_metadata(metadata)
    return metadata


def test_an_empty_database_migrated_to_head_has_the_declared_schema(engine: sa.Engine) -> None:
    assert migrate(engine) == (None, head_revision())
    metadata = declared(engine.dialect.name)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        differences = compare_metadata(context, metadata)
    assert differences == []
    assert set(sa.inspect(engine).get_table_names()) - {"alembic_version"} == set(metadata.tables)


def test_the_search_tables_are_still_what_migration_0002_released() -> None:
    """0002 creates the search tables from their declaration; a database that ran it before
    the declaration changed never runs it again, so a change needs a new revision, and 0002
    must then keep its released statements (see its docstring)."""
    spec = importlib.util.spec_from_file_location("migration_0002", MIGRATION_0002)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    digest = hashlib.sha256("\n".join(search_tables_ddl()).encode()).hexdigest()
    assert digest == migration.RELEASED_DDL_SHA256, (
        "index/postgres/_tables.py changed the search tables: freeze migration 0002's "
        "statements and write the change as a new migration"
    )
