"""Copies of databases made once per test process: migrating an empty database runs every
Alembic revision (a fraction of a second on SQLite, more on PostgreSQL), a copy takes
milliseconds. SQLite files are copied; PostgreSQL databases with ``CREATE DATABASE ...
TEMPLATE``, on the same throwaway server.

migrated(url)                      # an empty database now holds the current schema
template = new_database_beside(url) ... copy_database(template, url)
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import make_url

from archiver import Store, make_engine

# (dialect, server) -> a database migrated to head, never handed to a test
_MIGRATED: dict[tuple[str, str | None], str] = {}


def _server(database_url: str) -> str | None:
    url = make_url(database_url)
    return None if url.get_backend_name() == "sqlite" else f"{url.host}:{url.port}"


def _admin(database_url: str) -> psycopg.Connection[Any]:
    """An autocommit connection to the ``postgres`` database of the URL's server."""
    url = make_url(database_url)
    return psycopg.connect(
        host=url.host, port=url.port, user=url.username, dbname="postgres", autocommit=True
    )


def new_database_beside(database_url: str) -> str:
    """A new empty database on the same PostgreSQL server, or a new SQLite file in a
    folder of its own; returns its URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="linkvault-template-"))
        return f"sqlite:///{folder / 'template.db'}"
    name = f"lv_template_{uuid.uuid4().hex[:12]}"
    with _admin(database_url) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    return url.set(database=name).render_as_string(hide_password=False)


def copy_database(template_url: str, database_url: str) -> None:
    """Makes the (empty, unused) database ``database_url`` a copy of ``template_url``, whose
    connections must all be closed."""
    template, target = make_url(template_url), make_url(database_url)
    if target.get_backend_name() == "sqlite":
        assert template.database and target.database
        shutil.copyfile(template.database, target.database)
        return
    with _admin(database_url) as conn:
        conn.execute(f'DROP DATABASE "{target.database}"')
        conn.execute(f'CREATE DATABASE "{target.database}" TEMPLATE "{template.database}"')


def migrated(database_url: str) -> None:
    """Gives the empty database ``database_url`` linkvault's current schema: a copy of one
    migrated once per process and server."""
    kind = (make_url(database_url).get_backend_name(), _server(database_url))
    template = _MIGRATED.get(kind)
    if template is None:
        template = new_database_beside(database_url)
        store = Store(make_engine(template))
        store.create_schema()
        store.engine.dispose()
        _MIGRATED[kind] = template
    copy_database(template, database_url)
