"""Inspecting and repairing the index folder itself: what `linkvault check` looks at.

Comparing documents with the database is the caller's part (it knows what should be
indexed); this module reports what the index holds (ids and their versions) and what a killed
writer can leave behind: a stale lock owner record, segment files no table of contents lists,
and unfinished rebuilds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, clean_files

from index._errors import IndexUnavailable
from index.whoosh._store import BUILD_PREFIX, LockOwner, Store

_INDEX_NAME = "MAIN"  # Whoosh's default index name, which every generation uses


@dataclass(slots=True)
class IndexHealth:
    """What `linkvault check` reports about the index folder."""

    problem: str | None = None  # the index cannot be read: only a rebuild helps
    locked_by: LockOwner | None = None  # a live writer holds the lock now
    stale_lock: LockOwner | None = None  # a writer died holding it (the lock itself is free)
    leftovers: list[str] = field(default_factory=list)  # files and folders nothing uses
    versions: dict[int, str] = field(default_factory=dict)  # id -> version, if readable

    @property
    def readable(self) -> bool:
        return self.problem is None


def inspect_index(path: Path) -> IndexHealth:
    """Reads the index folder without changing it."""
    store = Store(path)
    health = IndexHealth()
    if path.exists():
        held, owner = store.probe_lock()
        if held:
            health.locked_by = owner
        elif owner is not None:
            health.stale_lock = owner
    try:
        ix = store.open()
        health.versions = index_versions(ix)
    except IndexUnavailable as exc:
        health.problem = str(exc)
        return health
    except Exception as exc:  # noqa: BLE001 - Whoosh raises many types for damaged files
        health.problem = f"The search index in {path} cannot be read ({type(exc).__name__})."
        return health
    if health.locked_by is None:
        # While a writer commits, its new segment files are not listed yet: not leftovers.
        health.leftovers = _leftovers(store, ix)
    return health


def repair_index_files(path: Path, lock_timeout: float) -> list[str]:
    """Under the write lock (which replaces a stale owner record): deletes segment files no
    table of contents lists and unfinished rebuilds. Returns what it removed."""
    store = Store(path)
    with store.lock(lock_timeout):
        ix = store.open()
        removed = _leftovers(store, ix)
        gen = store.current()
        clean_files(FileStorage(str(gen.path)), _INDEX_NAME, ix.latest_generation(), _segments(ix))
        store.cleanup(holding_lock=True)  # removes unfinished rebuilds
    return removed


def index_versions(ix: object) -> dict[int, str]:
    """Document id -> the version its record carried, for every document of ``ix``."""
    versions: dict[int, str] = {}
    with ix.reader() as reader:  # type: ignore[attr-defined]
        for leaf, _base in reader.leaf_readers():
            ids = leaf.column_reader("id", translate=False)
            if leaf.has_column("version"):
                column = leaf.column_reader("version", translate=False)
                for docnum in leaf.all_doc_ids():
                    versions[int(ids[docnum])] = _text(column[docnum])
            else:
                for docnum in leaf.all_doc_ids():
                    versions[int(ids[docnum])] = ""
    return versions


def _text(value: object) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value or "")


def _segments(ix: object) -> list[object]:
    return list(ix._segments())  # type: ignore[attr-defined]


def _leftovers(store: Store, ix: object) -> list[str]:
    """Segment files of the live generation that its table of contents does not list (a
    writer killed mid-commit), older tables of contents, and rebuild folders."""
    gen = store.current()
    live = {s.segment_id() for s in _segments(ix)}  # type: ignore[attr-defined]
    generation = ix.latest_generation()  # type: ignore[attr-defined]
    toc = TOC._pattern(_INDEX_NAME)
    segment = re.compile(rf"({_INDEX_NAME}_[0-9a-z]+)[.][A-Za-z0-9_.]+")
    found: list[str] = []
    for child in sorted(gen.path.iterdir()):
        name = child.name
        toc_match = toc.match(name)
        seg_match = segment.match(name)
        if (toc_match and int(toc_match.group(1)) != generation) or (
            seg_match and seg_match.group(1) not in live
        ):
            found.append(f"{gen.name}/{name}")
    found.extend(
        child.name for child in sorted(store.path.iterdir()) if child.name.startswith(BUILD_PREFIX)
    )
    return found
