"""When to merge segments.

Whoosh rewrites every posting of a merged segment in Python, about as slowly as indexing the
documents again (~15 ms per 8 KB article), and its default MERGE_SMALL policy lets ~15 small
segments pile up and then merges them all in one commit: a 70-second commit in our archive
test. This tiered policy merges only groups of segments of similar size, at most FANOUT at a
time, and never makes a segment larger than LARGE_SEGMENT documents, so one commit's merge
work stays bounded (at worst ~LARGE_SEGMENT documents, about a minute) and each document is
rewritten at most twice. Searches pay a little per segment: a 100,000-document index ends up
with about 20 large segments plus at most ~2 * FANOUT small ones.
"""

from __future__ import annotations

import math
from typing import Any

from whoosh.reading import SegmentReader

FANOUT = 10
SMALL_SEGMENT = 100
LARGE_SEGMENT = 5_000


def _tier(docs: int) -> int:
    return 0 if docs < SMALL_SEGMENT else 1 + int(math.log10(docs / SMALL_SEGMENT))


def tiered_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """A Whoosh ``mergetype``: merge one tier that has FANOUT segments; keep the rest."""
    live = [s for s in segments if s.doc_count() > 0]  # fully deleted segments just go
    tiers: dict[int, list[Any]] = {}
    for seg in live:
        if seg.doc_count() < LARGE_SEGMENT:
            tiers.setdefault(_tier(seg.doc_count()), []).append(seg)
    for tier in sorted(tiers):
        group = sorted(tiers[tier], key=lambda s: s.doc_count())
        if len(group) < FANOUT:
            continue
        chosen: list[Any] = []
        total = 0
        for seg in group[:FANOUT]:
            if chosen and total + seg.doc_count() > LARGE_SEGMENT:
                break
            chosen.append(seg)
            total += seg.doc_count()
        if len(chosen) < 2:
            continue
        for seg in chosen:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        chosen_ids = {seg.segment_id() for seg in chosen}
        return [s for s in live if s.segment_id() not in chosen_ids]
    return live
