"""IndexWriter: add, replace, delete by id; batching; locking; failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from index import IndexLocked, IndexUnavailable, SearchIndex, SearchQuery
from index.whoosh._merge import FANOUT
from index.whoosh._store import Store
from tests.index._helpers import add_all, record

ROOT = Path(__file__).resolve().parents[2]


def titles(index: SearchIndex, q: str) -> list[str]:
    return [hit.title for hit in index.search(SearchQuery(q, per_page=100)).hits]


def wait_for(condition, timeout: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def test_new_index_is_empty(index: SearchIndex) -> None:
    assert index.doc_count() == 0
    assert index.indexed_ids() == set()
    assert index.search(SearchQuery("anything")).total == 0


def test_add_replace_delete_by_id(index: SearchIndex) -> None:
    add_all(index, [record(1, title="First", text="alpha"), record(2, title="Second", text="beta")])
    assert index.indexed_ids() == {1, 2}

    add_all(index, [record(1, title="First again", text="gamma")])
    assert index.doc_count() == 2
    assert titles(index, "gamma") == ["First again"]
    assert titles(index, "alpha") == []

    with index.writer() as writer:
        writer.delete(2)
    assert index.indexed_ids() == {1}
    assert titles(index, "beta") == []


def test_last_change_to_an_id_in_a_batch_wins(index: SearchIndex) -> None:
    with index.writer(batch_size=100) as writer:
        writer.add(record(7, text="first version"))
        writer.add(record(7, text="second version"))
        writer.add(record(8, text="doomed"))
        writer.delete(8)
    assert index.doc_count() == 1
    assert index.search(SearchQuery("second")).total == 1
    assert index.search(SearchQuery("first")).total == 0
    assert index.search(SearchQuery("doomed")).total == 0


def test_batches_are_visible_after_commit(index: SearchIndex) -> None:
    with index.writer(batch_size=1000, commit_interval=3600) as writer:
        writer.add(record(1, text="pending words"))
        assert index.search(SearchQuery("pending")).total == 0
        writer.commit()
        assert index.search(SearchQuery("pending")).total == 1
        writer.add(record(2, text="pending again"))
    assert index.search(SearchQuery("pending")).total == 2


def test_full_batches_commit_without_being_asked(index: SearchIndex) -> None:
    with index.writer(batch_size=5, commit_interval=3600) as writer:
        for i in range(12):
            writer.add(record(i, text="batched"))
        # Two full batches of five commit on their own; the last two wait for close.
        wait_for(lambda: index.doc_count() >= 10)
        assert index.doc_count() == 10
    assert index.doc_count() == 12


def test_commit_interval_commits_an_idle_batch(index: SearchIndex) -> None:
    with index.writer(batch_size=1000, commit_interval=0.2) as writer:
        writer.add(record(1, text="idle"))
        wait_for(lambda: index.search(SearchQuery("idle")).total == 1)


def test_exception_in_block_cancels_uncommitted_changes(index: SearchIndex) -> None:
    add_all(index, [record(1, text="kept")])
    with pytest.raises(RuntimeError), index.writer(commit_interval=3600) as writer:
        writer.add(record(2, text="lost"))
        raise RuntimeError("archiver crashed")
    assert index.indexed_ids() == {1}
    add_all(index, [record(3, text="later")])  # the index and its lock still work
    assert index.indexed_ids() == {1, 3}


def test_closed_writer_refuses_work(index: SearchIndex) -> None:
    writer = index.writer()
    writer.close()
    with pytest.raises(RuntimeError):
        writer.add(record(1))


def test_writer_waits_for_the_lock_then_raises(index_path: Path) -> None:
    index = SearchIndex(index_path, lock_timeout=0.3)
    store = Store(index_path)
    with store.lock(timeout=1.0), index.writer() as writer:
        writer.add(record(1, text="blocked"))
        with pytest.raises(IndexLocked, match=r"is locked by process \d+"):
            writer.commit()
    assert index.doc_count() == 0
    add_all(index, [record(1, text="unblocked")])  # lock released: writing works again
    assert index.doc_count() == 1


def test_two_indexes_on_one_folder_take_turns(index_path: Path) -> None:
    a = SearchIndex(index_path, lock_timeout=10)
    b = SearchIndex(index_path, lock_timeout=10)
    with a.writer(batch_size=3) as wa, b.writer(batch_size=3) as wb:
        for i in range(30):
            (wa if i % 2 else wb).add(record(i, text="shared folder"))
    assert a.indexed_ids() == b.indexed_ids() == set(range(30))


def test_many_small_commits_merge_without_losing_or_duplicating(index: SearchIndex) -> None:
    for batch in range(3 * FANOUT):
        add_all(index, [record(batch * 10 + i, text=f"merge test {batch}") for i in range(3)])
    # Replace some, so merged segments carry deletions too.
    add_all(
        index, [record(b * 10 + 1, text="merge test replaced") for b in range(0, 3 * FANOUT, 4)]
    )
    assert index.doc_count() == 3 * FANOUT * 3
    assert index.search(SearchQuery("merge")).total == 3 * FANOUT * 3
    assert index.indexed_ids() == {b * 10 + i for b in range(3 * FANOUT) for i in range(3)}
    assert index.search(SearchQuery("replaced")).total == len(range(0, 3 * FANOUT, 4))
    ix = Store(index.path).open()
    assert len(ix._segments()) < 2 * FANOUT  # merges happened


def test_a_writer_killed_mid_batch_leaves_the_index_usable(index_path: Path) -> None:
    index = SearchIndex(index_path)
    add_all(index, [record(1, text="before the crash")])
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from index import SearchIndex, IndexRecord
        from index.whoosh._writer import apply_batch
        from index.whoosh._store import Store
        idx = SearchIndex({str(index_path)!r})
        # Whoosh writes segment files before the TOC; die in the middle of a commit.
        import whoosh.writing
        real = whoosh.writing.SegmentWriter._commit_toc
        def die(self, segments):
            print("dying", flush=True)
            os.kill(os.getpid(), 9)
        whoosh.writing.SegmentWriter._commit_toc = die
        with idx.writer(batch_size=50) as w:
            for i in range(100, 160):
                w.add(IndexRecord(i, "u", "t", "never committed", None, "d", "ok", None, None))
            time.sleep(60)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert "dying" in proc.stdout

    fresh = SearchIndex(index_path, lock_timeout=5)
    assert fresh.indexed_ids() == {1}
    assert fresh.search(SearchQuery("never committed")).total == 0
    add_all(fresh, [record(2, text="after the crash")])  # lock free, leftovers cleaned
    assert fresh.indexed_ids() == {1, 2}
    assert fresh.search(SearchQuery("crash")).total == 2


def test_writer_on_a_damaged_index_raises_at_once(index_path: Path) -> None:
    SearchIndex(index_path).close()
    (index_path / "CURRENT").write_text("garbage")
    index = SearchIndex(index_path)
    with pytest.raises(IndexUnavailable, match="linkvault reindex"):
        index.writer()
