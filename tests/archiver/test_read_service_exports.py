"""read_source on bookmark services' exports: Raindrop.io CSV, Pinboard JSON, Karakeep JSON,
Linkwarden JSON and linkding's Netscape file, and the shelved state the reading-list exports
carry (Pocket, Instapaper, Karakeep, linkding).

The files in fixtures/sources/ are written from each format as its tool writes it:
- raindrop_export.csv: Raindrop's backup CSV header
  `id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite`, as importers of
  it show it (e.g. the yaml-bookmarks tests: nested folders "Acting / Voice acting", tags
  "a, b", ISO times with milliseconds), CRLF line ends as Raindrop sends them.
- pinboard_export.json: Pinboard's JSON backup, an array of {href, description, extended,
  meta, hash, time, shared, toread, tags} with PHP's escaped slashes (`\\/`).
- karakeep_export.json: karakeep-app/karakeep packages/shared/import-export/exporters.ts
  (`zExportSchema`, `toExportFormat`) and apps/web/app/api/bookmarks/export/route.tsx.
- linkwarden_backup.json: linkwarden/linkwarden apps/web/lib/api/controllers/migration/
  exportData.ts (the user record with collections, links and tags as prisma writes them,
  packages/prisma/schema.prisma), as karakeep's import fixture linkwarden-export.json too.
- linkding_bookmarks.html: sissbruecker/linkding bookmarks/services/exporter.py (lines joined
  by "\\n\\r", TAGS with `linkding:bookmarks.archived`, notes in `[linkding-notes]`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.records import ImportResult
from archiver.sources import SourceError, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def _messages(result: ImportResult) -> list[tuple[int | None, str]]:
    return [(problem.line, problem.message) for problem in result.problems]


def test_raindrop_csv_folders_tags_notes_dates_and_quirks() -> None:
    result = read_source(str(FIXTURES / "raindrop_export.csv"))

    assert [(s.normalized_url, s.title, s.section, s.tags, s.line) for s in result.links] == [
        (
            "https://example.com/parsing?id=3",
            'Parsing, "quoted", explained',
            "Dev / Python",
            ("python", "parsing"),
            2,
        ),
        ("https://example.com/untitled", None, None, (), 4),  # "Unsorted" is no collection
        ("https://example.com/nested", "Nested the import way", "Reading / Later", (), 7),
    ]
    first = result.links[0]
    # utm_ parameters are not part of the identity (row 6 is the same page), kept as listed.
    assert first.url == "https://example.com/parsing?utm_source=raindrop&id=3"
    # The user's note (over two lines), then the page's excerpt.
    assert first.note == "My own note\nover two lines\n\nThe page's own description"
    assert first.added_at == datetime(2024, 4, 13, 14, 17, 33, tzinfo=UTC)
    assert not any(link.shelved for link in result.links)  # Raindrop has no such state
    assert _messages(result) == [(5, "row without a URL skipped")]


def test_pinboard_json_escaped_slashes_space_separated_tags_and_no_shelving() -> None:
    result = read_source(str(FIXTURES / "pinboard_export.json"))

    one, untitled = result.links
    assert one.url == "https://example.org/pin/one?utm_medium=feed&p=1"
    assert one.normalized_url == "https://example.org/pin/one?p=1"
    assert one.title == 'Pin \u201cone\u201d, with "quotes"'
    assert one.tags == ("python", "internals", "via:someone")
    assert one.note == "Why I kept it.\nSecond line."
    assert one.added_at == datetime(2019, 5, 21, 16, 9, 48, tzinfo=UTC)
    assert (untitled.title, untitled.tags, untitled.note) == (None, (), None)
    # toread "no" only means read, "yes" unread: neither shelves.
    assert not one.shelved and not untitled.shelved
    assert _messages(result) == [(None, "entry 3 skipped: no URL (href)")]


def test_karakeep_json_lists_as_sections_archived_as_shelved_and_text_skipped() -> None:
    result = read_source(str(FIXTURES / "karakeep_export.json"))

    assert [(s.normalized_url, s.title, s.section, s.shelved) for s in result.links] == [
        ("https://example.net/k/one?q=1", "Karakeep link", "Reading / Systems", True),
        ("https://example.net/k/untitled", None, None, False),
        # A smart list is a saved search, not a place.
        ("https://example.net/k/smart", "In a smart list only", None, False),
    ]
    first = result.links[0]
    assert (first.tags, first.note) == (("rust", "async"), "A note\nof two lines")
    assert first.added_at == datetime.fromtimestamp(1717243200, UTC)
    assert _messages(result) == [
        (None, "entry 3 skipped: a text note, no URL"),
        (None, "entry 4 skipped: no URL (an asset, or no content)"),
    ]


def test_hoarder_export_before_lists_and_archived(tmp_path: Path) -> None:
    path = tmp_path / "hoarder-export.json"
    path.write_text(
        json.dumps(
            {
                "bookmarks": [
                    {
                        "createdAt": 1700000000,
                        "title": "Old",
                        "tags": ["a"],
                        "content": {"type": "link", "url": "https://example.net/old"},
                        "note": None,
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    (link,) = read_source(str(path)).links
    assert (link.title, link.section, link.tags, link.shelved) == ("Old", None, ("a",), False)


def test_linkwarden_backup_nested_collections_tags_and_uploads_skipped() -> None:
    result = read_source(str(FIXTURES / "linkwarden_backup.json"))

    assert [(s.normalized_url, s.title, s.section, s.tags) for s in result.links] == [
        ("https://github.example/x", "GitHub", "Tech", ("dev",)),
        # Listed before its parent collection in the file: the path is by parentId.
        ("https://example.dev/next", None, "Tech / Frontend / Frameworks", ()),
        ("https://example.dev/react", "React", "Tech / Frontend", ("js", "ui")),
        # "GitHub again" in Unfiled is the first link again (utm_source dropped): not twice.
    ]
    github, _next, react = result.links
    assert github.url == "https://github.example/x?utm_source=lw"
    assert github.note == "Where code lives"
    assert github.added_at == datetime(2025, 1, 1, tzinfo=UTC)
    # Imported into Linkwarden from elsewhere: importDate is when it was saved.
    assert react.added_at == datetime(2019, 6, 1, tzinfo=UTC)
    assert _messages(result) == [
        (None, "entry 2 in Tech / Frontend / Frameworks skipped: no URL (a pdf)")
    ]


def test_linkding_archived_tag_is_a_state_and_its_notes_are_kept() -> None:
    result = read_source(str(FIXTURES / "linkding_bookmarks.html"))

    archived, unread, untitled = result.links
    assert archived.shelved and not unread.shelved and not untitled.shelved
    # linkding: tags are its states: none stays a tag.
    assert (archived.tags, unread.tags, untitled.tags) == (("python",), ("reading",), ())
    assert archived.title == "An archived one & more"
    assert archived.normalized_url == "https://example.org/ld/archived?a=1"
    assert archived.note == "The description.\n\nMy notes, in *markdown*."
    assert archived.added_at == datetime.fromtimestamp(1700000000, UTC)
    assert (untitled.title, untitled.note) == (None, "Only notes")
    assert result.problems == []


def test_pocket_archive_and_instapaper_archive_folder_shelve(tmp_path: Path) -> None:
    pocket = tmp_path / "part_000000.csv"
    pocket.write_text(
        "title,url,time_added,tags,status\n"
        "Read,https://example.net/read,1700000000,,archive\n"
        "Unread,https://example.net/unread,1700000000,,unread\n",
        encoding="utf-8",
    )
    assert [s.shelved for s in read_source(str(pocket)).links] == [True, False]
    instapaper = tmp_path / "instapaper.csv"
    instapaper.write_text(
        "URL,Title,Selection,Folder,Timestamp,Tags\n"
        "https://example.org/a,A,,Archive,1690000000,[]\n"
        "https://example.org/b,B,,Unread,1690000000,[]\n"
        "https://example.org/c,C,,Cooking,1690000000,[]\n",
        encoding="utf-8",
    )
    links = read_source(str(instapaper)).links
    assert [(s.section, s.shelved) for s in links] == [
        (None, True),
        (None, False),
        ("Cooking", False),
    ]


@pytest.mark.parametrize(
    ("fixture", "cut_after", "kept", "line"),
    [
        # Inside the third post's href: the two before it are kept.
        ("pinboard_export.json", '{"href":"","description":"Lost', 2, 3),
        # Inside the link "React" of the collection Frontend: the links before it are kept.
        ("linkwarden_backup.json", '"url": "https://example.dev/re', 2, None),
        # Inside the "lists" after every bookmark: the bookmarks are all there, no sections.
        ("karakeep_export.json", '"name": "Syst', 3, 1),
    ],
)
def test_a_json_export_cut_off_keeps_what_came_before_the_break(
    tmp_path: Path, fixture: str, cut_after: str, kept: int, line: int | None
) -> None:
    text = (FIXTURES / fixture).read_text(encoding="utf-8")
    path = tmp_path / fixture
    path.write_text(text[: text.index(cut_after) + len(cut_after)], encoding="utf-8")

    result = read_source(str(path))
    assert len(result.links) == kept
    (cut,) = [p for p in result.problems if p.message.startswith("the file is cut off")]
    assert cut.message.endswith("the entries before it were read, the rest skipped")
    if line is not None:
        assert cut.line == line
    whole = read_source(str(FIXTURES / fixture)).links[:kept]
    assert [(s.normalized_url, s.title, s.tags) for s in result.links] == [
        (s.normalized_url, s.title, s.tags) for s in whole
    ]


def test_a_raindrop_csv_cut_inside_a_quoted_cell_keeps_the_rows_before_it(tmp_path: Path) -> None:
    path = tmp_path / "raindrop.csv"
    path.write_text(
        "id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite\n"
        "1,Fine,,,https://example.com/fine,Dev,,2024-01-01T00:00:00Z,,,false\n"
        '2,"Cut off here,,,https://example.com/cut,Dev,,2024-01-0',
        encoding="utf-8",
    )
    result = read_source(str(path))
    assert [s.normalized_url for s in result.links] == ["https://example.com/fine"]
    assert [p.line for p in result.problems] == [3]
    assert result.problems[0].message.startswith("the rest of the file skipped")


@pytest.mark.parametrize(
    ("format", "text", "message"),
    [
        ("pinboard", '{"href": "https://example.org"}', "not a Pinboard JSON export"),
        ("pinboard", '[{"url": "https://example.org"}]', 'no entry has an "href"'),
        ("karakeep", '{"bookmarks": {"a": 1}}', 'not a Karakeep export (no "bookmarks" list)'),
        ("karakeep", "[]", 'not a Karakeep export (no "bookmarks" list)'),
        ("linkwarden", '{"links": []}', 'not a Linkwarden backup (no "collections" list)'),
        ("linkwarden", "not json at all", "not a readable Linkwarden backup file"),
    ],
)
def test_json_of_the_wrong_shape_names_the_format(
    tmp_path: Path, format: str, text: str, message: str
) -> None:
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match="^" + str(path).replace("\\", "\\\\")) as caught:
        read_source(str(path), format=format)
    assert message in str(caught.value)


def test_entries_of_the_wrong_shape_are_problems_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "karakeep.json"
    path.write_text(
        '{"bookmarks": [5, {"content": {"type": "link", "url": "https://example.net/ok"},'
        '"tags": "not a list", "createdAt": "yesterday", "archived": "yes"}], "lists": 3}',
        encoding="utf-8",
    )
    result = read_source(str(path))
    (link,) = result.links
    assert (link.tags, link.added_at, link.shelved) == ((), None, False)
    assert _messages(result) == [(None, "entry 1 skipped: not an object")]


@pytest.mark.parametrize(
    ("name", "format"),
    [
        ("raindrop_export.csv", "raindrop"),
        ("pinboard_export.json", "pinboard"),
        ("karakeep_export.json", "karakeep"),
        ("linkwarden_backup.json", "linkwarden"),
    ],
)
def test_recognised_by_content_whatever_the_name(tmp_path: Path, name: str, format: str) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes((FIXTURES / name).read_bytes())
    by_content = read_source(str(path))
    assert by_content == read_source(str(path), format=format)
    assert by_content.links == [
        replace(link, source=str(path)) for link in read_source(str(FIXTURES / name)).links
    ]


@pytest.mark.parametrize(
    ("name", "format"),
    [("pinboard_export.json", "pinboard"), ("karakeep_export.json", "karakeep")],
)
def test_every_cut_of_a_json_export_is_read_or_refused_clearly(
    tmp_path: Path, name: str, format: str
) -> None:
    """Wherever the file breaks off, the import keeps a prefix of the whole file's links
    (never a link the whole file does not have) or says the file is unusable."""
    text = (FIXTURES / name).read_text(encoding="utf-8")
    whole = [(s.normalized_url, s.title) for s in read_source(str(FIXTURES / name)).links]
    path = tmp_path / name
    for end in range(0, len(text), 7):
        path.write_text(text[:end], encoding="utf-8")
        try:
            result = read_source(str(path), format=format)
        except SourceError as exc:
            assert format.capitalize() in str(exc)  # the error names the format
            continue
        read = [(s.normalized_url, s.title) for s in result.links]
        assert read == whole[: len(read)], end
        assert any(p.message.startswith("the file is cut off") for p in result.problems), end
