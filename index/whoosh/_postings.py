"""Reading one term's posting list in one segment, a block at a time."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound

from index.whoosh._codec import LeafMatcher


@dataclass(slots=True)
class Postings:
    ids: list[int]
    weights: list[float]
    values: list[bytes] | None


def read_postings(
    leaf: Any, fieldname: str, btext: bytes, values: bool, within: list[int] | None = None
) -> Postings:
    """A term's postings in one segment. With ``within`` (sorted document numbers), only the
    blocks whose document range can hold one of them are decoded, and only those documents are
    kept: block headers are small, the block data is what costs."""
    try:
        matcher = leaf.postings(fieldname, btext)
    except TermNotFound:
        return Postings([], [], [] if values else None)
    deleted: frozenset[int] | set[int] = frozenset()
    if isinstance(matcher, FilterMatcher):
        deleted = leaf.deleted_docs_set
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    vals: list[bytes] | None = [] if values else None
    if type(matcher) is LeafMatcher:
        # A block at a time, from the machine arrays our codec writes (see _codec.py).
        low = 0  # smallest document number the current block can hold
        while matcher.is_active():
            high = matcher._maxid
            if within is not None and not _any_between(within, low, high):
                low = high + 1
                matcher._next_block()
                continue
            matcher._read_ids()
            ids.extend(matcher._ids)
            matcher._read_weights()
            weights.extend(matcher._weights)
            if vals is not None:
                matcher._read_values()
                vals.extend(matcher._values)
            low = high + 1
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if vals is not None:
                vals.append(matcher.value())
            matcher.next()
    if within is not None and vals is None:
        wanted = set(within).difference(deleted)
        pairs = [(d, w) for d, w in zip(ids, weights, strict=True) if d in wanted]
        return Postings([d for d, _w in pairs], [w for _d, w in pairs], None)
    if deleted or within is not None:
        keep_set = set(within) if within is not None else None
        keep = [
            n for n, d in enumerate(ids) if d not in deleted and (keep_set is None or d in keep_set)
        ]
        ids = [ids[n] for n in keep]
        weights = [weights[n] for n in keep]
        if vals is not None:
            vals = [vals[n] for n in keep]
    return Postings(ids, weights, vals)


def _any_between(sorted_docs: list[int], low: int, high: int) -> bool:
    n = bisect.bisect_left(sorted_docs, low)
    return n < len(sorted_docs) and sorted_docs[n] <= high
