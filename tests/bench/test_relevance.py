"""`python -m bench.relevance`: the corpus and probes are the same for the same seed and each
probe's page holds what the probe looks for; a small run on both backends (a real Whoosh
index, a real throwaway PostgreSQL) writes its JSON and finds every rare-words probe first."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from bench import relevance
from bench._probes import KINDS, build
from bench.postgres import HOW_TO_ENABLE, find_binaries


def test_the_same_seed_gives_the_same_corpus_and_probes() -> None:
    first, again, other = build(200, 3), build(200, 3), build(200, 4)
    assert first.records == again.records and first.probes == again.probes
    assert first.records != other.records
    assert [r.id for r in first.records] == list(range(1, 201))


def test_each_probe_names_a_page_that_holds_its_words() -> None:
    probed = build(300, 1)
    assert {p.kind for p in probed.probes} == set(KINDS)
    pages = {r.id: r for r in probed.records}
    for probe in probed.probes:
        page = pages[probe.expected]
        held = f"{page.title} {page.text}".lower()
        if probe.kind in ("phrase", "stopphrase"):
            assert probe.query.strip('"').lower() in held, probe
        elif probe.kind in ("rare", "title", "ident_whole"):
            assert all(word in held for word in probe.query.lower().split()), probe


def test_a_small_run_on_both_backends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if find_binaries() is None:
        pytest.skip(HOW_TO_ENABLE)
    out = tmp_path / "relevance.json"
    argv = ["bench.relevance", "--docs", "200", "--json", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    relevance.main()

    data = json.loads(out.read_text())
    assert data["docs"] == 200
    assert set(data["backends"]) == {"whoosh", "postgres"}
    for name, results in data["backends"].items():
        assert set(results) == {"overall", *KINDS}, name
        assert results["rare"]["top1"] == 1.0, name
        assert 0.0 <= results["overall"]["top1"] <= results["overall"]["mrr"] <= 1.0
        for probe, expected, got in data["failures"][name]:
            assert probe and re.match(r"#\d+ ", expected), (probe, expected, got)
