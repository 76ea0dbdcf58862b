"""The Whoosh search backend (LINKVAULT_SEARCH_BACKEND=whoosh, the default): an index in a
folder of its own, beside the database. See index/README.md.

Besides the backend (SearchIndex) and its writer, what only a Whoosh index has: the folder's
write lock and who holds it (Store, LockOwner), `linkvault check`'s look at the folder
(inspect_index, repair_index_files, IndexHealth) and the searcher pool (SearcherPool).
"""

from index.whoosh._backend import SearchIndex, default_max_searchers
from index.whoosh._check import IndexHealth, inspect_index, repair_index_files
from index.whoosh._readers import SearcherPool
from index.whoosh._store import LockOwner, Store
from index.whoosh._writer import IndexWriter

__all__ = [
    "IndexHealth",
    "IndexWriter",
    "LockOwner",
    "SearchIndex",
    "SearcherPool",
    "Store",
    "default_max_searchers",
    "inspect_index",
    "repair_index_files",
]
