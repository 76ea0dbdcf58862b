"""The query language as a plain syntax tree: the one parser of it, for every backend (the
Whoosh backend compiles the tree into Whoosh queries, index/whoosh/_parse.py; the PostgreSQL
backend into tsquery conditions, index/postgres/_query.py).

The grammar is the one docs/user-guide.md documents, with Whoosh's precedence, so a query means
the same on every backend: juxtaposition (implicit AND) binds loosest, then OR, then an
explicit AND, then NOT and a leading "-". So `rust OR go memory` is `(rust OR go) memory`,
as on the Whoosh backend (PostgreSQL's websearch_to_tsquery would read `rust OR (go memory)`).
Whatever is not syntax is text; malformed input (unbalanced quotes or parentheses, dangling
operators) degrades to the words in it, never to an error. Words are cut into \\w+ tokens
here, so no quote, backslash, colon or operator character of the query ever reaches a
backend's own query syntax.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from index._errors import QueryError

MAX_QUERY_CHARS = 500
# Leaf clauses after parsing; every plain word is three (title, text and note): about 32 words.
MAX_CLAUSES = 96
# What a word or phrase without a field searches.
DEFAULT_FIELD_COUNT = 3
MIN_PREFIX_CHARS = 3
MAX_PREFIX_EXPANSIONS = 300

Field = Literal["title", "text", "section", "domain", "tag"] | None
# Fields whose value is one whole label, matched exactly (no words, stems or prefixes).
LABEL_FIELDS = ("domain", "tag")

# Control and format characters (NUL, bidi overrides, zero-width) are never part of a word,
# nor are lone surrogates (undecodable bytes of a command-line argument): the index cannot
# even encode them. Both backends clean queries with this.
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)
# One definition of a word for every backend: Whoosh's word pattern without "*", with "/"
# joining like "." so that a path (`Python/ceval.c`) is one identifier (index/_codewords.py).
WORD = re.compile(r"\w+(?:[./]\w+)*", re.UNICODE)
_FIELD = re.compile(r"(title|text|section|domain|tag):")
_OPERATORS = {"AND", "OR", "NOT"}
# A tag that needs no quotes after "tag:": nothing the tokenizer would end a chunk at.
_BARE_TAG = re.compile(r'[^\s()"]+')
# Parentheses nested deeper than this are not syntax (the parser recurses per level).
MAX_DEPTH = 32


def clean(text: str) -> str:
    """Normalise a raw query string, or raise QueryError if it is too long."""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long: at most {MAX_QUERY_CHARS} characters, please.")
    return text


def tag_key(tag: str) -> str:
    """What a tag is matched and counted by, on every backend, in records and in queries:
    case and spacing do not matter ("CPython  Internals" is "cpython internals"). A double
    quote counts as a space, so every tag can be written in a query as tag:"...".
    """
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", tag)).replace('"', " ")
    return " ".join(text.split()).lower()


def tag_keys(tags: Iterable[str]) -> list[str]:
    """The distinct keys of ``tags``, in order, without empty ones."""
    return list(dict.fromkeys(key for key in map(tag_key, tags) if key))


def tag_query(tag: str) -> str:
    """The query that finds the pages with ``tag``: tag:name, quoted when it has spaces,
    parentheses or quotes (keys are lower case, so never an operator)."""
    key = tag_key(tag)
    if _BARE_TAG.fullmatch(key):
        return f"tag:{key}"
    return f'tag:"{key}"'


# -- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    word: str  # one WORD match (or the whole value for domain:), as typed
    field: Field
    prefix: bool = False
    start: int = -1  # where the word is in the cleaned query string
    end: int = -1


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]
    field: Field
    # Where the text between the quotes starts in the cleaned query string; not part of the
    # phrase's identity (the same words in two places are one phrase to search).
    start: int = dataclasses.field(default=-1, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    # Written "-word" rather than "NOT word": the same meaning, but Whoosh groups the two
    # differently (AndNot and And/Not), and its backend builds what Whoosh's parser built.
    minus: bool = dataclasses.field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Phrase | Not | And | Or
Leaf = Term | Phrase


def leaves(node: Node | None) -> Iterator[Leaf]:
    if node is None:
        return
    if isinstance(node, Term | Phrase):
        yield node
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        for child in node.children:
            yield from leaves(child)


def positive_leaves(node: Node | None) -> Iterator[Leaf]:
    """Leaves a matching document contains (not those under NOT)."""
    if node is None or isinstance(node, Not):
        return
    if isinstance(node, Term | Phrase):
        yield node
    else:
        for child in node.children:
            yield from positive_leaves(child)


def clauses(node: Node | None) -> int:
    """Leaf clauses as the limit counts them: a leaf without a field is three (title, text,
    note)."""
    return sum(DEFAULT_FIELD_COUNT if leaf.field is None else 1 for leaf in leaves(node))


def check_clauses(node: Node | None) -> None:
    if clauses(node) > MAX_CLAUSES:
        raise QueryError("The query has too many words; try fewer, more specific ones.")


def simplify(node: Node | None) -> Node | None:
    """Flatten nested groups, drop empty ones, cancel double negation."""
    if node is None or isinstance(node, Term | Phrase):
        return node
    if isinstance(node, Not):
        child = simplify(node.child)
        if child is None:
            return None
        return child.child if isinstance(child, Not) else Not(child, node.minus)
    kind = type(node)
    flat: list[Node] = []
    for child in node.children:
        kept = simplify(child)
        if kept is None:
            continue
        flat.extend(kept.children if isinstance(kept, kind) else (kept,))
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


def prune(node: Node | None, keep: set[Leaf]) -> Node | None:
    """The tree with only the leaves in ``keep`` (e.g. those that are not all stop words)."""
    if node is None:
        return None
    if isinstance(node, Term | Phrase):
        return node if node in keep else None
    if isinstance(node, Not):
        child = prune(node.child, keep)
        return None if child is None else Not(child, node.minus)
    kept = tuple(c for c in (prune(child, keep) for child in node.children) if c is not None)
    return simplify(type(node)(kept)) if kept else None


# -- tokens ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["(", ")", "-", "op", "field", "phrase", "word"]
    text: str
    start: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        after_minus = bool(tokens) and tokens[-1].kind == "-" and tokens[-1].start == i - 1
        at_word_start = i == 0 or text[i - 1].isspace() or text[i - 1] == "(" or after_minus
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, i))  # type: ignore[arg-type]
            i += 1
        elif ch == '"':
            close = text.find('"', i + 1)
            if close == -1:
                i += 1  # an unbalanced quote is not syntax: the words after it are words
            else:
                tokens.append(_Token("phrase", text[i + 1 : close], i + 1))
                i = close + 1
        elif ch == "-" and at_word_start and i + 1 < n and _starts_atom(text[i + 1]):
            tokens.append(_Token("-", ch, i))
            i += 1
        elif at_word_start and (field := _FIELD.match(text, i)) and _field_applies(text, field):
            tokens.append(_Token("field", field.group(1), i))
            i = field.end()
        else:
            end = i
            while end < n and not text[end].isspace() and text[end] not in '()"':
                end += 1
            word = text[i:end]
            kind = "op" if word in _OPERATORS else "word"
            tokens.append(_Token(kind, word, i))  # type: ignore[arg-type]
            i = end
    return tokens


def _starts_atom(ch: str) -> bool:
    return ch in '"(' or bool(WORD.match(ch))


def _field_applies(text: str, field: re.Match[str]) -> bool:
    # "title:" followed by nothing searchable is the word "title", as on Whoosh.
    rest = text[field.end() : field.end() + 1]
    return bool(rest) and not rest.isspace() and rest != ")"


# -- parsing --------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Token], any_word: bool, check_prefix: bool) -> None:
        self.tokens = tokens
        self.pos = 0
        self.any_word = any_word
        self.check_prefix = check_prefix

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def sequence(self, field: Field, depth: int) -> Node | None:
        """Items side by side: all required (or any, in any_word mode), up to a ")"."""
        items: list[Node] = []
        excluded: list[Node] = []  # "-word": excluded even when any word will do
        while (token := self.peek()) is not None:
            if token.kind == ")":
                if depth:
                    break
                self.take()  # an unbalanced ")" is not syntax
                continue
            if token.kind == "op" and token.text in ("AND", "OR"):
                self.take()  # a dangling operator joins nothing
                continue
            item = self.or_expr(field, depth)
            if item is None:
                continue
            if self.any_word and token.kind == "-" and isinstance(item, Not):
                excluded.append(item)
            else:
                items.append(item)
        if not self.any_word:
            return simplify(And(tuple(items)))
        if not items:
            return None
        return simplify(And((Or(tuple(items)), *excluded)))

    def or_expr(self, field: Field, depth: int) -> Node | None:
        items = [self.and_expr(field, depth)]
        while self._operator("OR"):
            items.append(self.and_expr(field, depth))
        return simplify(Or(tuple(i for i in items if i is not None)))

    def and_expr(self, field: Field, depth: int) -> Node | None:
        items = [self.unary(field, depth)]
        while self._operator("AND"):
            items.append(self.unary(field, depth))
        return simplify(And(tuple(i for i in items if i is not None)))

    def _operator(self, name: str) -> bool:
        token = self.peek()
        if token is None or token.kind != "op" or token.text != name:
            return False
        following = self.tokens[self.pos + 1] if self.pos + 1 < len(self.tokens) else None
        if (
            following is None
            or following.kind == ")"
            or (following.kind == "op" and following.text != "NOT")
        ):
            self.take()  # "a OR", "a OR OR b": the operator has nothing to join
            return False
        self.take()
        return True

    def unary(self, field: Field, depth: int) -> Node | None:
        token = self.peek()
        if token is None or token.kind == ")":
            return None
        if (token.kind == "op" and token.text == "NOT") or token.kind == "-":
            self.take()
            child = self.unary(field, depth)
            return None if child is None else simplify(Not(child, token.kind == "-"))
        if token.kind == "op":
            return None  # AND/OR where an operand should be: the caller skips it
        return self.atom(field, depth)

    def atom(self, field: Field, depth: int) -> Node | None:
        token = self.take()
        if token.kind == "(":
            if depth >= MAX_DEPTH:
                return None
            inner = self.sequence(field, depth + 1)
            if (close := self.peek()) is not None and close.kind == ")":
                self.take()
            return inner
        if token.kind == "field":
            if self.peek() is None or self.peek().kind in (")", "op"):  # type: ignore[union-attr]
                return _words(token.text, token.start, field, self.any_word, self.check_prefix)
            return self.unary(token.text, depth)  # type: ignore[arg-type]
        if token.kind == "phrase":
            return _phrase(token.text, token.start, field)
        if token.kind == "-":
            return None
        return _words(token.text, token.start, field, self.any_word, self.check_prefix)


def _words(
    raw: str, start: int, field: Field, any_word: bool = False, check_prefix: bool = True
) -> Node | None:
    """One space-free chunk of the query: a term, a prefix, or several words that must all
    be there ("x-ray", "foo:bar"; any of them in any_word mode, as on Whoosh). For domain:
    and tag: the whole chunk (or quoted text) is one value."""
    if field == "domain":
        value = raw.strip().lower()
        return Term(value, "domain", start=start, end=start + len(raw)) if value else None
    if field == "tag":
        value = tag_key(raw)
        return Term(value, "tag", start=start, end=start + len(raw)) if value else None
    if raw.endswith("*") and (stem := WORD.fullmatch(raw[:-1])):
        if check_prefix and len(stem.group()) < MIN_PREFIX_CHARS:
            raise QueryError(
                f"A prefix search needs at least {MIN_PREFIX_CHARS} letters before the *."
            )
        return Term(stem.group(), field, prefix=True, start=start, end=start + len(raw) - 1)
    terms = [
        Term(m.group(), field, start=start + m.start(), end=start + m.end())
        for m in WORD.finditer(raw)
    ]
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return Or(tuple(terms)) if any_word else And(tuple(terms))


def _phrase(raw: str, start: int, field: Field) -> Node | None:
    if field in LABEL_FIELDS:
        return _words(raw, start, field)
    found = list(WORD.finditer(raw))
    if len(found) == 1:
        m = found[0]
        return Term(m.group(), field, start=start + m.start(), end=start + m.end())
    return Phrase(tuple(m.group() for m in found), field, start) if found else None


def parse(text: str, any_word: bool = False, check_prefix: bool = True) -> Node | None:
    """The tree of a cleaned query string (see clean()); None when it holds no words.

    Raises QueryError only for a prefix that is too short (unless ``check_prefix`` is False:
    then the backend checks prefixes after its own analysis, as Whoosh does on the stem); the
    caller checks the clause limit (check_clauses) once it knows which words its backend keeps.
    """
    return _Parser(_tokens(text), any_word, check_prefix).sequence(None, 0)
