"""Full-text index of archived links: Whoosh (the default) or PostgreSQL full-text search
underneath; nothing backend-specific leaks out.

    idx = open_search_backend("whoosh", index_dir=data_dir / "index")  # or SearchIndex(...)
    idx = open_search_backend("postgres", engine=engine)                # PostgresSearch
    with idx.writer() as w:
        w.add(IndexRecord(...))
    page = idx.search(SearchQuery("python internals"))

See index/README.md for the query syntax, limits and design notes.
"""

from index._check import IndexHealth, inspect_index, repair_index_files
from index._store import LockOwner
from index._types import (
    IndexLocked,
    IndexRecord,
    IndexUnavailable,
    QueryError,
    SearchHit,
    SearchPage,
    SearchQuery,
)
from index._writer import IndexWriter
from index.backend import (
    BACKENDS,
    BackendWriter,
    SearchBackend,
    inspect_backend,
    open_search_backend,
    repair_backend_files,
)
from index.searchindex import SearchIndex

__all__ = [
    "BACKENDS",
    "BackendWriter",
    "SearchBackend",
    "inspect_backend",
    "open_search_backend",
    "repair_backend_files",
    "IndexHealth",
    "LockOwner",
    "inspect_index",
    "repair_index_files",
    "IndexLocked",
    "IndexRecord",
    "IndexUnavailable",
    "IndexWriter",
    "QueryError",
    "SearchHit",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
]
