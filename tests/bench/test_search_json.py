"""`python -m bench.search --json FILE`: the figures the report prints, in the shape issue 14
asks for, written from measurements given here (the bench itself is run by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from bench._common import LoadResult
from bench.search.load import InProcess
from bench.search.report import results_json, write_json


def measured(words: int, with_postgres: bool) -> InProcess:
    ms = [float(i) for i in range(1, 101)]  # 1..100 ms: p50 50.5, p95 95.05, p99 99.01
    return InProcess(
        words,
        whoosh=ms,
        fts5=[x / 2 for x in ms],
        fts5_counts=[x * 2 for x in ms],
        median_total=10,
        fallback_or=0,
        timed_out=0,
        fts5_empty=0,
        postgres=[x * 3 for x in ms] if with_postgres else None,
    )


def load(server: str, words: int) -> LoadResult:
    return LoadResult(server, words, 500, 50.0 * words, 12.5, 20.0, 31.25, 0, 1.04, 2.0)


def test_every_backend_and_length_with_its_percentiles(tmp_path: Path) -> None:
    local = [measured(words, with_postgres=True) for words in (1, 2, 3)]
    http = [load(server, words) for words in (1, 2, 3) for server in ("whoosh", "postgres")]
    out = tmp_path / "search.json"
    write_json(out, [results_json(2000, local, http)])

    data = json.loads(out.read_text())
    assert data["docs"] == 2000
    assert set(data["in_process"]) == {"whoosh", "postgres", "fts5", "fts5_count"}
    assert data["in_process"]["whoosh"]["2"] == {"p50_ms": 50.5, "p95_ms": 95.05, "p99_ms": 99.01}
    assert data["in_process"]["postgres"]["1"]["p50_ms"] == 151.5
    assert data["in_process"]["fts5_count"]["3"]["p99_ms"] == 198.02
    assert set(data["http"]) == {"whoosh", "postgres"}
    assert data["http"]["postgres"]["3"] == {
        "req_s": 150.0,
        "p50_ms": 12.5,
        "p99_ms": 31.25,
        "server_cores": 1.04,
    }


def test_a_backend_not_measured_is_left_out_and_sizes_make_a_list(tmp_path: Path) -> None:
    """--no-postgres: no postgres key (not zeros); several --docs: one object per size."""
    small = results_json(10, [measured(1, with_postgres=False)], [load("fts5", 1)])
    large = results_json(20, [measured(1, with_postgres=False)], [])
    out = tmp_path / "search.json"
    write_json(out, [small, large])

    data = json.loads(out.read_text())
    assert [d["docs"] for d in data] == [10, 20]
    assert "postgres" not in data[0]["in_process"]
    assert data[0]["http"] == {
        "fts5": {"1": {"req_s": 50.0, "p50_ms": 12.5, "p99_ms": 31.25, "server_cores": 1.04}}
    }
    assert data[1]["http"] == {}
