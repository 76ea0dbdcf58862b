"""Query evaluation on Whoosh's postings with Python sets, and BM25F scoring.

Whoosh's matchers intersect and unite posting lists one document at a time through several
Python method calls per step; at 100,000 articles a two-word query spent ~150 ms there. Here
each term's posting list is read a block at a time (_postings.py) into a list of document
numbers, and AND / OR / NOT become set operations, which also gives the exact total and the
facets for free. A word far more common than the documents still in the running is only
looked up for those documents (blocks that cannot hold them are not decoded).

Scores are Whoosh's BM25F (with the per-field B of _schema.weighting()), summed over the
matching terms and fields exactly as Whoosh's And/Or matchers sum them, except that a word
has one idf in title, text and note (_schema.IDF_FIELDS: BM25F's idf per field made a common
word rare in the titles); tests/index/test_engine.py compares both the matching documents
and the scores with Whoosh's own search under that same rule (_schema.weighting()).
"""

from __future__ import annotations

import heapq
import itertools
import time
import weakref
from typing import Any

from whoosh import query as wq
from whoosh.reading import TermNotFound

from index.whoosh._parse import MAX_PREFIX_EXPANSIONS
from index.whoosh._postings import Postings, read_postings
from index.whoosh._schema import FIELD_B, IDF_FIELDS, idf
from index.whoosh._values import SegmentValues

_B, _K1 = 0.75, 1.2  # Whoosh's BM25F defaults (B per field: FIELD_B)
# Probe a term document by document when it has this many times more postings than there are
# documents left to check; read it whole otherwise.
_PROBE_RATIO = 8
# Word idfs per searcher, kept while it lives (it reads one fixed set of segments; the pool
# replaces it when the index changes), as Whoosh's Searcher.idf() keeps its own: a word
# searched again costs no term look-up.
_searcher_idfs: weakref.WeakKeyDictionary[Any, dict[tuple[str, bytes], float]] = (
    weakref.WeakKeyDictionary()
)


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
        self._term_stats: dict[tuple[str, bytes], tuple[float, float]] = {}
        self._dfs: dict[tuple[int, str, Any], int] = {}
        # (segment, field, term) -> (documents probed, {document: weight} of those with it)
        self._probed: dict[tuple[int, str, bytes], tuple[set[int], dict[int, float]]] = {}
        self._avg_lengths: dict[str, float] = {}
        self._word_idfs = _searcher_idfs.setdefault(searcher, {})
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
        # Cheapest first; a word much more common than the documents still in the running is
        # checked document by document (skipping whole blocks) instead of read in full.
        ranked = sorted(positive, key=lambda s: self._estimate(s, i))
        found = self._docs(ranked[0], i)
        for s in ranked[1:]:
            if not found:
                break
            terms = _term_leaves(s)
            if terms is not None and self._estimate(s, i) > _PROBE_RATIO * len(found):
                found = self._probe_any(i, terms, found)
            else:
                found &= self._docs(s, i)
        for s in negative:
            if not found:
                break
            found -= self._docs(s, i)
        return found

    def _estimate(self, q: Any, i: int) -> float:
        """Roughly how many postings evaluating ``q`` in segment ``i`` reads."""
        terms = _term_leaves(q)
        if terms is None:
            return float("inf")
        return sum(self._df(i, fieldname, text) for fieldname, text in terms)

    def _df(self, i: int, fieldname: str, text: Any) -> int:
        key = (i, fieldname, text)
        found = self._dfs.get(key)
        if found is None:
            sub, _offset = self.leaves[i]
            try:
                found = int(sub.reader().doc_frequency(fieldname, text))
            except (KeyError, TermNotFound):
                found = 0
            self._dfs[key] = found
        return found

    def _probe_any(self, i: int, terms: list[tuple[str, Any]], candidates: set[int]) -> set[int]:
        """The candidates that contain any of ``terms``."""
        found: set[int] = set()
        for fieldname, text in terms:
            found.update(self._probe(i, fieldname, text, candidates))
            if len(found) == len(candidates):
                break
        return found

    def _probe(self, i: int, fieldname: str, text: Any, docs: set[int]) -> dict[int, float]:
        """{doc: weight} for the ``docs`` that contain the term, decoding only the blocks
        that can hold them."""
        key = self._key(i, fieldname, text, False)
        cached = self._postings.get(key) or self._postings.get(key[:3] + (True,))
        if cached is not None:
            return {d: w for d, w in zip(cached.ids, cached.weights, strict=True) if d in docs}
        probed = self._probed.get(key[:3])
        if probed is not None and docs <= probed[0]:
            return {d: w for d, w in probed[1].items() if d in docs}
        sub, _offset = self.leaves[i]
        post = read_postings(sub.reader(), fieldname, key[2], False, within=sorted(docs))
        found = dict(zip(post.ids, post.weights, strict=True))
        self._probed[key[:3]] = (set(docs), found)
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
        key = self._key(i, fieldname, text, values)
        found = self._postings.get(key) or self._postings.get(key[:3] + (True,))
        if found is None:
            found = self._postings[key] = read_postings(sub.reader(), fieldname, key[2], values)
        return found

    def _key(self, i: int, fieldname: str, text: Any, values: bool) -> tuple[int, str, bytes, bool]:
        if not isinstance(text, bytes):
            text = self.searcher.schema[fieldname].to_bytes(text)
        return (i, fieldname, text, values)

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
            weights = self._weights(i, fieldname, btext, docs)
            if not self.searcher.schema[fieldname].scorable:
                # Whoosh scores a match in an unscored field (domain:, an ID) by its weight.
                for d, w in weights:
                    acc[d] += w
                continue
            idf, avgfl = self._stats(fieldname, btext)
            lengths = self.values.lengths(leaf, fieldname)
            # whoosh.scoring.bm25 with the per-term constants taken out of the loop.
            b = FIELD_B.get(fieldname, _B)
            top = idf * (_K1 + 1)
            base = _K1 * (1 - b)
            per_length = _K1 * b / avgfl
            for d, w in weights:
                acc[d] += top * w / (w + base + per_length * lengths[d])
        return acc

    def _weights(self, i: int, fieldname: str, btext: bytes, docs: set[int]) -> Any:
        """(doc, weight) for the ``docs`` containing the term."""
        key = self._key(i, fieldname, btext, False)
        post = self._postings.get(key) or self._postings.get(key[:3] + (True,))
        probed = self._probed.get(key[:3])
        if post is None and (
            (probed is not None and docs <= probed[0])
            or len(docs) * _PROBE_RATIO < self._df(i, fieldname, btext)
        ):
            return self._probe(i, fieldname, btext, docs).items()
        if post is None:
            post = self._term(i, fieldname, btext)
        if len(docs) * 8 < len(post.ids):
            weight_of = dict(zip(post.ids, post.weights, strict=True))
            return [(d, weight_of[d]) for d in docs if d in weight_of]
        return [(d, w) for d, w in zip(post.ids, post.weights, strict=True) if d in docs]

    def _stats(self, fieldname: str, btext: bytes) -> tuple[float, float]:
        """(idf, average field length) over the whole index, once per search and term."""
        key = (fieldname, btext)
        found = self._term_stats.get(key)
        if found is None:
            avgfl = self._avg_lengths.get(fieldname)
            if avgfl is None:
                avgfl = self._avg_lengths[fieldname] = (
                    float(self.searcher.avg_field_length(fieldname) or 1) or 1.0
                )
            found = self._term_stats[key] = (self._idf(fieldname, btext), avgfl)
        return found

    def _idf(self, fieldname: str, btext: bytes) -> float:
        """A word's idf, the same in title, text and note: from its largest document
        frequency in them (_schema.IDF_FIELDS says why), as _schema.WordIdfBM25F computes
        it. Term index look-ups, once per word and searcher: no cost per document."""
        found = self._word_idfs.get((fieldname, btext))
        if found is None:
            names = IDF_FIELDS if fieldname in IDF_FIELDS else (fieldname,)
            segments = range(len(self.leaves))
            df = max(sum(self._df(i, name, btext) for i in segments) for name in names)
            found = idf(self.searcher.doc_count_all(), df)
            for name in names:
                self._word_idfs[(name, btext)] = found
        return found

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


def _term_leaves(q: Any) -> list[tuple[str, Any]] | None:
    """The (field, text) terms of a Term or an Or of Terms (a word across fields), else None."""
    if isinstance(q, wq.Term):
        return [(q.fieldname, q.text)]
    if isinstance(q, wq.Or) and all(isinstance(s, wq.Term) for s in q.subqueries):
        return [(s.fieldname, s.text) for s in q.subqueries]
    return None


def _in_order(positions: list[set[int]], slop: int) -> bool:
    """Whether the words occur in order, each within ``slop`` positions after the previous
    one (slop 1: adjacent), as Whoosh's Phrase matches them."""
    # Positions reachable so far, word by word: linear in the positions, where trying each
    # path separately is exponential for a long phrase of a repeated word.
    reachable = positions[0]
    for following in positions[1:]:
        reachable = {p for p in following if any(p - k in reachable for k in range(1, slop + 1))}
        if not reachable:
            return False
    return bool(reachable)
