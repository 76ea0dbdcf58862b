"""Searchers follow changes made by other writers, other processes and rebuilds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from index import SearchIndex, SearchQuery
from tests.index._helpers import add_all, record

ROOT = Path(__file__).resolve().parents[2]


def total(index: SearchIndex, q: str) -> int:
    return index.search(SearchQuery(q)).total


def test_sees_documents_from_another_instance(index_path: Path) -> None:
    reader = SearchIndex(index_path, refresh_interval=0.0)
    writer = SearchIndex(index_path)
    assert total(reader, "elsewhere") == 0  # a searcher is open and cached now
    add_all(writer, [record(1, text="written elsewhere")])
    assert total(reader, "elsewhere") == 1
    with writer.writer() as w:
        w.delete(1)
    assert total(reader, "elsewhere") == 0
    assert reader.doc_count() == 0


def test_sees_documents_from_another_process(index_path: Path) -> None:
    reader = SearchIndex(index_path, refresh_interval=0.0)
    assert total(reader, "subprocess") == 0
    script = textwrap.dedent(
        f"""
        from index import SearchIndex, IndexRecord
        idx = SearchIndex({str(index_path)!r})
        with idx.writer() as w:
            for i in range(5):
                w.add(IndexRecord(i, "u", "t", "from a subprocess", None, "d", "ok", None, None))
        """
    )
    subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert total(reader, "subprocess") == 5
    assert reader.indexed_ids() == set(range(5))


def test_merges_seen_by_an_open_reader_do_not_duplicate(index_path: Path) -> None:
    # whoosh-reloaded's Searcher.refresh() shows merged documents twice; ours must not.
    reader = SearchIndex(index_path, refresh_interval=0.0)
    writer = SearchIndex(index_path)
    for batch in range(25):
        add_all(writer, [record(batch * 2 + i, text="merged docs") for i in range(2)])
        assert total(reader, "merged") == (batch + 1) * 2
    assert reader.doc_count() == 50


def test_sees_a_rebuild_by_another_instance(index_path: Path) -> None:
    reader = SearchIndex(index_path, refresh_interval=0.0)
    add_all(reader, [record(1, text="before rebuild")])
    assert total(reader, "before") == 1
    SearchIndex(index_path).rebuild([record(2, text="after rebuild")])
    assert total(reader, "before") == 0
    assert total(reader, "after") == 1


def test_local_commits_are_visible_at_once_despite_the_refresh_interval(
    index_path: Path,
) -> None:
    index = SearchIndex(index_path, refresh_interval=3600)
    assert total(index, "local") == 0
    add_all(index, [record(1, text="local write")])
    assert total(index, "local") == 1


def test_concurrent_searches_while_writing(index_path: Path) -> None:
    index = SearchIndex(index_path, refresh_interval=0.0)
    add_all(index, [record(i, text=f"steady words {i}") for i in range(50)])
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_loop() -> None:
        try:
            while not stop.is_set():
                page = index.search(SearchQuery("steady", per_page=5))
                assert page.total >= 50
                assert len(page.hits) == 5
                assert all("<mark>steady</mark>" in h.snippet for h in page.hits)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=search_loop) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for batch in range(10):
            add_all(index, [record(100 + batch * 5 + i, text="steady more") for i in range(5)])
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[0]
    assert total(index, "steady") == 100
