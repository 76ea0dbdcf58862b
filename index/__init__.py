"""Full-text index of archived links: Whoosh (index/whoosh/, the default) or PostgreSQL
full-text search (index/postgres/) underneath; nothing backend-specific leaks out.

    idx = open_search_backend("whoosh", index_dir=data_dir / "index")  # or SearchIndex(...)
    idx = open_search_backend("postgres", engine=engine)                # PostgresSearch
    with idx.writer() as w:
        w.add(IndexRecord(...))
    page = idx.search(SearchQuery("python internals"))

At this level live what both backends share: the records and results (_types.py), the errors
(_errors.py), the one query grammar (_syntax.py; tag_key and tag_query: how a tag is matched
and the query that finds it), the parameter limits (_request.py), snippet
text (_text.py) and the backend protocol (backend.py). The query language is documented in
docs/user-guide.md; limits and design notes in index/README.md.
"""

from index._errors import (
    IndexLocked,
    IndexNeedsRebuild,
    IndexUnavailable,
    QueryError,
    SearchBusy,
)
from index._syntax import tag_key, tag_query
from index._types import IndexRecord, SearchHit, SearchPage, SearchQuery
from index.backend import (
    BACKENDS,
    BackendWriter,
    SearchBackend,
    inspect_backend,
    open_search_backend,
    repair_backend_files,
)
from index.whoosh import IndexHealth, IndexWriter, LockOwner, SearchIndex

__all__ = [
    "BACKENDS",
    "BackendWriter",
    "SearchBackend",
    "inspect_backend",
    "open_search_backend",
    "repair_backend_files",
    "IndexHealth",
    "LockOwner",
    "IndexLocked",
    "IndexRecord",
    "IndexNeedsRebuild",
    "IndexUnavailable",
    "IndexWriter",
    "QueryError",
    "SearchBusy",
    "SearchHit",
    "SearchIndex",
    "SearchPage",
    "SearchQuery",
    "tag_key",
    "tag_query",
]
