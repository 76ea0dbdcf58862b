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
from bench.postgres import PostgresServer
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


def test_migration_0002_still_creates_what_it_released() -> None:
    """A database that ran 0002 never runs it again, so 0002 must go on creating exactly the
    search tables it released: its statements are frozen (see its docstring), and pinned.
    Later shapes are written as new revisions (0009), which the test above checks reach
    the declaration in index/postgres/_tables.py."""
    spec = importlib.util.spec_from_file_location("migration_0002", MIGRATION_0002)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    digest = hashlib.sha256("\n".join(migration.RELEASED_STATEMENTS).encode()).hexdigest()
    assert digest == migration.RELEASED_DDL_SHA256, "migration 0002's released statements changed"


def _search_table_shape(engine: sa.Engine) -> dict[str, object]:
    """What Alembic's comparison does not look at: the generated tsvectors' expressions and
    storage, every index's definition, and the text search configuration's mappings, as
    PostgreSQL reports them."""
    with engine.connect() as conn:
        columns = conn.execute(
            sa.text(
                "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid), a.attstorage "
                "FROM pg_attrdef AS d "
                "JOIN pg_attribute AS a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                "WHERE d.adrelid = 'search_documents'::regclass ORDER BY a.attname"
            )
        ).all()
        indexes = dict(
            conn.execute(
                sa.text(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE tablename IN ('search_documents', 'search_lexemes')"
                )
            ).all()
        )
        mappings = conn.execute(
            sa.text(
                "SELECT alias, dictionaries::text FROM ts_debug('linkvault_english', "
                "'Words, words-with-hyphens 2-x 3.5 x@example.org https://a.b/c') ORDER BY 1, 2"
            )
        ).all()
    return {"columns": columns, "indexes": indexes, "mappings": mappings}


def test_a_migrated_database_has_the_search_tables_the_declaration_creates(
    postgres_server: PostgresServer,
) -> None:
    migrated = sa.create_engine(postgres_server.database())
    declared = sa.create_engine(postgres_server.database())
    try:
        migrate(migrated)
        with declared.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE links (id INTEGER PRIMARY KEY)")
            for statement in search_tables_ddl():
                conn.exec_driver_sql(statement)
        assert _search_table_shape(migrated) == _search_table_shape(declared)
    finally:
        migrated.dispose()
        declared.dispose()
