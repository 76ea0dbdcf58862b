"""The web page's search parameters, read leniently and turned back into links."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Literal
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from index import SearchQuery

PER_PAGE = 10
MAX_PAGE = 1000
# Facet values and the query are echoed into every link on the page; bounded so a giant URL
# cannot multiply itself dozens of times over.
MAX_PARAM_CHARS = 2000


@dataclass(frozen=True, slots=True)
class SearchState:
    q: str = ""
    page: int = 1
    section: str = ""
    domain: str = ""
    tag: str = ""
    sort: Literal["relevance", "date"] = "relevance"
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_params(cls, params: QueryParams) -> tuple[SearchState, list[str]]:
        """Never fails: unusable values are dropped and described in the returned problems."""
        problems: list[str] = []

        def text(name: str) -> str:
            value = params.get(name, "").strip()
            if len(value) > MAX_PARAM_CHARS:
                problems.append(f"The {name} was cut to {MAX_PARAM_CHARS} characters.")
                value = value[:MAX_PARAM_CHARS]
            return value

        def day(name: str) -> date | None:
            value = text(name)
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                problems.append(f"Ignored {name}: {value[:40]!r} is not a date (YYYY-MM-DD).")
                return None

        try:
            page = min(max(int(params.get("page", "1")), 1), MAX_PAGE)
        except ValueError:
            page = 1
        sort: Literal["relevance", "date"] = "date" if params.get("sort") == "date" else "relevance"
        state = cls(
            q=text("q"),
            page=page,
            section=text("section"),
            domain=text("domain"),
            tag=text("tag"),
            sort=sort,
            date_from=day("date_from"),
            date_to=day("date_to"),
        )
        if state.date_from and state.date_to and state.date_from > state.date_to:
            problems.append("The date range was empty (from is after to), so it was ignored.")
            state = replace(state, date_from=None, date_to=None)
        return state, problems

    @property
    def is_search(self) -> bool:
        return bool(self.q or self.has_filters)

    @property
    def has_filters(self) -> bool:
        return bool(self.section or self.domain or self.tag or self.date_from or self.date_to)

    def to_query(self) -> SearchQuery:
        return SearchQuery(
            text=self.q,
            page=self.page,
            per_page=PER_PAGE,
            section=self.section or None,
            domain=self.domain or None,
            tag=self.tag or None,
            date_from=None
            if self.date_from is None
            else datetime.combine(self.date_from, time.min, tzinfo=UTC),
            date_to=None
            if self.date_to is None
            else datetime.combine(self.date_to, time.max, tzinfo=UTC),
            sort=self.sort,
        )

    def url(self, **changes: object) -> str:
        """This search with some parameters changed; any change but the page goes to page 1."""
        if "page" not in changes:
            changes["page"] = 1
        state = replace(self, **changes)  # type: ignore[arg-type]
        params: list[tuple[str, str]] = [
            (name, str(value))
            for name, value in (
                ("q", state.q),
                ("section", state.section),
                ("domain", state.domain),
                ("tag", state.tag),
                ("date_from", state.date_from.isoformat() if state.date_from else ""),
                ("date_to", state.date_to.isoformat() if state.date_to else ""),
                ("sort", "" if state.sort == "relevance" else state.sort),
                ("page", "" if state.page == 1 else state.page),
            )
            if value
        ]
        return "/?" + urlencode(params) if params else "/"

    def page_numbers(self, last: int) -> list[int | None]:
        """Pages to link: first, last and two either side of this one; None marks a gap."""
        wanted = sorted({1, last, *range(max(1, self.page - 2), min(last, self.page + 2) + 1)})
        out: list[int | None] = []
        for number in wanted:
            if out and out[-1] is not None and number - out[-1] > 1:
                out.append(None)
            out.append(number)
        return out
