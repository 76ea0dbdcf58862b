"""A parsed query (index/_syntax.py) -> PostgreSQL full-text conditions, with bound values only.

Every leaf becomes a small tsquery text: `'word'` (title, text or note: the tsvector holds
those three, weighted A, B and C), `'word':A` for title:, `:B` for text:, `'pars':*` for a
prefix, `'a' <-> 'b'` for a phrase (a phrase without a field is `('a':A <-> 'b':A) |
('a':B <-> 'b':B) | ('a':C <-> 'b':C)`, one field at a time as on Whoosh). The words are \\w+
tokens already and are quoted anyway. PostgreSQL normalises all leaves in one round trip
(stemming); plain words that are stop words or one letter (index/_stopwords.py, Whoosh's
rule) are dropped before, as Whoosh's analyzer drops them, so `the rust` searches `rust`; a
phrase keeps its stop words, which the tsvector holds (linkvault_english, migration 0015).
Leaves left empty are dropped from the tree. The normalised texts, re-joined with & | !, are cast to
tsquery: a condition on `tsv` that the GIN index answers. `section:` leaves test the words of
the section name (their own GIN index), `domain:` the exact host and `tag:` the tag keys
(`tag_keys @> ARRAY[key]`, a GIN index too), so a tree that mixes them is an SQL AND/OR/NOT
of such conditions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY

from index import _syntax as syn
from index._codewords import joined, phrase_text
from index._errors import QueryError
from index._stopwords import is_searched
from index.postgres._tables import LABEL_CONFIG, TEXT_CONFIG, documents

Target = Literal["tsv", "section", "domain", "tag"]
# Targets whose leaves are matched as typed (a label), not normalised by PostgreSQL.
_AS_TYPED = ("domain", "tag")

# The expression of the section-words GIN index of migration 0002, written as it is there.
SECTION_WORDS: sa.ColumnElement[object] = sa.literal_column(
    "to_tsvector('simple'::regconfig, coalesce(search_documents.section, ''))"
)

_WEIGHT = {"title": "A", "text": "B"}
# The weights a word or phrase without a field is looked for in: title, text, note.
_DEFAULT_WEIGHTS = ("A", "B", "C")
_PREFIX_LEXEME = re.compile(r"'((?:[^']|'')+)':\*")
_LEXEME = re.compile(r"'((?:[^']|'')+)'")
_SINGLE_LEXEME = re.compile(r"^'((?:[^']|'')+)'(?::([A-D]+))?$")

_NORMALISE = sa.text(
    "SELECT to_tsquery(CAST(t.config AS regconfig), t.query)::text "
    "FROM unnest(CAST(:configs AS text[]), CAST(:queries AS text[])) "
    "WITH ORDINALITY AS t(config, query, n) ORDER BY t.n"
)
_EXPANSIONS = sa.text(
    "SELECT count(*) FROM (SELECT 1 FROM search_lexemes "
    "WHERE lexeme >= :low AND (CAST(:high AS text) IS NULL OR lexeme < :high) LIMIT :cap) AS s"
)


def quote(word: str) -> str:
    """A tsquery operand: single-quoted, quotes doubled, backslashes escaped."""
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


def target(leaf: syn.Leaf) -> Target:
    if leaf.field == "section":
        return "section"
    if leaf.field == "domain":
        return "domain"
    if leaf.field == "tag":
        return "tag"
    return "tsv"


def leaf_query(leaf: syn.Leaf) -> str:
    """The tsquery text PostgreSQL normalises for one leaf (not for domain: or tag:)."""
    if isinstance(leaf, syn.Term):
        weight = _WEIGHT.get(leaf.field or "", "")
        star = "*" if leaf.prefix else ""
        # An identifier is searched whole, as its joined form (index/_codewords.py): the
        # writer adds that to the tsvector, PostgreSQL would cut `load_fast` in two.
        word = (target(leaf) == "tsv" and joined(leaf.word)) or leaf.word
        return f"{quote(word)}:{star}{weight}" if star or weight else quote(word)
    if leaf.field is None:
        return " | ".join(f"({_phrase(leaf.words, w)})" for w in _DEFAULT_WEIGHTS)
    return _phrase(leaf.words, _WEIGHT.get(leaf.field, ""))


def _phrase(words: Iterable[str], weight: str) -> str:
    suffix = f":{weight}" if weight else ""
    return " <-> ".join(quote(word) + suffix for word in words)


@dataclass(slots=True)
class Compiled:
    tree: syn.Node  # the parsed tree without the leaves that normalised to nothing
    normalised: dict[syn.Leaf, str]
    where: sa.ColumnElement[bool]
    rank: str | None  # tsquery text to rank by (None: nothing to rank)
    highlight: str | None  # tsquery text of what snippets mark (article text leaves)
    # Lowercase strings whose first occurrence in the text places the snippet's window.
    anchors: list[str] = field(default_factory=list)

    @property
    def searchable(self) -> bool:
        return any(True for _ in syn.positive_leaves(self.tree))


def normalise(
    conn: sa.Connection, tree: syn.Node | None, known: dict[syn.Leaf, str] | None = None
) -> dict[syn.Leaf, str]:
    """Leaf -> its normalised tsquery text ("" when only stop words); domain and tag leaves
    as typed. Leaves in ``known`` are not normalised again."""
    known = known or {}
    found = {leaf: known[leaf] for leaf in syn.leaves(tree) if leaf in known}
    for leaf in syn.leaves(tree):
        if _stopped(leaf):
            found[leaf] = ""
    todo = [
        leaf
        for leaf in dict.fromkeys(syn.leaves(tree))
        if target(leaf) not in _AS_TYPED and leaf not in found
    ]
    if todo:
        configs = [LABEL_CONFIG if target(leaf) == "section" else TEXT_CONFIG for leaf in todo]
        queries = [leaf_query(leaf) for leaf in todo]
        texts = conn.execute(_NORMALISE, {"configs": configs, "queries": queries}).scalars()
        found.update(zip(todo, texts, strict=True))
    for leaf in syn.leaves(tree):
        if target(leaf) in _AS_TYPED:
            found[leaf] = leaf.word if isinstance(leaf, syn.Term) else " ".join(leaf.words)
    return found


def _stopped(leaf: syn.Leaf) -> bool:
    """A plain word Whoosh would not index: searched on its own, it would find nearly every
    page (stop words) and rank nothing."""
    return (
        isinstance(leaf, syn.Term)
        and not leaf.prefix
        and target(leaf) == "tsv"
        and not joined(leaf.word)
        and not is_searched(leaf.word.lower())
    )


def compile_tree(
    conn: sa.Connection, tree: syn.Node | None, known: dict[syn.Leaf, str] | None = None
) -> Compiled | None:
    """None when nothing is left to search (only stop words). ``known``: leaves normalised
    already (by the compile of the same query with every word required)."""
    normalised = normalise(conn, tree, known)
    pruned = syn.prune(tree, {leaf for leaf, text in normalised.items() if text})
    if pruned is None:
        return None
    syn.check_clauses(pruned)
    compiled = Compiled(pruned, normalised, _where(pruned, normalised), None, None)
    if not compiled.searchable:
        return compiled
    if target_of(pruned) == "tsv":
        compiled.rank = _tsquery(pruned, normalised)
    else:
        compiled.rank = _any_of(
            normalised[leaf] for leaf in syn.positive_leaves(pruned) if target(leaf) == "tsv"
        )
    marked = [
        leaf
        for leaf in syn.positive_leaves(pruned)
        if target(leaf) == "tsv" and leaf.field in (None, "text")
    ]
    compiled.highlight = _any_of(_highlighted(conn, marked, normalised))
    anchors: list[str] = []
    for leaf in marked:
        anchors.extend(
            w.lower() for w in (leaf.words if isinstance(leaf, syn.Phrase) else [leaf.word])
        )
        anchors.extend(m.group(1).replace("''", "'") for m in _LEXEME.finditer(normalised[leaf]))
    # Short stems ("go") occur inside other words too often to place anything.
    anchors = [a for a in anchors if len(a) >= 3]
    compiled.anchors = list(dict.fromkeys(anchors + [a.capitalize() for a in anchors]))
    return compiled


def _highlighted(
    conn: sa.Connection, marked: list[syn.Leaf], normalised: dict[syn.Leaf, str]
) -> list[str]:
    """What snippets mark for ``marked``: an identifier's segments one after the other
    (`sys.getsizeof` is 'sys' <-> 'getsizeof'), as ts_headline() reads the text with "." and
    "/" as spaces (index/postgres/_snippets.py), not its joined form."""
    native = [
        leaf
        for leaf in marked
        if isinstance(leaf, syn.Term) and not leaf.prefix and joined(leaf.word)
    ]
    texts = {leaf: normalised[leaf] for leaf in marked}
    if native:
        params = {
            "configs": [TEXT_CONFIG] * len(native),
            "queries": [quote(phrase_text(leaf.word)) for leaf in native],
        }
        found = conn.execute(_NORMALISE, params).scalars()
        texts.update((leaf, text) for leaf, text in zip(native, found, strict=True) if text)
    return list(texts.values())


def check_prefixes(conn: sa.Connection, compiled: Compiled) -> None:
    """A prefix may stand for at most MAX_PREFIX_EXPANSIONS indexed words, as on Whoosh."""
    for leaf in syn.leaves(compiled.tree):
        if not (isinstance(leaf, syn.Term) and leaf.prefix and target(leaf) == "tsv"):
            continue
        for match in _PREFIX_LEXEME.finditer(compiled.normalised[leaf]):
            low = match.group(1).replace("''", "'").replace("\\\\", "\\")
            params = {"low": low, "high": _after(low), "cap": syn.MAX_PREFIX_EXPANSIONS + 1}
            if conn.execute(_EXPANSIONS, params).scalar_one() > syn.MAX_PREFIX_EXPANSIONS:
                raise QueryError(f"'{leaf.word}*' matches too many words; add a few more letters.")


def _after(prefix: str) -> str | None:
    """The least string greater than every string starting with ``prefix`` (byte order)."""
    while prefix:
        last = ord(prefix[-1])
        if last < 0x10FFFF and not 0xD7FF <= last < 0xE000:
            return prefix[:-1] + chr(last + 1)
        prefix = prefix[:-1]
    return None


def target_of(node: syn.Node) -> Target | None:
    """The one target of every leaf under ``node``, or None when they differ."""
    targets = {target(leaf) for leaf in syn.leaves(node)}
    return targets.pop() if len(targets) == 1 else None


def _tsquery(node: syn.Node, normalised: dict[syn.Leaf, str]) -> str:
    if isinstance(node, syn.Term | syn.Phrase):
        return f"({normalised[node]})"
    if isinstance(node, syn.Not):
        return f"!{_tsquery(node.child, normalised)}"
    joiner = " & " if isinstance(node, syn.And) else " | "
    return "(" + joiner.join(_tsquery(child, normalised) for child in node.children) + ")"


def _any_of(texts: Iterable[str]) -> str | None:
    parts = [f"({text})" for text in dict.fromkeys(texts)]
    return " | ".join(parts) or None


def _where(node: syn.Node, normalised: dict[syn.Leaf, str]) -> sa.ColumnElement[bool]:
    kind = target_of(node)
    if kind == "tsv":
        return documents.c.tsv.op("@@")(tsquery(_tsquery(node, normalised)))
    if kind == "section":
        return SECTION_WORDS.op("@@")(tsquery(_tsquery(node, normalised)))
    if isinstance(node, syn.Term | syn.Phrase) and target(node) == "tag":
        return has_tag(sa.bindparam(None, [normalised[node]], type_=ARRAY(sa.Text)))
    if isinstance(node, syn.Term | syn.Phrase):  # domain:
        return documents.c.domain == sa.bindparam(None, normalised[node], type_=sa.Text)
    if isinstance(node, syn.Not):
        return sa.not_(_where(node.child, normalised))
    parts = [_where(child, normalised) for child in node.children]
    return sa.and_(*parts) if isinstance(node, syn.And) else sa.or_(*parts)


def has_tag(keys: sa.BindParameter[Any]) -> sa.ColumnElement[bool]:
    """The documents with every tag whose key (index._syntax.tag_key) is in ``keys``, a
    text[] parameter: the query's `tag:` (a value) or the tag filter (a named parameter)."""
    return documents.c.tag_keys.op("@>", is_comparison=True)(sa.cast(keys, ARRAY(sa.Text)))


def single_lexeme(text: str) -> tuple[str, str] | None:
    """(lexeme, weights) when a normalised tsquery text is one lexeme (`'gil'`, `'gil':A`,
    in parentheses or not), else None (a phrase, a prefix, several words)."""
    found = _SINGLE_LEXEME.match(text.strip("()"))
    return (found.group(1).replace("''", "'"), found.group(2) or "") if found else None


def tsquery(text: str) -> sa.ColumnElement[object]:
    """A bound tsquery text, cast without normalising again (it is normalised already)."""
    return sa.cast(sa.bindparam(None, text, type_=sa.Text), TSQUERY)


__all__ = [
    "Compiled",
    "check_prefixes",
    "compile_tree",
    "has_tag",
    "quote",
    "single_lexeme",
    "target_of",
    "tsquery",
]
