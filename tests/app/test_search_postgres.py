"""linkvault with LINKVAULT_SEARCH_BACKEND=postgres, from the command line: archive, search,
check and repair, reindex; and a clear refusal when the database is not PostgreSQL. (The API
and web tests run against both backends through the fixtures in conftest.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from app.settings import Settings
from tests.support import pages
from tests.support.site import LocalSite

TOPICS = ("garbage collection", "bytecode", "the eval loop", "reference counting")


def linkvault(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=os.environ | {"COLUMNS": "200"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_archive_search_check_and_reindex_on_postgres(
    local_site: LocalSite, postgres_url: str, tmp_path: Path
) -> None:
    lines = ["# Internals"]
    for topic in TOPICS:
        path = "/" + topic.replace(" ", "-")
        local_site.route(path, pages.article(topic.title(), pages.filler(topic)).encode())
        lines.append(f"* [{topic.title()}]({local_site.url(path)})")
    listing = tmp_path / "list.md"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        "LINKVAULT_DATA_DIR": str(tmp_path / "data"),
        "LINKVAULT_DATABASE_URL": postgres_url,
        "LINKVAULT_SEARCH_BACKEND": "postgres",
        "LINKVAULT_ALLOW_PRIVATE": "true",
        "LINKVAULT_EXTRACT_WORKERS": "1",
    }

    archived = linkvault(env, "archive", str(listing))
    assert archived.returncode == 0, archived.stderr
    found = json.loads(linkvault(env, "search", '"garbage collection"', "--json").stdout)
    assert found["total"] == 1
    assert "<mark>garbage</mark> <mark>collection</mark>" in found["results"][0]["snippet"]
    assert not (tmp_path / "data" / "index").exists()  # no Whoosh folder

    engine = sa.create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM links ORDER BY id"))]
            conn.execute(sa.text("DELETE FROM search_documents WHERE link_id = :i"), {"i": ids[0]})
            conn.execute(
                sa.text("UPDATE search_documents SET version = 'old' WHERE link_id = :i"),
                {"i": ids[1]},
            )
    finally:
        engine.dispose()
    checked = linkvault(env, "check", "--json")
    assert checked.returncode == 1, checked.stderr
    report = json.loads(checked.stdout)
    assert (report["missing"], report["stale"], report["leftovers"]) == ([ids[0]], [ids[1]], [])

    repaired = linkvault(env, "check", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "re-indexed 2 link(s)" in repaired.stderr

    reindexed = linkvault(env, "reindex")
    assert reindexed.returncode == 0, reindexed.stderr
    assert f"Indexed {len(TOPICS)} documents" in reindexed.stderr
    status = json.loads(linkvault(env, "status", "--json").stdout)
    assert status["documents_indexed"] == len(TOPICS)


def test_the_postgres_backend_needs_a_postgresql_database(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LINKVAULT_DATABASE_URL to be a PostgreSQL"):
        Settings(data_dir=tmp_path, search_backend="postgres")
    with pytest.raises(ValidationError, match="LINKVAULT_DATABASE_URL to be a PostgreSQL"):
        Settings(
            data_dir=tmp_path,
            database_url=f"sqlite:///{tmp_path / 'x.db'}",
            search_backend="postgres",
        )
    ok = Settings(database_url="postgresql+psycopg://u@h/db", search_backend="postgres")
    assert ok.search_backend == "postgres"
    refused = linkvault(
        {"LINKVAULT_DATA_DIR": str(tmp_path), "LINKVAULT_SEARCH_BACKEND": "postgres"}, "status"
    )
    assert refused.returncode == 2
    assert "LINKVAULT_DATABASE_URL to be a PostgreSQL" in refused.stderr
    assert "Traceback" not in refused.stderr
