"""The PostgreSQL search backend (LINKVAULT_SEARCH_BACKEND=postgres): full-text search in
linkvault's own PostgreSQL database, with the same query language, limits and results as the
Whoosh index. See index/README.md."""

from index.postgres._backend import PostgresSearch
from index.postgres._tables import metadata as SEARCH_METADATA
from index.postgres._tables import search_tables, search_tables_ddl
from index.postgres._writer import PostgresWriter

__all__ = [
    "SEARCH_METADATA",
    "PostgresSearch",
    "PostgresWriter",
    "search_tables",
    "search_tables_ddl",
]
