"""Running one SearchQuery on a searcher: matching, counting, facets, hits and snippets.

Matching and scoring happen in _engine.py (sets of document numbers per segment); the exact
total and the section/domain/tag facets are counted from those sets with per-segment arrays
(_values.py), and only the hits on the requested page are loaded and get snippets.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.util.times import datetime_to_long

from index._request import FACETS, SUGGEST_BELOW, check, empty_page
from index._syntax import tag_key
from index._types import SearchHit, SearchPage, SearchQuery
from index.whoosh._engine import Engine
from index.whoosh._parse import Parsed, clean, highlight_terms, parse, validate
from index.whoosh._schema import TAG_SEPARATOR, from_stored_datetime, to_utc_naive
from index.whoosh._snippets import load_offsets, make_snippet
from index.whoosh._suggest import suggest
from index.whoosh._values import SegmentValues

# The column each facet is counted from, where it is not the field of the same name.
_FACET_COLUMNS = {"tag": "tag_keys"}


@dataclass(slots=True)
class _Matches:
    total: int = 0
    top: list[tuple[float, int]] = field(default_factory=list)  # (score, docnum), best first
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    timed_out: bool = False


def run(searcher: Any, values: SegmentValues, sq: SearchQuery, time_limit: float) -> SearchPage:
    started = time.perf_counter()
    deadline = time.monotonic() + time_limit
    check(sq)
    text = clean(sq.text)
    parsed = parse(text)
    page = empty_page(sq)
    if not parsed.searchable:
        page.elapsed_ms = (time.perf_counter() - started) * 1000
        return page
    reader = searcher.reader()
    values.keep_only([leaf for leaf, _base in reader.leaf_readers()])
    engine = Engine(searcher, values, deadline)
    allow = _allowed(engine, sq)
    validate(parsed.query, reader)
    used = parsed
    found = _match(engine, parsed.query, allow, sq)
    if found.total == 0 and not found.timed_out:
        # Every word is required first; when that finds nothing, any word will do.
        any_word = parse(text, any_word=True)
        if any_word.searchable and any_word.query != parsed.query:
            validate(any_word.query, reader)
            alt = _match(engine, any_word.query, allow, sq)
            if alt.total or alt.timed_out:
                found, used, page.fallback_or = alt, any_word, True
    page.total = found.total
    page.facets = found.facets
    page.timed_out = found.timed_out
    start = (sq.page - 1) * sq.per_page
    page.hits = _hits(searcher, used, found.top[start : start + sq.per_page], sq)
    if found.total < SUGGEST_BELOW and time.monotonic() < deadline:
        page.suggestion = suggest(
            searcher,
            used.query,
            text,
            lambda q: _count(engine, q, allow),
            found.total,
        )
    page.elapsed_ms = (time.perf_counter() - started) * 1000
    return page


def _allowed(engine: Engine, sq: SearchQuery) -> list[set[int]] | None:
    """Per segment, the documents passing the section/domain/tag/date filters (None: no
    filter)."""
    parts: list[Any] = []
    if sq.section:
        parts.append(wq.Term("section", sq.section))
    if sq.domain:
        parts.append(wq.Term("domain", sq.domain.strip().lower()))
    if sq.tag:
        # A tag of nothing but spaces matches no page (no document has an empty key).
        parts.append(wq.Term("tag", tag_key(sq.tag)) if tag_key(sq.tag) else wq.NullQuery)
    allowed: list[set[int]] | None = None
    if parts:
        allowed = engine.docs(parts[0] if len(parts) == 1 else wq.And(parts))
    if sq.date_from or sq.date_to:
        # From the per-segment date arrays: Whoosh's range query walks a matcher per document.
        start, end = to_utc_naive(sq.date_from), to_utc_naive(sq.date_to)
        low = datetime_to_long(start) if start else 1  # 0 is "no date"
        high = datetime_to_long(end) if end else None
        in_range = []
        for sub, _offset in engine.leaves:
            dates = engine.values.numbers(sub.reader(), sq.date_field)
            in_range.append(
                {d for d, v in enumerate(dates) if v >= low and (high is None or v <= high)}
            )
        allowed = (
            in_range if allowed is None else [a & b for a, b in zip(allowed, in_range, strict=True)]
        )
    return allowed


def _docsets(engine: Engine, q: Any, allow: list[set[int]] | None) -> list[set[int]]:
    docsets = engine.docs(q)
    if allow is not None:
        docsets = [docs & allowed for docs, allowed in zip(docsets, allow, strict=True)]
    return docsets


def _count(engine: Engine, q: Any, allow: list[set[int]] | None) -> int:
    return sum(len(docs) for docs in _docsets(engine, q, allow))


def _match(engine: Engine, q: Any, allow: list[set[int]] | None, sq: SearchQuery) -> _Matches:
    docsets = _docsets(engine, q, allow)
    found = _Matches(total=sum(len(docs) for docs in docsets))
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    newest: list[tuple[int, int]] = []
    window = sq.page * sq.per_page
    for (sub, offset), docs in zip(engine.leaves, docsets, strict=True):
        if not docs:
            continue
        leaf = sub.reader()
        for name in FACETS:
            codes, labels = engine.values.labels(leaf, _FACET_COLUMNS.get(name, name))
            for code, n in Counter(map(codes.__getitem__, docs)).items():
                if not code:  # code 0: no section / no domain / no tags
                    continue
                if name == "tag":
                    # A label is one document's tags joined: each of them counts.
                    for key in labels[code].split(TAG_SEPARATOR):
                        counts[name][key] += n
                else:
                    counts[name][labels[code]] += n
        if sq.sort == "date":
            dates = engine.values.numbers(leaf, sq.date_field)
            newest = heapq.nlargest(
                window,
                itertools.chain(newest, ((dates[d], -(d + offset)) for d in docs)),
            )
    found.facets = {
        name: dict(sorted(bucket.items(), key=lambda kv: (-kv[1], kv[0])))
        for name, bucket in counts.items()
    }
    if sq.sort == "date":
        found.top = [(0.0, -neg) for _date, neg in newest]
    else:
        found.top = engine.top(q, docsets, window)
    found.timed_out = engine.timed_out
    return found


def _hits(
    searcher: Any, parsed: Parsed, top: list[tuple[float, int]], sq: SearchQuery
) -> list[SearchHit]:
    if not top:
        return []
    docnums = [docnum for _score, docnum in top]
    terms = highlight_terms(parsed.query, searcher.reader(), "text")
    offsets = load_offsets(searcher, "text", terms, docnums) if sq.snippet_fragments else {}
    hits = []
    for score, docnum in top:
        doc = searcher.stored_fields(docnum)
        text = doc.get("text") or ""
        hits.append(
            SearchHit(
                id=int(doc["id"]),
                url=doc.get("url") or "",
                title=doc.get("title") or "",
                snippet=make_snippet(
                    text, offsets.get(docnum, []), sq.snippet_fragments, sq.snippet_chars
                ),
                section=doc.get("section") or None,
                domain=doc.get("domain") or "",
                status=doc.get("status") or "",
                score=float(score or 0.0),
                archived_at=from_stored_datetime(doc.get("archived_at")),
                published=from_stored_datetime(doc.get("published")),
                tags=list(doc.get("tags") or []),
                note=doc.get("note") or None,
            )
        )
    return hits
