"""Query evaluation on Whoosh's postings with Python sets, and BM25F scoring.

Whoosh's matchers intersect and unite posting lists one document at a time through several
Python method calls per step; at 100,000 articles a two-word query spent ~150 ms there. Here
each term's posting list is read a block at a time (zlib + pickle, in C) into a list of
document numbers, and AND / OR / NOT become set operations, which also gives the exact total
and the facets for free. Scores are Whoosh's BM25F, summed over the matching terms and fields
exactly as Whoosh's And/Or matchers sum them; tests/index/test_engine.py compares both the
matching documents and the scores with Whoosh's own search.

This reads W3 codec internals (block ids/weights/values) of the pinned whoosh-reloaded 2.7.5;
any other matcher type goes through the public matcher API instead.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.scoring import bm25

from index._parse import MAX_PREFIX_EXPANSIONS
from index._values import SegmentValues

_B, _K1 = 0.75, 1.2  # Whoosh's BM25F defaults


@dataclass(slots=True)
class Postings:
    ids: list[int]
    weights: list[float]
    values: list[bytes] | None


class Engine:
    """Evaluates queries on one searcher; caches posting lists for the length of one search."""

    def __init__(self, searcher: Any, values: SegmentValues, deadline: float) -> None:
        self.searcher = searcher
        self.values = values
        self.deadline = deadline
        self.leaves: list[tuple[Any, int]] = [
            (sub, offset) for sub, offset in searcher.leaf_searchers() if sub.doc_count_all()
        ]
        self._postings: dict[tuple[int, str, bytes, bool], Postings] = {}
        self.timed_out = False

    # -- matching -------------------------------------------------------------------------

    def docs(self, q: Any) -> list[set[int]]:
        """Per leaf (same order as self.leaves): the segment's matching document numbers."""
        return [self._docs(q, i) for i in range(len(self.leaves))]

    def _docs(self, q: Any, i: int) -> set[int]:
        if isinstance(q, wq.Term):
            return set(self._term(i, q.fieldname, q.text).ids)
        if isinstance(q, wq.And):
            return self._and(q.subqueries, i)
        if isinstance(q, wq.Or):
            found: set[int] = set()
            for sub in q.subqueries:
                found |= self._docs(sub, i)
            return found
        if isinstance(q, wq.AndNot):
            return self._docs(q.a, i) - self._docs(q.b, i) if q.a is not wq.NullQuery else set()
        if isinstance(q, wq.AndMaybe):
            return self._docs(q.a, i)
        if isinstance(q, wq.Prefix):
            found = set()
            for btext in self._expand(i, q):
                found.update(self._term(i, q.fieldname, btext).ids)
            return found
        if isinstance(q, wq.Phrase):
            return self._phrase(q, i)
        if q is wq.NullQuery or isinstance(q, wq.Not):
            return set()  # a lone NOT matches nothing here (the parser refuses it anyway)
        return self._fallback(q, i)

    def _and(self, subqueries: list[Any], i: int) -> set[int]:
        positive = [s for s in subqueries if not isinstance(s, wq.Not)]
        negative = [s.query for s in subqueries if isinstance(s, wq.Not)]
        if not positive:
            return set()
        sets = sorted((self._docs(s, i) for s in positive), key=len)
        found = sets[0].intersection(*sets[1:])
        for s in negative:
            if not found:
                break
            found -= self._docs(s, i)
        return found

    def _phrase(self, q: Any, i: int) -> set[int]:
        field = self.searcher.schema[q.fieldname]
        words = [field.to_bytes(w) for w in q.words]
        if not words:
            return set()
        lists = [self._term(i, q.fieldname, w, values=True) for w in words]
        if len(lists) == 1:
            return set(lists[0].ids)
        candidates = set(lists[0].ids).intersection(*(p.ids for p in lists[1:]))
        if not candidates:
            return set()
        fmt = field.format
        where = [
            {d: v for d, v in zip(p.ids, p.values or (), strict=False) if d in candidates}
            for p in lists
        ]
        slop = max(1, q.slop)
        found = set()
        for n, d in enumerate(candidates):
            if n % 1024 == 1023 and time.monotonic() > self.deadline:
                self.timed_out = True
                break
            positions = [set(fmt.decode_positions(w[d])) for w in where]
            if _in_order(positions, slop):
                found.add(d)
        return found

    def _fallback(self, q: Any, i: int) -> set[int]:
        sub, _offset = self.leaves[i]
        try:
            return set(q.matcher(sub, sub.boolean_context()).all_ids())
        except TermNotFound:
            return set()

    def _expand(self, i: int, q: Any) -> list[bytes]:
        sub, _offset = self.leaves[i]
        return list(
            itertools.islice(sub.reader().expand_prefix(q.fieldname, q.text), MAX_PREFIX_EXPANSIONS)
        )

    def _term(self, i: int, fieldname: str, text: Any, values: bool = False) -> Postings:
        sub, _offset = self.leaves[i]
        if fieldname not in self.searcher.schema:
            return Postings([], [], [] if values else None)
        field = self.searcher.schema[fieldname]
        btext = text if isinstance(text, bytes) else field.to_bytes(text)
        key = (i, fieldname, btext, values)
        found = self._postings.get(key) or self._postings.get((i, fieldname, btext, True))
        if found is None:
            found = self._postings[key] = _read_postings(sub.reader(), fieldname, btext, values)
        return found

    # -- scoring --------------------------------------------------------------------------

    def top(self, q: Any, docsets: list[set[int]], limit: int) -> list[tuple[float, int]]:
        """The best ``limit`` (score, global docnum) pairs among ``docsets``, best first."""
        scores: dict[int, float] = {}
        for i, docs in enumerate(docsets):
            if not docs:
                continue
            _sub, offset = self.leaves[i]
            local = self._scores(q, i, docs)
            for d in docs:
                scores[d + offset] = local.get(d, 0.0)
        best = heapq.nsmallest(limit, scores.items(), key=lambda kv: (-kv[1], kv[0]))
        return [(score, docnum) for docnum, score in best]

    def _scores(self, q: Any, i: int, docs: set[int]) -> dict[int, float]:
        sub, _offset = self.leaves[i]
        leaf = sub.reader()
        acc: dict[int, float] = dict.fromkeys(docs, 0.0)
        for fieldname, btext in self._scoring_terms(q, i):
            if time.monotonic() > self.deadline:
                self.timed_out = True
                break
            field = self.searcher.schema[fieldname]
            post = self._term(i, fieldname, btext)
            if not post.ids:
                continue
            if not field.scorable:
                # Whoosh scores a match in an unscored field (domain:, an ID) by its weight.
                for d, w in zip(post.ids, post.weights, strict=True):
                    if d in acc:
                        acc[d] += w
                continue
            text = field.from_bytes(btext)
            idf = self.searcher.idf(fieldname, text)
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            lengths = self.values.lengths(leaf, fieldname)
            if len(docs) * 8 < len(post.ids):
                weight_of = dict(zip(post.ids, post.weights, strict=True))
                pairs: Any = ((d, weight_of[d]) for d in docs if d in weight_of)
            else:
                pairs = ((d, w) for d, w in zip(post.ids, post.weights, strict=True) if d in docs)
            for d, w in pairs:
                acc[d] += bm25(idf, w, lengths[d], avgfl, _B, _K1)
        return acc

    def _scoring_terms(self, q: Any, i: int) -> list[tuple[str, bytes]]:
        """(field, term) pairs that add to a matching document's score (not those under NOT),
        each once per occurrence in the query, as Whoosh's matchers would add them."""
        terms: list[tuple[str, bytes]] = []
        schema = self.searcher.schema

        def walk(node: Any) -> None:
            if isinstance(node, wq.Not) or node is wq.NullQuery:
                return
            if isinstance(node, wq.AndNot | wq.AndMaybe):
                walk(node.a)
                if isinstance(node, wq.AndMaybe):
                    walk(node.b)
                return
            if isinstance(node, wq.Term):
                if node.fieldname in schema:
                    terms.append((node.fieldname, schema[node.fieldname].to_bytes(node.text)))
            elif isinstance(node, wq.Prefix):
                terms.extend((node.fieldname, b) for b in self._expand(i, node))
            elif isinstance(node, wq.Phrase):
                field = schema[node.fieldname]
                terms.extend((node.fieldname, field.to_bytes(w)) for w in node.words)
            elif not node.is_leaf():
                for child in node.children():
                    walk(child)

        walk(q)
        return terms


def _in_order(positions: list[set[int]], slop: int) -> bool:
    """Whether some position of the first word is followed by the others, each within
    ``slop`` positions of the previous one (slop 1: adjacent), like Whoosh's Phrase."""
    for start in positions[0]:
        current = start
        for following in positions[1:]:
            step = next((current + k for k in range(1, slop + 1) if current + k in following), None)
            if step is None:
                break
            current = step
        else:
            return True
    return False


def _read_postings(leaf: Any, fieldname: str, btext: bytes, values: bool) -> Postings:
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
    if type(matcher) is W3LeafMatcher:
        # A block at a time: decompress + unpickle are C calls; ids are delta-encoded.
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            block_ids = list(itertools.accumulate(matcher._data[0]))
            matcher._read_weights()
            ids.extend(block_ids)
            weights.extend(matcher._weights)
            if vals is not None:
                matcher._read_values()
                vals.extend(matcher._values)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if vals is not None:
                vals.append(matcher.value())
            matcher.next()
    if deleted:
        keep = [n for n, d in enumerate(ids) if d not in deleted]
        ids = [ids[n] for n in keep]
        weights = [weights[n] for n in keep]
        if vals is not None:
            vals = [vals[n] for n in keep]
    return Postings(ids, weights, vals)
