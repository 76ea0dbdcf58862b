"""Parts of the search statements with named parameters, so that each statement is built once
per shape and reused with new values.

Building a SQLAlchemy statement (its subqueries, column collections and cache key) cost more
of the web process's CPU than PostgreSQL spent running it: ~8 ms of Python per search. The
statements of a search now hold no values, only named parameters (``where_q``, ``rank_q``,
the filters' ``f_*``...), and are kept by shape: which filters, how many words scored apart,
whether there is a snippet. A query whose condition is not all on the tsvector (`section:`,
`domain:`, `tag:` in the query) builds its statements each time, as before.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY

from index import _syntax as syn
from index._request import as_utc
from index._types import SearchQuery
from index.postgres._query import Compiled, has_tag, target_of
from index.postgres._tables import documents


def text_param(name: str) -> sa.BindParameter[str]:
    return sa.bindparam(name, type_=sa.Text)


def tsquery_param(name: str) -> sa.ColumnElement[Any]:
    """A tsquery text given at execution, cast without normalising (it is normalised)."""
    return sa.cast(text_param(name), TSQUERY)


def int_array_param(name: str) -> sa.ColumnElement[Any]:
    return sa.cast(sa.bindparam(name, type_=ARRAY(sa.Integer)), ARRAY(sa.Integer))


# The condition of a query all on the tsvector: every query of words and phrases.
TSV_MATCH = documents.c.tsv.op("@@", is_comparison=True)(tsquery_param("where_q"))


@dataclass(slots=True)
class Condition:
    """Which documents match: TSV_MATCH with ``where_q`` (``shaped``), or a condition built
    for this query (section:, domain:, tag: in it)."""

    clause: sa.ColumnElement[bool]
    params: dict[str, Any]
    shaped: bool


def condition(compiled: Compiled) -> Condition:
    # All on the tsvector, compiled.rank is the tsquery text of compiled.where.
    if compiled.rank is not None and target_of(compiled.tree) == "tsv":
        return Condition(TSV_MATCH, {"where_q": compiled.rank}, True)
    return Condition(compiled.where, {}, False)


@dataclass(slots=True)
class Filters:
    """A search's filters: ``shape`` names them (the key of the statements built for it),
    ``params`` holds their values."""

    shape: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def clauses(self) -> tuple[sa.ColumnElement[bool], ...]:
        return filter_clauses(self.shape)


def search_filters(sq: SearchQuery) -> Filters:
    filters = Filters()
    shape: list[str] = []
    for name, value in (("section", sq.section), ("domain", sq.domain)):
        if not value:
            continue
        if name == "domain":
            value = value.strip().lower()
        if "\x00" in value:  # PostgreSQL text cannot hold NUL, so nothing indexed has it.
            shape.append("nothing")
        else:
            shape.append(name)
            filters.params[f"f_{name}"] = value
    if sq.tag:
        # A tag of nothing but spaces matches no page (no document has an empty key).
        key = syn.tag_key(sq.tag)
        shape.append("tag" if key else "nothing")
        filters.params["f_tag"] = [key]
    if sq.date_from is not None:
        shape.append(f"from:{sq.date_field}")
        filters.params["f_from"] = as_utc(sq.date_from)
    if sq.date_to is not None:
        shape.append(f"to:{sq.date_field}")
        filters.params["f_to"] = as_utc(sq.date_to)
    filters.shape = tuple(shape)
    return filters


@functools.lru_cache(maxsize=256)
def filter_clauses(shape: tuple[str, ...]) -> tuple[sa.ColumnElement[bool], ...]:
    d = documents.c
    clauses: list[sa.ColumnElement[bool]] = []
    for part in shape:
        kind, _, date_field = part.partition(":")
        if kind == "nothing":
            clauses.append(sa.false())
        elif kind in ("section", "domain"):
            clauses.append(d[kind] == text_param(f"f_{kind}"))
        elif kind == "tag":
            clauses.append(has_tag(sa.bindparam("f_tag", type_=ARRAY(sa.Text))))
        elif kind == "from":
            clauses.append(d[date_field] >= sa.bindparam("f_from", type_=sa.DateTime(True)))
        elif kind == "to":
            clauses.append(d[date_field] <= sa.bindparam("f_to", type_=sa.DateTime(True)))
    return tuple(clauses)
