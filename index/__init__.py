"""Full-text index of archived links (Whoosh underneath; nothing Whoosh leaks out).

    idx = SearchIndex(data_dir / "index")
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
from index.searchindex import SearchIndex

__all__ = [
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
