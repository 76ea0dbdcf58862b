"""Untrusted query strings -> Whoosh queries, or a QueryError a person can act on.

The grammar is index/_syntax.py's, the one both backends share: this module compiles its tree
into the queries Whoosh's own QueryParser would build for the same words (its node classes and
its analysis, through a QueryParser configured like the one that used to parse the text), so
matching, scoring, snippets and suggestions are as they were. Whoosh's parser itself never sees
the user's text.

How the tree maps (see docs/user-guide.md for the syntax):

- A word without a field is searched in title, text and note, ``Or(title:w, text:w,
  note:w)``; ``section:`` searches the section's words (the section_words field),
  ``domain:`` the exact host, ``tag:`` the tag keys (index._syntax.tag_key).
- Words written together without a space ("x-ray", "foo:bar") are one chunk to Whoosh: it is
  analysed as a whole per field (``Or(And(title:x, title:ray), And(text:x, text:ray))``), and
  a chunk left with one word keeps the whole chunk's position (for "did you mean").
- A prefix is analysed too (lowercased and stemmed, as Whoosh's PrefixPlugin does), and its
  length is checked on that stem by validate(), not by the grammar.
- Excluded parts (``-word``, ``NOT word``) next to others become ``AndNot(rest, Or(excluded))``.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.qparser import QueryParser, plugins, syntax

from index import _syntax as syn
from index._codewords import phrase_text, spaced_form
from index._errors import QueryError

# The limits and the cleaning are the backend-neutral syntax's: one definition for both
# backends, re-exported here for the Whoosh search.
from index._syntax import MAX_CLAUSES as MAX_CLAUSES
from index._syntax import MAX_PREFIX_EXPANSIONS as MAX_PREFIX_EXPANSIONS
from index._syntax import MAX_QUERY_CHARS as MAX_QUERY_CHARS
from index._syntax import MIN_PREFIX_CHARS as MIN_PREFIX_CHARS
from index._syntax import clean as clean
from index.whoosh._analysis import cached_stem
from index.whoosh._schema import DEFAULT_FIELDS, schema

# The index field each query field searches ("section:" means the words of the section name).
_FIELD_NAMES = {
    "title": "title",
    "text": "text",
    "section": "section_words",
    "domain": "domain",
    "tag": "tag",
}
# Where a chunk of the query (a run of characters Whoosh reads as one word) ends.
_CHUNK_END = re.compile(r'[\s()"]')
_FIELD_PREFIX = re.compile(r"(?:title|text|section|domain|tag):")


@dataclass(frozen=True, slots=True)
class Parsed:
    query: Any  # whoosh.query.Query
    # False when the string had no searchable word (stop words, emoji, punctuation only).
    searchable: bool


@functools.cache
def _parser(any_word: bool) -> QueryParser:
    # Not for parsing: Whoosh's nodes ask their parser for the schema, the analysis and the
    # group that joins the words of a chunk. Holds no per-query state, so threads share it.
    group = syntax.OrGroup if any_word else syntax.AndGroup
    return QueryParser("text", schema(), plugins=[], group=group)


def parse(text: str, any_word: bool = False) -> Parsed:
    """Parse a cleaned query string. Never raises anything but QueryError."""
    tree = syn.parse(text, any_word=any_word, check_prefix=False)
    if isinstance(tree, syn.Not) and tree.minus:
        tree = None  # "-word" alone excludes from nothing: Whoosh's parser made no query of it
    compiled = _Compiler(text, _parser(any_word)).node(tree)
    q = (compiled if compiled is not None else wq.NullQuery).normalize()
    searchable = q is not wq.NullQuery and any(True for _ in _positive_leaves(q))
    return Parsed(q, searchable)


class _Compiler:
    def __init__(self, text: str, parser: QueryParser) -> None:
        self.text = text
        self.parser = parser

    def node(self, node: syn.Node | None) -> Any:
        if node is None:
            return None
        if isinstance(node, syn.Not):
            child = self.node(node.child)
            return None if child is None else wq.Not(child)
        if isinstance(node, syn.Term | syn.Phrase):
            return self.chunk([node])
        if isinstance(node, syn.Or):
            parts = [q for q in map(self.chunk, self._chunks(node.children)) if q is not None]
            return wq.Or(parts) if parts else None
        kept, excluded = [], []
        chunks = list(self._chunks(node.children))
        for child in chunks:
            q = self.chunk(child)
            if q is None:
                continue
            if isinstance(child[0], syn.Not) and child[0].minus:
                excluded.append(q.query)
            else:
                kept.append(q)
        if not excluded:
            return self._spaced_form(chunks, wq.And(kept)) if kept else None
        # As Whoosh's PlusMinusPlugin groups "-" parts: the rest, minus any of the excluded.
        return wq.AndNot(wq.And(kept), wq.Or(excluded))

    def _spaced_form(self, chunks: list[list[syn.Node]], required: Any) -> Any:
        """Words written apart that are the parts of one name (`load fast`) rank the pages
        with the name (`LOAD_FAST`, indexed joined as `loadfast`) first: the joined form is
        an optional extra, as PostgreSQL ranks the words side by side higher."""
        terms = [c[0] for c in chunks if len(c) == 1 and isinstance(c[0], syn.Term)]
        if len(terms) != len(chunks) or any(t.field is not None or t.prefix for t in terms):
            return required
        together = spaced_form([t.word for t in terms])
        if not together:
            return required
        stemmed = cached_stem(together)
        extra = wq.Or([wq.Term(name, stemmed) for name in DEFAULT_FIELDS])
        return wq.AndMaybe(required, extra)

    def _chunks(self, children: Sequence[syn.Node]) -> Iterator[list[syn.Node]]:
        """The children, with runs of words written together ("x-ray") as one chunk."""
        run: list[syn.Node] = []
        for child in children:
            if run and not self._joined(run[-1], child):
                yield run
                run = []
            run.append(child)
        if run:
            yield run

    def _joined(self, before: syn.Node, after: syn.Node) -> bool:
        words = (before, after)
        if not all(isinstance(w, syn.Term) and not w.prefix for w in words):
            return False
        assert isinstance(before, syn.Term) and isinstance(after, syn.Term)
        if before.field != after.field or before.field in syn.LABEL_FIELDS or before.end < 0:
            return False
        between = self.text[before.end : after.start]
        return after.start >= before.end and not _CHUNK_END.search(between)

    def chunk(self, nodes: list[syn.Node]) -> Any:
        first = nodes[0]
        if not isinstance(first, syn.Term | syn.Phrase):
            return self.node(first)
        node = self._whoosh_node(nodes)
        if first.field is None:
            # As Whoosh's MultifieldPlugin: the same node once per default field, any of them.
            copies = []
            for name in DEFAULT_FIELDS:
                one = copy.copy(node)
                one.set_fieldname(name)
                copies.append(one)
            return syntax.OrGroup(copies).query(self.parser)
        node.set_fieldname(_FIELD_NAMES[first.field])
        return node.query(self.parser)

    def _whoosh_node(self, nodes: list[syn.Node]) -> Any:
        first, last = nodes[0], nodes[-1]
        if isinstance(first, syn.Phrase):
            close = self.text.find('"', first.start)
            end = close if close >= 0 else len(self.text)
            # A phrase is matched on the segments of its identifiers ("load_fast opcode" is
            # load, fast, opcode), which the index put one after the other.
            words = phrase_text(self.text[first.start : end])
            phrase = plugins.PhrasePlugin.PhraseNode(words, first.start)
            phrase.startchar, phrase.endchar = first.start - 1, end + 1  # with the quotes
            return phrase
        assert isinstance(first, syn.Term) and isinstance(last, syn.Term)
        if first.field in syn.LABEL_FIELDS:
            node: Any = syntax.WordNode(first.word)
            node.startchar, node.endchar = first.start, first.end
            return node
        start, end = self._extent(first.start, last.end)
        text = self.text
        if (
            not first.prefix
            and start > 0
            and end < len(text)
            and text[start - 1] == text[end] == '"'
        ):
            # A quoted single word: a phrase to Whoosh, whose position is the word's own.
            phrase = plugins.PhrasePlugin.PhraseNode(text[start:end], start)
            phrase.startchar, phrase.endchar = start - 1, end + 1
            return phrase
        if first.prefix:
            node = plugins.PrefixPlugin.PrefixNode(self.text[start : first.end])
            end = first.end + 1  # the "*"
        else:
            node = syntax.WordNode(self.text[start:end])
        node.startchar, node.endchar = start, end
        return node

    def _extent(self, start: int, end: int) -> tuple[int, int]:
        """The whole chunk around words at [start, end): punctuation next to them is part of
        it, as Whoosh reads a word up to the next space or parenthesis."""
        text = self.text
        while end < len(text) and not _CHUNK_END.match(text, end):
            end += 1
        begin = start
        while begin > 0 and not _CHUNK_END.match(text, begin - 1):
            begin -= 1
        # A leading "-" and a field name are syntax, not part of the chunk.
        if begin < start and text[begin] == "-":
            begin += 1
        field = _FIELD_PREFIX.match(text, begin)
        if field and field.end() <= start:
            begin = field.end()
        return begin, end


def validate(q: Any, reader: Any) -> None:
    """Refuse queries that would cost too much: short or over-broad prefixes, too many terms."""
    leaves = 0
    for leaf in q.leaves():
        leaves += 1
        if isinstance(leaf, wq.Prefix):
            if len(leaf.text) < MIN_PREFIX_CHARS:
                raise QueryError(
                    f"A prefix search needs at least {MIN_PREFIX_CHARS} letters before the *."
                )
            for expansions, _term in enumerate(
                reader.expand_prefix(leaf.fieldname, leaf.text), start=1
            ):
                if expansions > MAX_PREFIX_EXPANSIONS:
                    raise QueryError(
                        f"'{leaf.text}*' matches too many words; add a few more letters."
                    )
    if leaves > MAX_CLAUSES:
        raise QueryError("The query has too many words; try fewer, more specific ones.")


def _positive_leaves(q: Any) -> Iterator[Any]:
    """Leaves that a matching document contains (not those under NOT or after AND NOT)."""
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndNot | wq.AndMaybe):
        # AndMaybe's optional part is the joined spaced form: it ranks, it is not marked.
        yield from _positive_leaves(q.a)
        return
    if q.is_leaf():
        if not isinstance(q, type(wq.NullQuery)):
            yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


def highlight_terms(q: Any, reader: Any, fieldname: str) -> set[bytes]:
    """The byte terms of ``fieldname`` to mark in snippets, prefixes expanded."""
    field = reader.schema[fieldname]
    found: set[bytes] = set()
    for leaf in _positive_leaves(q):
        if getattr(leaf, "fieldname", None) != fieldname:
            continue
        if isinstance(leaf, wq.Prefix):
            for n, btext in enumerate(reader.expand_prefix(fieldname, leaf.text)):
                if n >= MAX_PREFIX_EXPANSIONS:
                    break
                found.add(btext)
        elif isinstance(leaf, wq.Phrase):
            found.update(field.to_bytes(word) for word in leaf.words)
        elif isinstance(leaf, wq.Term):
            found.add(field.to_bytes(leaf.text))
    return found
