"""rebuild(): a fresh index swapped in atomically; damaged and foreign indexes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import IndexLocked, IndexRecord, IndexUnavailable, SearchIndex, SearchQuery
from index.whoosh._store import Store
from tests.index._helpers import add_all, day, record

WORDS = ["python", "memory", "garbage", "collector", "interpreter", "bytecode", "parser"]


def corpus() -> list[IndexRecord]:
    return [
        record(
            i,
            title=f"{WORDS[i % 7]} notes {i}",
            text=f"{WORDS[(i * 3) % 7]} and {WORDS[(i * 5) % 7]} in depth, part {i}.",
            section=f"S{i % 3}",
            domain=f"d{i % 4}.org",
            archived_at=day(i),
        )
        for i in range(1, 41)
    ]


def summary(index: SearchIndex, q: str) -> tuple[int, list[int], dict[str, dict[str, int]]]:
    page = index.search(SearchQuery(q, per_page=100))
    return page.total, [hit.id for hit in page.hits], page.facets


def test_rebuild_equals_incremental(tmp_path: Path) -> None:
    incremental = SearchIndex(tmp_path / "a")
    for start in range(0, 40, 7):  # several batches, like an archive run
        add_all(incremental, corpus()[start : start + 7])
    rebuilt = SearchIndex(tmp_path / "b")
    assert rebuilt.rebuild(corpus()) == 40

    assert rebuilt.indexed_ids() == incremental.indexed_ids() == set(range(1, 41))
    for q in ["python", "memory garbage", '"garbage collector"', "parser -python", "title:notes"]:
        assert summary(rebuilt, q) == summary(incremental, q), q


def test_rebuild_replaces_everything(index: SearchIndex) -> None:
    add_all(index, [record(1, text="old stuff"), record(2, text="old stuff")])
    assert index.rebuild([record(3, text="new stuff")]) == 1
    assert index.indexed_ids() == {3}
    assert index.search(SearchQuery("old")).total == 0


def test_rebuild_skips_repeated_ids(index: SearchIndex) -> None:
    assert index.rebuild([record(1, text="first"), record(1, text="second")]) == 1
    assert index.doc_count() == 1


def test_failed_rebuild_leaves_the_old_index(index: SearchIndex) -> None:
    add_all(index, [record(1, text="survivor")])

    def broken() -> Iterator[IndexRecord]:
        yield record(2, text="half")
        raise OSError("database went away")

    with pytest.raises(OSError, match="went away"):
        index.rebuild(broken())
    assert index.indexed_ids() == {1}
    assert index.search(SearchQuery("survivor")).total == 1
    assert not [p for p in index.path.iterdir() if p.name.startswith("build-")]


def test_readers_see_old_or_new_never_half(index: SearchIndex, index_path: Path) -> None:
    add_all(index, [record(i, text="generation one") for i in range(5)])
    observer = SearchIndex(index_path, refresh_interval=0.0)
    seen: list[int] = []

    def records() -> Iterator[IndexRecord]:
        for i in range(100, 110):
            # Mid-rebuild, another reader still sees the complete old index.
            seen.append(observer.search(SearchQuery("generation")).total)
            yield record(i, text="generation two")

    index.rebuild(records())
    assert set(seen) == {5}
    assert observer.search(SearchQuery("generation")).total == 10
    assert observer.indexed_ids() == set(range(100, 110))


def test_rebuild_waits_for_the_write_lock(index_path: Path) -> None:
    index = SearchIndex(index_path, lock_timeout=0.2)
    with Store(index_path).lock(timeout=1), pytest.raises(IndexLocked):
        index.rebuild([record(1)])


def test_damaged_current_pointer(index_path: Path) -> None:
    SearchIndex(index_path).close()
    (index_path / "CURRENT").write_text("{not json")
    index = SearchIndex(index_path)
    for call in (index.doc_count, index.indexed_ids, lambda: index.search(SearchQuery("x"))):
        with pytest.raises(IndexUnavailable, match="linkvault reindex"):
            call()
    assert index.rebuild([record(1, text="repaired")]) == 1
    assert index.search(SearchQuery("repaired")).total == 1


def test_index_from_another_version_is_refused(index_path: Path) -> None:
    SearchIndex(index_path).close()
    pointer = index_path / "CURRENT"
    info = json.loads(pointer.read_text())
    pointer.write_text(json.dumps({**info, "version": info["version"] + 1}))
    with pytest.raises(IndexUnavailable, match="another version"):
        SearchIndex(index_path).doc_count()


def _index_of_version_3(path: Path) -> None:
    """An index as linkvault wrote it before tags and notes (schema version 3): its fields
    without note, tag, tags and tag_keys, one document, CURRENT naming version 3."""
    from whoosh import index as whoosh_index

    from index.whoosh._schema import build_schema

    old = build_schema()
    for name in ("note", "tag", "tags", "tag_keys"):
        old.remove(name)
    generation = path / "gen-20261201000000-00000000"
    generation.mkdir(parents=True)
    ix = whoosh_index.create_in(str(generation), old)
    with ix.writer() as writer:
        writer.add_document(id="1", url="https://example.com/1", title="Old", text="old words")
    (path / "CURRENT").write_text(
        json.dumps({"format": "linkvault-index", "version": 3, "generation": generation.name})
    )


def test_an_index_from_before_tags_and_notes_is_refused_until_rebuilt(index_path: Path) -> None:
    _index_of_version_3(index_path)
    index = SearchIndex(index_path)
    for call in (index.doc_count, lambda: index.search(SearchQuery("old")), index.writer):
        with pytest.raises(IndexUnavailable, match="another version.*linkvault reindex"):
            call()
    assert index.rebuild([record(1, text="old words", tags=("Kept",), note="a note")]) == 1
    assert [hit.tags for hit in index.search(SearchQuery("tag:kept note")).hits] == [["Kept"]]
    index.close()


def test_damaged_segment_files(index_path: Path) -> None:
    index = SearchIndex(index_path)
    add_all(index, [record(1, text="fragile")])
    index.close()
    generation = Store(index_path).current().path
    for f in generation.iterdir():
        if f.suffix in (".seg", ".toc"):
            f.write_bytes(b"\0" * 64)
    with pytest.raises(IndexUnavailable, match="linkvault reindex"):
        SearchIndex(index_path).search(SearchQuery("fragile"))


def test_folder_with_other_files_is_not_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    index = SearchIndex(folder)
    with pytest.raises(IndexUnavailable):
        index.doc_count()
    assert (folder / "notes.txt").read_text() == "mine"
    assert index.rebuild([record(1)]) == 1
    assert index.doc_count() == 1


def test_replaced_generations_are_removed_after_a_grace_period(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    index.rebuild([record(1)])
    index.rebuild([record(2)])
    generations = [p for p in index.path.iterdir() if p.name.startswith("gen-")]
    assert len(generations) >= 2  # the replaced ones are kept for readers still on them
    monkeypatch.setattr("index.whoosh._store.RETIRED_GRACE_SECONDS", -1.0)
    index.rebuild([record(3)])
    generations = [p for p in index.path.iterdir() if p.name.startswith("gen-")]
    assert len(generations) <= 2
    assert index.indexed_ids() == {3}


def test_parallel_rebuild_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("index.whoosh._rebuild.REBUILD_SEGMENT_DOCS", 6)  # 7 segments
    serial = SearchIndex(tmp_path / "serial")
    parallel = SearchIndex(tmp_path / "parallel")
    assert serial.rebuild(corpus(), workers=1) == 40
    assert parallel.rebuild(corpus(), workers=2) == 40
    assert len(Store(parallel.path).open()._segments()) == 7
    assert parallel.indexed_ids() == serial.indexed_ids()
    for q in ["python", "memory garbage", '"garbage collector"', "parser -python", "title:notes"]:
        assert summary(parallel, q) == summary(serial, q), q


def test_failed_parallel_rebuild_leaves_the_old_index(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("index.whoosh._rebuild.REBUILD_SEGMENT_DOCS", 5)
    add_all(index, [record(1, text="survivor")])

    def broken() -> Iterator[IndexRecord]:
        yield from corpus()[:20]
        raise OSError("database went away")

    with pytest.raises(OSError, match="went away"):
        index.rebuild(broken(), workers=2)
    assert index.indexed_ids() == {1}
    assert not [p for p in index.path.iterdir() if p.name.startswith("build-")]
