"""GET /api/search over a real Whoosh index built from the fixture archive."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.app._archive import (
    DOMAINS,
    INTERNALS,
    LONG_READ,
    NOTE,
    SECTIONS,
    XSS_NOTE,
    XSS_TAG,
    Archive,
)

RESULT_KEYS = {
    "id", "url", "title", "snippet", "section", "domain", "status", "score", "archived_at",
    "tags", "note",
}  # fmt: skip


def test_search_returns_the_documented_shape(client: TestClient, archive: Archive) -> None:
    response = client.get("/api/search", params={"q": "interpreter"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {
        "query", "total", "page", "per_page", "results", "facets", "suggestion",
        "fallback_or", "elapsed_ms", "timed_out",
    }  # fmt: skip
    assert body["query"] == "interpreter"
    assert body["total"] == archive.interpreter_docs
    assert (body["page"], body["per_page"]) == (1, 10)
    assert len(body["results"]) == 10
    assert body["fallback_or"] is False
    assert isinstance(body["elapsed_ms"], float | int)
    hit = body["results"][0]
    assert set(hit) == RESULT_KEYS
    assert hit["domain"] in DOMAINS
    assert hit["section"] in SECTIONS
    assert hit["status"] == "ok"
    assert "<mark>" in hit["snippet"].lower()
    assert hit["archived_at"].startswith("2024-")
    assert set(body["facets"]) == {"section", "domain", "tag"}
    assert sum(body["facets"]["section"].values()) == archive.interpreter_docs
    assert set(body["facets"]["domain"]) == set(DOMAINS)
    # Over all 24 hits, not this page: every third topic, every fourth.
    assert body["facets"]["tag"] == {"cpython internals": 8, "long read": 6}


def test_pagination_covers_every_hit_once(client: TestClient, archive: Archive) -> None:
    seen: list[int] = []
    for page in (1, 2, 3):
        body = client.get(
            "/api/search", params={"q": "interpreter", "page": page, "per_page": 10}
        ).json()
        assert body["page"] == page
        assert body["total"] == archive.interpreter_docs
        seen.extend(hit["id"] for hit in body["results"])
    assert len(seen) == len(set(seen)) == archive.interpreter_docs
    past_end = client.get("/api/search", params={"q": "interpreter", "page": 4}).json()
    assert past_end["results"] == []
    assert past_end["total"] == archive.interpreter_docs


def test_filters_pass_through(client: TestClient) -> None:
    body = client.get(
        "/api/search", params={"q": "interpreter", "section": "Memory", "per_page": 100}
    ).json()
    assert body["total"] == 8
    assert {hit["section"] for hit in body["results"]} == {"Memory"}

    body = client.get(
        "/api/search", params={"q": "interpreter", "domain": "akaptur.com", "per_page": 100}
    ).json()
    assert body["total"] == 6
    assert {hit["domain"] for hit in body["results"]} == {"akaptur.com"}

    # Archived 2024-03-01 + n days: the first five days hold five documents.
    body = client.get(
        "/api/search",
        params={"q": "interpreter", "date_from": "2024-03-01", "date_to": "2024-03-05"},
    ).json()
    assert body["total"] == 5


def test_tags_are_searched_filtered_counted_and_returned(
    client: TestClient, archive: Archive
) -> None:
    def search(**params: str) -> dict:  # type: ignore[type-arg]
        response = client.get("/api/search", params={"per_page": "100", **params})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    internals = search(q='tag:"CPython Internals"')
    assert internals["total"] == 8
    assert all(INTERNALS in hit["tags"] for hit in internals["results"])
    assert search(q="tag:cpython")["total"] == 0  # a tag is matched whole
    assert search(q='interpreter -tag:"long read"')["total"] == 24 - 6
    both = search(q='tag:"cpython internals" tag:"LONG READ"')
    assert sorted(hit["id"] for hit in both["results"]) == [
        archive.ids[f"topic{n}"] for n in (0, 12)
    ]
    assert both["facets"]["tag"] == {"cpython internals": 2, "long read": 2}
    filtered = search(q="interpreter", tag="Long  Read")
    assert filtered["total"] == 6
    assert filtered["facets"]["tag"] == {"long read": 6, "cpython internals": 2}
    assert [hit["tags"] for hit in filtered["results"]].count([INTERNALS, LONG_READ]) == 2
    assert search(q="interpreter", tag="")["total"] == 24  # an empty filter is no filter
    hostile = search(q="xssprobe")["results"][0]
    assert hostile["tags"] == [XSS_TAG, "hostile"]  # as written: the client escapes them
    assert hostile["note"] == XSS_NOTE
    assert search(q=f'tag:"{XSS_TAG}"')["total"] == 1


def test_a_note_is_searchable_and_returned(client: TestClient, archive: Archive) -> None:
    body = client.get("/api/search", params={"q": "notedword"}).json()
    assert [hit["id"] for hit in body["results"]] == [archive.ids["topic1"]]
    assert body["results"][0]["note"] == NOTE
    other = client.get("/api/search", params={"q": "interpreter", "per_page": 100}).json()
    assert sum(hit["note"] is not None for hit in other["results"]) == 1


def test_sort_by_date_gives_newest_first(client: TestClient) -> None:
    body = client.get(
        "/api/search", params={"q": "interpreter", "sort": "date", "per_page": 100}
    ).json()
    dates = [hit["archived_at"] for hit in body["results"]]
    assert dates == sorted(dates, reverse=True)


def test_dead_links_stay_searchable_with_their_status(client: TestClient, archive: Archive) -> None:
    body = client.get("/api/search", params={"q": "dodoword"}).json()
    assert [hit["id"] for hit in body["results"]] == [archive.ids["dead"]]
    assert body["results"][0]["status"] == "dead"


def test_or_fallback_is_reported(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "dodoword xssprobe"}).json()
    assert body["fallback_or"] is True
    assert body["total"] == 2


def test_a_misspelling_gets_a_suggestion(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "interpretr"}).json()
    assert body["suggestion"] is not None
    assert "interpreter" in body["suggestion"]


@pytest.mark.parametrize(
    "params",
    [
        {"page": "0"},
        {"page": "1001"},
        {"page": "abc"},
        {"per_page": "0"},
        {"per_page": "101"},
        {"sort": "random"},
        {"date_from": "2024-13-45"},
        {"date_to": "yesterday"},
    ],
)
def test_bad_parameters_are_422_json(client: TestClient, params: dict[str, str]) -> None:
    response = client.get("/api/search", params={"q": "interpreter", **params})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail
    assert all("input" not in error for error in detail)


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced quote',
        "(unbalanced (parens",
        "AND OR NOT",
        "AND",
        "-",
        "the of and",
        "title:",
        "🐍🐍🐍",
        "*",
        "inter*",
        "a" * 10_000,
        "word " * 2000,
        "\x00\x01 control",
        "section:",
        "domain:[a TO z]",
    ],
)
def test_malformed_queries_never_500(client: TestClient, query: str) -> None:
    response = client.get("/api/search", params={"q": query})
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if response.status_code == 400:
        assert isinstance(body["detail"], str) and body["detail"]
    else:
        assert isinstance(body["results"], list)


def test_huge_query_is_refused_with_json(client: TestClient) -> None:
    response = client.get("/api/search", params={"q": "x" * 30_000})
    assert response.status_code in (400, 414, 422)
    if response.status_code != 414:
        assert "detail" in response.json()


def test_inverted_date_range_is_a_400(client: TestClient) -> None:
    response = client.get(
        "/api/search",
        params={"q": "interpreter", "date_from": "2024-05-01", "date_to": "2024-01-01"},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "date_from is after date_to"}
