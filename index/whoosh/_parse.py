"""Untrusted query strings -> Whoosh queries, or a QueryError a person can act on.

The syntax is deliberately small (see index/README.md): words (all must match), "phrases",
-exclusion, AND/OR/NOT, parentheses, prefix* (3+ letters), and the field prefixes title:,
section:, domain: and text:. Everything else in the string is treated as text. Fuzzy terms,
ranges, boosts, wildcards inside words and "*" alone are not query syntax: each can make one
query visit most of the lexicon.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.qparser import QueryParser, plugins, syntax

from index._errors import QueryError

# The limits and the cleaning are the backend-neutral syntax's: one definition for both
# backends, re-exported here for the Whoosh search.
from index._syntax import MAX_CLAUSES as MAX_CLAUSES
from index._syntax import MAX_PREFIX_EXPANSIONS as MAX_PREFIX_EXPANSIONS
from index._syntax import MAX_QUERY_CHARS as MAX_QUERY_CHARS
from index._syntax import MIN_PREFIX_CHARS as MIN_PREFIX_CHARS
from index._syntax import clean as clean
from index.whoosh._schema import DEFAULT_FIELDS, schema

log = logging.getLogger(__name__)

# A leading "-" excludes, but not inside words ("state-of-the-art", "x-ray").
_MINUS = r"(?<![^\s(])-(?=[\w\"(])"
_NEVER = r"(?!)"
_FIELDS = r"(?P<text>title|text|section|domain):"
# For the fallback parse: the characters that carry query syntax.
_SYNTAX_CHARS = re.compile(r"[\"()*:+\-\\\[\]{}^~]")
_OPERATORS = re.compile(r"\b(?:AND|OR|NOT|ANDNOT|ANDMAYBE|REQUIRE)\b")


@dataclass(frozen=True, slots=True)
class Parsed:
    query: Any  # whoosh.query.Query
    # False when the string had no searchable word (stop words, emoji, punctuation only).
    searchable: bool


def _plugins(plain: bool) -> list[Any]:
    if plain:
        return [plugins.MultifieldPlugin(list(DEFAULT_FIELDS))]
    return [
        plugins.FieldsPlugin(expr=_FIELDS, remove_unknown=True),
        plugins.FieldAliasPlugin({"section_words": ["section"]}),
        plugins.PhrasePlugin(),
        plugins.PrefixPlugin(),
        plugins.GroupPlugin(),
        plugins.OperatorsPlugin(AndNot=None, AndMaybe=None, Require=None),
        # "+" would turn the default AND into "required + optional"; it is not syntax here.
        plugins.PlusMinusPlugin(plusexpr=_NEVER, minusexpr=_MINUS),
        plugins.MultifieldPlugin(list(DEFAULT_FIELDS)),
    ]


@functools.cache
def _parser(any_word: bool, plain: bool = False) -> QueryParser:
    # Parsers hold no per-parse state, so one per configuration serves every thread.
    group = syntax.OrGroup if any_word else syntax.AndGroup
    return QueryParser("text", schema(), plugins=_plugins(plain), group=group)


def parse(text: str, any_word: bool = False) -> Parsed:
    """Parse a cleaned query string. Never raises anything but QueryError."""
    try:
        q = _parser(any_word).parse(text)
    except Exception:  # noqa: BLE001 - Whoosh's parser fails in odd ways on odd input
        # e.g. "NOT NOT NOT" raises IndexError inside Whoosh. Retry without any syntax, so a
        # mistyped operator still searches for the words around it.
        log.debug("query parser failed on %r; retrying as plain words", text, exc_info=True)
        plain = _OPERATORS.sub(" ", _SYNTAX_CHARS.sub(" ", text))
        try:
            q = _parser(any_word, plain=True).parse(plain)
        except Exception as exc:  # noqa: BLE001
            raise QueryError("Could not understand the query.") from exc
    q = q.normalize()
    searchable = q is not wq.NullQuery and any(True for _ in _positive_leaves(q))
    return Parsed(q, searchable)


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
    if isinstance(q, wq.AndNot):
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
