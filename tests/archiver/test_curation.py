"""Curating links in the store, on SQLite and PostgreSQL: edits that survive refresh, removals
that take everything a link owns (and nothing else), results for a removed link recorded
nowhere, and the tag filter."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from archiver import KEEP, InvalidField, InvalidTag, LinkChanges, LinkGone, Store, tagged
from archiver.images import FigureImages
from archiver.models import Check, Image, Link, LinkStatus, Snapshot, SnapshotImage
from archiver.pipeline import Pipeline
from archiver.queue import ARCHIVE, enqueue
from archiver.records import LinkSpec, StoredPage
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.sources import parse_text, read_source
from tests.archiver._images_support import (
    archive,
    config,
    count,
    page,
    png,
    refresh,
    stored_images,
    use_stand_in_extraction,
)
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import Exchange, LocalSite


@pytest.fixture(autouse=True)
def stand_in_extraction(monkeypatch: pytest.MonkeyPatch) -> None:
    use_stand_in_extraction(monkeypatch)


def _rows(store: Store, table: type[Any], link_id: int) -> int:
    with store.session() as session:
        query = select(func.count()).select_from(table).where(table.link_id == link_id)
        return session.scalar(query) or 0


def _foreign_key_problems(store: Store) -> list[Any]:
    if store.engine.dialect.name != "sqlite":
        return []  # PostgreSQL refuses them outright
    with store.engine.connect() as conn:
        return list(conn.execute(text("PRAGMA foreign_key_check")))


def test_removing_links_takes_what_they_own_and_the_images_nothing_else_shows(
    store: Store, local_site: LocalSite
) -> None:
    local_site.route("/mine.png", png(seed=1), content_type="image/png")
    local_site.route("/shared.png", png(seed=2), content_type="image/png")
    local_site.route("/one", page("One", "/mine.png", "/shared.png"))
    local_site.route("/two", page("Two", "/shared.png"))
    edited = EditablePage("Three", pages.filler("the first version"))
    local_site.route("/three", handler=edited)
    archive(store, [local_site.url("/one")], config())
    links = archive(store, [local_site.url("/two"), local_site.url("/three")], config())
    edited.edit(pages.filler("a second version"))
    refresh(store, config())
    one, two, three = (links[local_site.url(p)] for p in ("/one", "/two", "/three"))
    enqueue(store.engine, [one.id, three.id], ARCHIVE)
    assert len(stored_images(store)) == 2 and _rows(store, Snapshot, three.id) == 2

    removed = store.curation.remove([one.id, 10_000])
    assert [(link.id, link.url, link.shown_title) for link in removed] == [
        (one.id, local_site.url("/one"), "One")
    ]
    assert store.links.get_link(one.id) is None
    assert _rows(store, Snapshot, one.id) == _rows(store, Check, one.id) == 0
    # Its own image went; the one the second page shows too stayed.
    assert list(stored_images(store).values()) == [png(seed=2)]
    assert count(store, SnapshotImage) == 1
    assert store.links.get_link(two.id) is not None and _rows(store, Check, two.id) == 2

    removed = store.curation.remove([three.id, two.id, two.id])
    assert [link.id for link in removed] == [three.id, two.id]
    for table in (Link, Snapshot, Check, SnapshotImage, Image):
        assert count(store, table) == 0, table
    assert _foreign_key_problems(store) == []
    assert store.curation.remove([two.id]) == []


def _add(store: Store, url: str, **fields: Any) -> int:
    spec = LinkSpec(url, url, fields.pop("title", None), None, "test", None, **fields)
    return store.links.add_links([spec]).link_ids[0]


def test_an_edit_sets_what_it_is_given_and_marks_the_link_for_the_index(store: Store) -> None:
    link_id = _add(store, "https://a.example/", title="Listed", tags=("python",))
    store.index_bookkeeping.mark_indexed([link_id])
    edited = store.curation.edit(
        link_id,
        LinkChanges(
            title="  My   title ",
            section="Books / Python",
            note="first line\r\nsecond line  \n\n",
            add_tags=["CPython internals", "PYTHON"],
        ),
    )
    assert edited is not None
    assert edited.changed == ("title", "section", "note", "tags")
    link = edited.link
    assert (link.title, link.section, link.note) == (
        "My title",
        "Books / Python",
        "first line\nsecond line",
    )
    assert link.tags == ("python", "CPython internals")
    assert store.index_bookkeeping.ids_needing_index() == [link_id]

    store.index_bookkeeping.mark_indexed([link_id])
    again = store.curation.edit(link_id, LinkChanges(title="My title", remove_tags=["Python"]))
    assert again is not None and again.changed == ("tags",)
    assert again.link.tags == ("CPython internals",)

    cleared = store.curation.edit(link_id, LinkChanges(title="", section=None, note="  ", tags=[]))
    assert cleared is not None
    assert (cleared.link.title, cleared.link.section, cleared.link.note) == (None, None, None)
    assert cleared.link.tags == () and cleared.link.shown_title == "https://a.example/"

    nothing = store.curation.edit(link_id, LinkChanges())
    assert nothing is not None and nothing.changed == ()
    assert store.curation.edit(10_000, LinkChanges(title="x")) is None


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (LinkChanges(tags=["ok", ""]), InvalidTag, "empty"),
        (LinkChanges(add_tags=["x" * 65]), InvalidTag, "65 characters"),
        (LinkChanges(add_tags=["a,b"]), InvalidTag, "comma"),
        (LinkChanges(remove_tags=["bad\x01"]), InvalidTag, "control character"),
        (LinkChanges(tags="python"), InvalidTag, "a list of tags"),
        (LinkChanges(add_tags=[f"t{n}" for n in range(101)]), InvalidTag, "at most 100 tags"),
        (LinkChanges(title="x" * 1001), InvalidField, "at most 1000"),
        (LinkChanges(section="nul\x00"), InvalidField, "control character"),
        (LinkChanges(note="x" * 10_001), InvalidField, "at most 10000"),
        (LinkChanges(note="bell\x07"), InvalidField, "control character"),
    ],
)
def test_a_refused_edit_changes_nothing(
    store: Store, changes: LinkChanges, error: type[Exception], message: str
) -> None:
    link_id = _add(store, "https://a.example/", title="Kept", tags=("kept",))
    with pytest.raises(error, match=message):
        store.curation.edit(link_id, changes)
    (link,) = store.curation.describe([link_id])
    assert (link.title, link.tags) == ("Kept", ("kept",))


def test_what_the_owner_set_survives_a_refresh(store: Store, local_site: LocalSite) -> None:
    edited = EditablePage("The page's own title", pages.filler("the first version"))
    local_site.route("/p", handler=edited)
    link = archive(store, [local_site.url("/p")], config())[local_site.url("/p")]
    result = store.curation.edit(
        link.id,
        LinkChanges(title="Mine", section="Reading", tags=["later"], note="read it twice"),
    )
    assert result is not None
    edited.title = "A new title from the page"
    edited.edit(pages.filler("a second version of the text"))
    refresh(store, config())
    with store.session() as session:
        stored = session.get_one(Link, link.id)
        assert stored.snapshot is not None
        assert stored.snapshot.title == "A new title from the page"  # the page's, in its copy
        assert (stored.title, stored.section, stored.tags, stored.note) == (
            "Mine",
            "Reading",
            ["later"],
            "read it twice",
        )
    assert _rows(store, Snapshot, link.id) == 2
    # And clearing the title shows the page's own again.
    cleared = store.curation.edit(link.id, LinkChanges(title=""))
    assert cleared is not None and cleared.link.shown_title == "A new title from the page"
    # KEEP (the default) leaves a field as it is, unlike None, which clears it.
    kept = store.curation.edit(link.id, LinkChanges(title=KEEP, section=None))
    assert kept is not None and kept.changed == ("section",) and kept.link.tags == ("later",)


def _page() -> StoredPage:
    return StoredPage(
        final_url="https://gone.example/",
        http_status=200,
        content_type="text/html",
        headers={},
        content_hash="0" * 64,
        raw_compressed=b"",
        size=0,
        kind="html",
        text="text",
        error=None,
        title=None,
        author=None,
        published=None,
        sitename=None,
        description=None,
        language=None,
    )


def test_results_for_a_removed_link_are_recorded_nowhere(store: Store) -> None:
    gone = _add(store, "https://gone.example/")
    kept = _add(store, "https://kept.example/")
    store.curation.remove([gone])
    for record in (
        lambda: store.links.record_page(gone, _page()),
        lambda: store.links.record_failure(gone, LinkStatus.FAILED, "timeout", None),
        lambda: store.links.record_failure(gone, LinkStatus.DEAD, "404", 404),
        lambda: store.links.record_inconclusive(gone, "network down", None),
        lambda: store.links.record_unchanged(gone, 304),
    ):
        with pytest.raises(LinkGone):
            record()
    assert store.links.record_unchanged_many([(gone, 304), (kept, 304)]) == {gone}
    assert store.images.attach(gone, "0" * 64, FigureImages()) is None
    assert store.images.attach_to_snapshot(10_000, FigureImages()) is False
    assert count(store, Link) == 1 and count(store, Snapshot) == 0
    assert _rows(store, Check, kept) == 1 and count(store, Check) == 1


def _held_page(release: threading.Event, arrived: threading.Event) -> Any:
    def handler(ex: Exchange) -> None:
        arrived.set()
        release.wait(30)
        ex.respond(200, pages.article("Held", pages.filler("held back")).encode())

    return handler


@pytest.mark.parametrize("refreshing", [False, True])
def test_a_fetch_in_flight_when_its_link_is_removed_brings_nothing_back(
    store: Store, local_site: LocalSite, refreshing: bool
) -> None:
    release, arrived = threading.Event(), threading.Event()
    local_site.route("/held", pages.article("Held", pages.filler("first")).encode())
    local_site.route("/other", pages.article("Other", pages.filler("other")).encode())
    urls = [local_site.url("/held"), local_site.url("/other")]
    ids = store.links.add_links(parse_text("\n".join(urls), "t.txt").links).link_ids
    if refreshing:
        archive(store, urls, config())
        tasks = refresh_tasks(store, RefreshSelection(everything=True), timedelta(0))
    else:
        tasks = store.links.tasks_for_archive(ids)
    local_site.route("/held", handler=_held_page(release, arrived))
    summary: list[Any] = []

    def run() -> None:
        with ThreadPoolExecutor(max_workers=1) as executor:
            pipeline = Pipeline(store.links, config(), workers=1, executor=executor)
            summary.append(asyncio.run(pipeline.run(tasks)))

    worker = threading.Thread(target=run)
    worker.start()
    assert arrived.wait(30)
    assert [link.id for link in store.curation.remove([ids[0]])] == [ids[0]]
    release.set()
    worker.join(60)
    assert not worker.is_alive()
    assert summary[0].counts == {"removed": 1, "ok": 1}, summary[0]
    assert store.links.get_link(ids[0]) is None
    assert _rows(store, Snapshot, ids[0]) == _rows(store, Check, ids[0]) == 0
    assert store.links.get_link(ids[1]) is not None


@pytest.fixture
def tagged_links(store: Store) -> Iterator[dict[str, int]]:
    yield {
        "python": _add(store, "https://a.example/", tags=("Python", "CPython internals")),
        "py": _add(store, "https://b.example/", tags=("py",)),
        "quote": _add(store, "https://c.example/", tags=('say "hi"', "back\\slash")),
        "none": _add(store, "https://d.example/"),
        "umlaut": _add(store, "https://e.example/", tags=("Ärger",)),
    }


def _tagged(store: Store, tag: str) -> list[int]:
    with store.session() as session:
        condition = tagged(tag, store.engine.dialect.name)
        return list(session.scalars(select(Link.id).where(condition).order_by(Link.id)))


def test_the_tag_filter_matches_whole_tags_whatever_their_case(
    store: Store, tagged_links: dict[str, int]
) -> None:
    assert _tagged(store, "python") == [tagged_links["python"]]
    assert _tagged(store, "PY") == [tagged_links["py"]]
    assert _tagged(store, "cpython INTERNALS") == [tagged_links["python"]]
    assert _tagged(store, 'say "hi"') == [tagged_links["quote"]]
    assert _tagged(store, "back\\slash") == [tagged_links["quote"]]
    assert _tagged(store, "internals") == []
    assert _tagged(store, "%") == [] and _tagged(store, "") == []
    assert _tagged(store, "Ärger") == [tagged_links["umlaut"]]
    if store.engine.dialect.name == "sqlite":
        # Folded as Python folds; on PostgreSQL non-ASCII case follows the database's locale.
        assert _tagged(store, "ärger") == [tagged_links["umlaut"]]


def test_an_imported_bookmark_keeps_its_note(tmp_path: Path, store: Store) -> None:
    text = (
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n"
        '<DT><A HREF="https://a.example.com/">A</A>\n<DD>Read the &lt;second&gt; part.\n'
        "Then the third.\n"
        "<DT><H3>Folder</H3>\n<DD>not a bookmark's note\n<DL><p>\n"
        '<DT><A HREF="https://b.example.com/">B</A>\n'
        "</DL><p>\n</DL>\n"
    )
    path = tmp_path / "bookmarks.html"
    path.write_text(text, encoding="utf-8")
    ids = store.links.add_links(read_source(str(path)).links).link_ids
    notes = [link.note for link in store.curation.describe(ids)]
    assert notes == ["Read the <second> part.\nThen the third.", None]
