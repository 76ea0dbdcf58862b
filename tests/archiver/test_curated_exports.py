"""What the owner set, in every export: the Netscape bookmark file read back the same, the
markdown showing tags and notes, the JSON backup restoring tags, notes and titles; removed
links in none of them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from archiver import LinkChanges, Store, make_engine
from archiver.export import write_json, write_markdown
from archiver.netscape import write_netscape
from archiver.records import LinkSpec
from archiver.restore import restore_export
from archiver.sources import parse_bookmarks


def _spec(url: str, title: str | None = None, section: str | None = None) -> LinkSpec:
    return LinkSpec(url, url, title, section, "list.md", None)


def _curated(store: Store) -> list[int]:
    """Links with sections (nested, and one named like a browser's own folder), tags, notes
    and titles that need escaping; the last one removed."""
    ids = store.links.add_links(
        [
            _spec("https://top.example/"),
            _spec("https://a.example/1", 'A <one> & "two"', "Python"),
            _spec("https://a.example/2?x=1&y=2", "Deep", "Python / Internals / GC"),
            _spec("https://fav.example/", "Fav", "Favorites"),
            _spec("https://gone.example/", "Gone", "Python"),
        ]
    ).link_ids
    store.curation.edit(
        ids[1],
        LinkChanges(
            tags=["cpython internals", "R&D", 'say "hi"'],
            note="Read <b>this</b> & that.\nThen the next part.",
        ),
    )
    store.curation.edit(ids[2], LinkChanges(tags=["gc"], title="Garbage collection"))
    store.curation.edit(ids[3], LinkChanges(note="one line"))
    store.curation.remove([ids[4]])
    return ids


def test_the_netscape_file_reads_back_as_the_same_links(store: Store) -> None:
    ids = _curated(store)
    out = io.StringIO()
    assert write_netscape(store, out) == 4
    text = out.getvalue()
    assert text.startswith("<!DOCTYPE NETSCAPE-Bookmark-file-1>")
    assert '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">' in text
    assert "gone.example" not in text
    assert "<b>" not in text and "&lt;b&gt;this&lt;/b&gt; &amp; that." in text
    assert 'TAGS="cpython internals,R&amp;D,say &quot;hi&quot;"' in text
    assert 'HREF="https://a.example/2?x=1&amp;y=2"' in text
    (created,) = [link.created_at for link in [store.links.get_link(ids[0])] if link]
    assert f'ADD_DATE="{int(created.timestamp())}"' in text

    read = parse_bookmarks(text, "bookmarks.html")
    assert read.problems == []
    assert [(s.url, s.title, s.section, s.tags, s.note) for s in read.links] == [
        # A title that is the URL says nothing: read back as none, as it was.
        ("https://top.example/", None, None, (), None),
        (
            "https://a.example/1",
            'A <one> & "two"',
            "Python",
            ("cpython internals", "R&D", 'say "hi"'),
            "Read <b>this</b> & that.\nThen the next part.",
        ),
        (
            "https://a.example/2?x=1&y=2",
            "Garbage collection",
            "Python / Internals / GC",
            ("gc",),
            None,
        ),
        ("https://fav.example/", "Fav", "Favorites", (), "one line"),
    ]


def test_the_markdown_export_shows_tags_and_notes(store: Store) -> None:
    _curated(store)
    out = io.StringIO()
    counts = write_markdown(store, out)
    text = out.getvalue()
    assert sum(counts.values()) == 4 and "gone.example" not in text
    line = next(line for line in text.splitlines() if "a.example/1" in line)
    assert line.endswith('tags: `cpython internals`, `R&D`, `say "hi"`')
    assert "  > Read \\<b\\>this\\</b\\> & that.\n  > Then the next part." in text


def test_a_json_backup_restores_tags_notes_titles_and_sections(
    store: Store, tmp_path: Path
) -> None:
    ids = _curated(store)
    out = io.StringIO()
    assert write_json(store, out) == 4
    data = json.loads(out.getvalue())
    assert all(item["url"] != "https://gone.example/" for item in data["links"])
    empty = Store(make_engine(f"sqlite:///{tmp_path / 'restored.db'}"))
    empty.create_schema()
    try:
        restore_export(empty, data)
        fields = [(c.id, c.title, c.section, c.tags, c.note) for c in store.curation.describe(ids)]
        again = [(c.id, c.title, c.section, c.tags, c.note) for c in empty.curation.describe(ids)]
        assert again == fields and len(again) == 4
    finally:
        empty.engine.dispose()


def test_a_backup_with_bad_tags_restores_the_good_ones(tmp_path: Path) -> None:
    store = Store(make_engine(f"sqlite:///{tmp_path / 'r.db'}"))
    store.create_schema()
    try:
        data = {
            "format": "linkvault-export",
            "version": 1,
            "links": [
                {"id": 1, "url": "https://a.example/", "tags": ["ok", "", "a,b", "OK", "x" * 65]},
                {"id": 2, "url": "https://b.example/", "note": "bell\x07 rings\r\nsecond"},
            ],
        }
        restore_export(store, data)
        a, b = store.curation.describe([1, 2])
        assert a.tags == ("ok",)
        assert b.note == "bell rings\nsecond"
    finally:
        store.engine.dispose()


def test_the_markdown_export_says_which_links_are_shelved(store: Store) -> None:
    store.links.add_links(
        [
            LinkSpec("https://kept.example/", "https://kept.example/", "Kept", None, "x", None),
            LinkSpec(
                "https://done.example/",
                "https://done.example/",
                "Done",
                None,
                "x",
                None,
                shelved=True,
            ),
        ]
    )
    out = io.StringIO()
    write_markdown(store, out)
    lines = out.getvalue().splitlines()
    assert next(line for line in lines if "done.example" in line).endswith(" · shelved")
    assert "shelved" not in next(line for line in lines if "kept.example" in line)
