"""Per-segment arrays of column values (section, domain, dates, field lengths), cached by
segment id.

Facet counts and date sorting visit every matching document; reading a Whoosh column costs
a few microseconds per document, a list index a few dozen nanoseconds. Segment contents never
change (deletions only hide documents, which the matchers already skip), so each segment's
arrays are built once and dropped when the segment is merged away.
"""

from __future__ import annotations

import threading
from typing import Any


class SegmentValues:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], Any] = {}

    def labels(self, leaf: Any, fieldname: str) -> tuple[list[int], list[str]]:
        """(code per docnum, label per code) for a string column; code 0 is "no value"."""
        key = (_segment_id(leaf), fieldname)
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        names: list[str] = [""]
        index: dict[bytes, int] = {b"": 0}
        codes: list[int] = []
        for value in leaf.column_reader(fieldname, translate=False):
            code = index.get(value)
            if code is None:
                code = index[value] = len(names)
                names.append(value.decode("utf-8", "replace"))
            codes.append(code)
        result = (codes, names)
        with self._lock:
            self._cache[key] = result
        return result

    def numbers(self, leaf: Any, fieldname: str) -> list[int]:
        """Raw sortable integers of a numeric column, 0 where a document has no value."""
        key = (_segment_id(leaf), fieldname)
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        # Documents without a value hold the column's default (the largest integer for dates),
        # which would sort them as the newest.
        missing = leaf.schema[fieldname].column_type.default_value()
        values = [
            0 if v is None or v == missing else int(v)
            for v in leaf.column_reader(fieldname, translate=False)
        ]
        with self._lock:
            self._cache[key] = values
        return values

    def lengths(self, leaf: Any, fieldname: str) -> list[int]:
        """Each document's length of ``fieldname`` in terms, as BM25 sees it (default 1)."""
        key = (_segment_id(leaf), f"{fieldname}:length")
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        values = [leaf.doc_field_length(d, fieldname, 1) for d in range(leaf.doc_count_all())]
        with self._lock:
            self._cache[key] = values
        return values

    def keep_only(self, leaves: list[Any]) -> None:
        """Forget segments that are no longer part of the index."""
        live = {_segment_id(leaf) for leaf in leaves}
        with self._lock:
            for key in [k for k in self._cache if k[0] not in live]:
                del self._cache[key]


def _segment_id(leaf: Any) -> str:
    segment = leaf.segment() if hasattr(leaf, "segment") else None
    return segment.segment_id() if segment is not None else f"reader-{id(leaf)}"
