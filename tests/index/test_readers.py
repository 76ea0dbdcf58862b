"""Searchers follow changes made by other writers, other processes and rebuilds."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from index import IndexUnavailable, SearchBusy, SearchIndex, SearchQuery
from tests.index._helpers import add_all, record
from tests.support.searchers import SearcherCount

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


# -- the pool: bounded, reused, and busy rather than unbounded -----------------------------


def run_threads(count: int, target) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded() -> None:
        try:
            target()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=guarded) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_searches_open_at_most_the_pool_size_and_reuse_them(
    index_path: Path, monkeypatch
) -> None:
    index = SearchIndex(index_path, max_searchers=3)
    add_all(index, [record(i, text=f"pooled words {i}") for i in range(30)])
    opens = SearcherCount(monkeypatch)

    def searches() -> None:
        for _ in range(10):
            assert index.search(SearchQuery("pooled", per_page=5)).total == 30

    assert run_threads(12, searches) == []
    # 120 searches by 12 threads: never more than 3 searchers, and no searcher opened per
    # search (the index did not change, so the first 3 served them all).
    assert opens.most_alive <= 3
    assert opens.opened <= 3
    assert index.open_searchers() == opens.alive <= 3
    index.close()
    assert opens.alive == 0


def test_a_search_waits_for_a_searcher_then_gets_one(index_path: Path) -> None:
    index = SearchIndex(index_path, max_searchers=1, searcher_wait=30.0)
    add_all(index, [record(1, text="patient words")])
    got: list[int] = []
    with index._pool.searcher():  # the only searcher, lent out
        waiter = threading.Thread(target=lambda: got.append(total(index, "patient")))
        waiter.start()
        waiter.join(timeout=0.3)
        assert waiter.is_alive() and got == []  # waiting, not failing and not opening another
    waiter.join(timeout=30)
    assert got == [1]
    assert index.open_searchers() == 1


def test_a_search_that_waits_too_long_is_told_the_index_is_busy(index_path: Path) -> None:
    index = SearchIndex(index_path, max_searchers=1, searcher_wait=0.05)
    add_all(index, [record(1, text="crowded words")])
    with index._pool.searcher():
        with pytest.raises(SearchBusy, match="busy"):
            index.search(SearchQuery("crowded"))
        assert isinstance(SearchBusy("x"), IndexUnavailable)  # old callers still get a 503
    assert total(index, "crowded") == 1


def test_a_change_replaces_searchers_without_exceeding_the_pool(
    index_path: Path, monkeypatch
) -> None:
    reader = SearchIndex(index_path, refresh_interval=0.0, max_searchers=2, searcher_wait=30.0)
    writer = SearchIndex(index_path)
    add_all(writer, [record(1, text="before change")])
    assert total(reader, "before") == 1
    opens = SearcherCount(monkeypatch)
    found: list[int] = []
    with reader._pool.searcher(), reader._pool.searcher():  # both lent, of the old version
        add_all(writer, [record(2, text="after change")])
        waiter = threading.Thread(target=lambda: found.append(total(reader, "after")))
        waiter.start()
        waiter.join(timeout=0.3)
        assert waiter.is_alive()  # a third searcher would exceed the pool: it waits
    waiter.join(timeout=30)
    assert found == [1]  # a new searcher, on the new version
    assert opens.most_alive <= 2
    assert reader.open_searchers() <= 2


def test_limit_searches_shrinks_the_idle_searchers(index_path: Path) -> None:
    index = SearchIndex(index_path, max_searchers=4)
    add_all(index, [record(i, text="shrinking words") for i in range(5)])
    assert run_threads(8, lambda: [total(index, "shrinking") for _ in range(5)]) == []
    assert 1 <= index.open_searchers() <= 4
    index.limit_searches(1)
    assert index.max_searchers == 1
    assert index.open_searchers() == 1
    assert total(index, "shrinking") == 5
