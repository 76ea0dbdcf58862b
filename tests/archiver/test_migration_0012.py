"""Migration 0012 (snapshots say whether they were imported) on an archive made before it:
every snapshot it had was fetched, and reads so; downgrading drops the column again."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command

from archiver import make_engine
from archiver.schema import _config, current_revision, head_revision, migrate

_LINK = sa.text(
    "INSERT INTO links (id, url, normalized_url, status, created_at, needs_index, position,"
    " failure_count, tags, queue_attempts) VALUES (1, 'https://example.com/a',"
    " 'https://example.com/a', 'ok', '2024-01-01 00:00:00', 0, 1, 0, '[]', 0)"
)
_SNAPSHOT = sa.text(
    "INSERT INTO snapshots (id, link_id, fetched_at, final_url, content_hash, size, kind, text,"
    " raw, headers) VALUES (1, 1, '2024-01-01 00:00:00', 'https://example.com/a', 'ab', 1,"
    " 'html', 'fetched text', x'', '{}')"
)


def test_snapshots_from_before_0012_read_as_fetched(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'linkvault.db'}")
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0011")
            conn.execute(_LINK)
            conn.execute(_SNAPSHOT)
        assert migrate(engine) == ("0011", head_revision())
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, imported_from, text FROM snapshots")).all()
        assert [tuple(row) for row in rows] == [(1, None, "fetched text")]

        with engine.begin() as conn:
            command.downgrade(_config(conn), "0011")
        assert current_revision(engine) == "0011"
        columns = {column["name"] for column in sa.inspect(engine).get_columns("snapshots")}
        assert "imported_from" not in columns and "text" in columns
    finally:
        engine.dispose()
