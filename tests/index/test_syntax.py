"""The backend-neutral query parser (index/_syntax.py): Whoosh's precedence, text for whatever
is not syntax, and the same limits as index/whoosh/_parse.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index import QueryError
from index import _syntax as syn
from index._syntax import And, Not, Or, Phrase, Term
from index.whoosh import _parse


def t(word: str, field: syn.Field = None, prefix: bool = False) -> Term:
    return Term(word, field, prefix)


def shape(node: syn.Node | None) -> object:
    """The tree without the words' positions."""
    if node is None or isinstance(node, Phrase):
        return node
    if isinstance(node, Term):
        return t(node.word, node.field, node.prefix)
    if isinstance(node, Not):
        return Not(shape(node.child))  # type: ignore[arg-type]
    return type(node)(tuple(shape(child) for child in node.children))  # type: ignore[misc]


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("alpha", t("alpha")),
        ("alpha beta", And((t("alpha"), t("beta")))),
        ('"alpha beta"', Phrase(("alpha", "beta"), None)),
        ('"alpha"', t("alpha")),
        ("alpha -beta", And((t("alpha"), Not(t("beta"))))),
        ("alpha NOT beta", And((t("alpha"), Not(t("beta"))))),
        # Juxtaposition binds loosest, then OR, then AND: as Whoosh parses it.
        ("alpha OR beta gamma", And((Or((t("alpha"), t("beta"))), t("gamma")))),
        ("alpha OR beta AND gamma", Or((t("alpha"), And((t("beta"), t("gamma")))))),
        ("(alpha OR beta) gamma", And((Or((t("alpha"), t("beta"))), t("gamma")))),
        ("pars*", t("pars", prefix=True)),
        ("title:gil", t("gil", "title")),
        ("title:(gil lock)", And((t("gil", "title"), t("lock", "title")))),
        ('title:"a phrase"', Phrase(("a", "phrase"), "title")),
        ("-title:gil beta", And((Not(t("gil", "title")), t("beta")))),
        ("section:tools", t("tools", "section")),
        ("domain:Docs.Python.org", t("docs.python.org", "domain")),
        ("tag:CPython", t("cpython", "tag")),
        ('tag:"CPython  Internals"', t("cpython internals", "tag")),
        ("tag:c++ gc", And((t("c++", "tag"), t("gc")))),
        ("-tag:rust memory", And((Not(t("rust", "tag")), t("memory")))),
        ("tag:(rust OR go)", Or((t("rust", "tag"), t("go", "tag")))),
        ("tag:", t("tag")),
        ('tag:""', None),
        ("x-ray", And((t("x"), t("ray")))),
        ("foo:bar", And((t("foo"), t("bar")))),
        ("title:", t("title")),
        ("NOT NOT alpha", t("alpha")),
        ("alpha OR", t("alpha")),
        ("OR alpha AND", t("alpha")),
        ("alpha OR OR beta", And((t("alpha"), t("beta")))),
        ("(alpha", t("alpha")),
        ("alpha)", t("alpha")),
        ('"unbalanced quote', And((t("unbalanced"), t("quote")))),
        ("word~ [a TO b] x^2 +plus", None),  # checked below: words only
        ("NOT alpha", Not(t("alpha"))),
        ("", None),
        ("*", None),
        ("-", None),
        ("😀 ()", None),
    ],
)
def test_parse(query: str, tree: object) -> None:
    parsed = syn.parse(syn.clean(query))
    if query.startswith("word~"):
        assert {leaf.word for leaf in syn.leaves(parsed)} == {  # type: ignore[union-attr]
            "word", "a", "TO", "b", "x", "2", "plus",
        }  # fmt: skip
        return
    assert shape(parsed) == tree


def test_any_word_mode_keeps_exclusions_required() -> None:
    parsed = syn.parse("alpha -beta gamma", any_word=True)
    assert shape(parsed) == And((Or((t("alpha"), t("gamma"))), Not(t("beta"))))
    assert shape(syn.parse("x-ray", any_word=True)) == Or((t("x"), t("ray")))


def test_word_positions_point_into_the_query() -> None:
    text = 'first title:second "third fourth" fif*'
    terms = [leaf for leaf in syn.leaves(syn.parse(text)) if isinstance(leaf, Term)]
    assert [text[term.start : term.end] for term in terms] == ["first", "second", "fif"]


def test_limits_match_the_whoosh_parser() -> None:
    for name in ("MAX_QUERY_CHARS", "MAX_CLAUSES", "MIN_PREFIX_CHARS", "MAX_PREFIX_EXPANSIONS"):
        assert getattr(syn, name) == getattr(_parse, name), name
    for text in ("a\x00b\u202ec\ufeff", " padded ", "tab\tand\u200bzero-width"):
        assert syn.clean(text) == _parse.clean(text)
    with pytest.raises(QueryError, match="too long"):
        syn.clean("x" * (syn.MAX_QUERY_CHARS + 1))
    with pytest.raises(QueryError, match="at least 3 letters"):
        syn.parse("ab*")
    many = syn.parse(" ".join(f"w{i}" for i in range(40)))
    with pytest.raises(QueryError, match="too many words"):
        syn.check_clauses(many)


def test_deep_nesting_is_text_not_a_crash() -> None:
    parsed = syn.parse("(" * 400 + "alpha" + ")" * 400)
    assert [leaf.word for leaf in syn.leaves(parsed)] == ["alpha"]  # type: ignore[union-attr]


@given(
    st.lists(st.sampled_from(list('ab ()"-*:') + ["OR ", "AND ", "NOT ", "title:"])).map("".join)
)
def test_anything_parses_to_a_tree_or_none(text: str) -> None:
    try:
        parsed = syn.parse(text)
    except QueryError:  # a short prefix
        return
    for leaf in syn.leaves(parsed):
        words = leaf.words if isinstance(leaf, Phrase) else (leaf.word,)
        assert all(words)


@pytest.mark.parametrize(
    ("tag", "query"),
    [
        ("Python", "tag:python"),
        ("C++", "tag:c++"),
        ("cpython internals", 'tag:"cpython internals"'),
        ("  Spaced \t out ", 'tag:"spaced out"'),
        ("f(x)", 'tag:"f(x)"'),
        ('say "hi"', 'tag:"say hi"'),
        ("AND", "tag:and"),
        ("-minus", "tag:-minus"),
    ],
)
def test_every_tag_has_a_query_that_finds_it(tag: str, query: str) -> None:
    assert syn.tag_query(tag) == query
    assert shape(syn.parse(syn.clean(query))) == t(syn.tag_key(tag), "tag")


def test_a_plain_word_counts_three_clauses_a_fielded_one_one() -> None:
    assert syn.clauses(syn.parse("alpha beta")) == 6  # title, text, note each
    assert syn.clauses(syn.parse("title:alpha tag:beta")) == 2
