"""read_source on other tools' exports: Chrome's `Bookmarks` JSON, Firefox's bookmarks
backup JSON, Pocket's and Instapaper's CSV. The files in fixtures/sources/ are written from
each format as its tool writes it (archiver/_browser_json.py, archiver/_csv_exports.py say
where from)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver.records import ImportResult
from archiver.sources import SourceError, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources"


def _messages(result: ImportResult) -> list[str]:
    return [problem.message for problem in result.problems]


def test_chrome_bookmarks_keep_folders_dates_and_skip_bookmarklets() -> None:
    result = read_source(str(FIXTURES / "chrome_Bookmarks"))

    assert [(s.normalized_url, s.title, s.section) for s in result.links] == [
        (
            "https://example.org/cpython/eval",
            'CPython internals: the "eval" loop, explained',
            "Python",
        ),
        ("https://example.org/untitled", None, "Python"),
        ("https://example.org/gc", "Garbage collector design", "Reading / Memory"),
    ]
    # utm_ parameters are dropped from the identity, kept in the URL as listed.
    assert result.links[0].url.endswith("utm_source=newsletter&utm_medium=email")
    # 13371022400000000 microseconds after 1601-01-01.
    assert result.links[0].added_at == datetime(2024, 9, 17, 4, 53, 20, tzinfo=UTC)
    assert _messages(result) == [
        "entry in Reading / Memory skipped: bookmark 'Lost its address' has no URL",
        "bookmarklets (javascript:) skipped: 1",
    ]


def test_firefox_backup_keeps_folders_tags_dates_and_counts_what_it_skips() -> None:
    result = read_source(str(FIXTURES / "firefox_backup.json"))

    assert [(s.normalized_url, s.title, s.section, s.tags) for s in result.links] == [
        (
            "https://example.com/firefox/notes",
            "Firefox \u201cRelease notes\u201d, 2024",
            "Mozilla Firefox",
            ("firefox", "release notes"),
        ),
        ("https://example.com/no-title", "Untitled page", None, ()),
        ("https://example.com/devtools/console", "Web Console docs", "Tools", ()),
    ]
    assert result.links[0].added_at == datetime(2024, 6, 1, 0, 3, 20, tzinfo=UTC)
    assert _messages(result) == [
        "entry in Tools skipped: bookmark 'Broken' has no URL",
        "Firefox queries (place:) skipped: 1",
        "bookmarklets (javascript:) skipped: 1",
        "separators skipped: 1",
    ]


def test_pocket_csv_quoting_newlines_tags_bom_and_rows_without_url() -> None:
    result = read_source(str(FIXTURES / "pocket_export.csv"))

    assert [(s.normalized_url, s.title, s.tags, s.line) for s in result.links] == [
        (
            "https://example.net/plain-text",
            'Why "plain text" wins, part 1',
            ("writing", "tools"),
            2,
        ),
        ("https://example.net/two-lines", "A title over two lines", (), 3),
        ("https://example.net/untitled", None, (), 5),  # Pocket titles the untitled with the URL
        ("https://example.net/cafe", "Café crème", ("food", "café"), 8),
    ]
    assert result.links[0].added_at == datetime.fromtimestamp(1700000000, UTC)
    assert [(p.line, p.message) for p in result.problems] == [(6, "row without a URL skipped")]


def test_instapaper_csv_selection_folder_and_json_tags() -> None:
    result = read_source(str(FIXTURES / "instapaper_export.csv"))

    essay, recipes, starred = result.links
    assert essay.normalized_url == "https://example.org/essay?id=4"
    assert essay.title == "Essays, collected"
    assert essay.tags == ("essays", "long reads")
    assert essay.note == 'The best part:\n"quoted" and all'
    assert essay.section is None  # "Unread" is a state, not a folder of the user's
    assert essay.added_at == datetime.fromtimestamp(1690000000, UTC)
    assert (recipes.section, recipes.line) == ("Cooking", 4)
    assert (starred.title, starred.section) == (None, None)
    assert [(p.line, p.message) for p in result.problems] == [(5, "row without a URL skipped")]


def test_old_instapaper_export_without_tags_column() -> None:
    data = b"URL,Title,Selection,Folder,Timestamp\nhttps://example.org/a,A,,Reading,1690000000\n"
    result = read_source("-", stdin=io.BytesIO(data))
    assert [(s.normalized_url, s.section, s.tags) for s in result.links] == [
        ("https://example.org/a", "Reading", ())
    ]


def test_pocket_export_in_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "part_000000.csv"
    path.write_bytes(
        "title,url,time_added,tags,status\n"
        "Caf\u00e9 \u201cna\u00efve\u201d,https://example.net/cafe,1700000000,,unread\n".encode(
            "cp1252"
        )
    )
    (link,) = read_source(str(path)).links
    assert link.title == "Caf\u00e9 \u201cna\u00efve\u201d"


def test_a_csv_cut_inside_a_quoted_field_keeps_the_rows_before_it(tmp_path: Path) -> None:
    path = tmp_path / "pocket.csv"
    path.write_text(
        "title,url,time_added,tags,status\n"
        "Fine,https://example.net/fine,1700000000,,unread\n"
        "Short row,https://example.net/short\n"
        '"Cut off here,https://example.net/cut,17000',
        encoding="utf-8",
    )
    result = read_source(str(path))
    assert [s.normalized_url for s in result.links] == [
        "https://example.net/fine",
        "https://example.net/short",
    ]
    assert [p.line for p in result.problems] == [3, 4]
    assert result.problems[0].message == "row with 2 of 5 columns; read as is"
    assert result.problems[1].message.startswith("the rest of the file skipped")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"roots": 5, "version": 1}', 'not a Chrome bookmarks file (no "roots" object)'),
        ('{"roots": {"bookmark_bar": ', "not a readable Chrome bookmarks file"),
        ('{"typeCode": 1, "type": "text/x-moz-place"}', "not a Firefox bookmarks backup"),
    ],
)
def test_json_of_the_wrong_shape_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "Bookmarks"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match="^" + str(path).replace("\\", "\\\\")) as caught:
        read_source(str(path))
    assert message in str(caught.value)


def test_bad_entries_inside_a_good_tree_are_problems_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "Bookmarks"
    path.write_text(
        '{"roots": {"bookmark_bar": {"type": "folder", "children": ['
        '5, {"type": "folder", "name": "Odd", "children": "none"},'
        '{"type": "url", "name": "Fine", "url": "https://example.org/fine", "date_added": "x"},'
        '{"type": "weird"}]}, "other": [], "synced": {"children": []}}, "version": 1}',
        encoding="utf-8",
    )
    result = read_source(str(path))
    assert [(s.normalized_url, s.added_at) for s in result.links] == [
        ("https://example.org/fine", None)
    ]
    assert _messages(result) == [
        "entry in the top level skipped: not an object",
        'entry in Odd skipped: its "children" is not a list',
        "entry in the top level skipped: unknown type 'weird'",
        "entry in the top level skipped: the root 'other' is not an object",
    ]


def test_format_forces_a_reader_and_rejects_unknown_ones(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("title,url,time_added,tags,status\nA,https://example.net/a,0,x,unread\n")
    # By content, whatever the name says.
    assert read_source(str(path)).links[0].tags == ("x",)
    # Forced to a plain list: the URL is found in the line, no tags.
    assert read_source(str(path), format="text").links[0].tags == ()
    with pytest.raises(SourceError, match="unknown format 'delicious'"):
        read_source(str(path), format="delicious")


def test_pocket_export_of_late_2024_with_a_cursor_column(tmp_path: Path) -> None:
    # As karakeep-app/karakeep#570 shows it: a URL with commas quoted, tags with spaces.
    path = tmp_path / "part_000000.csv"
    path.write_text(
        "title,url,time_added,cursor,tags,status\n"
        'Some title,"https://example.com/with,commas",1728576752,7187623980,'
        "opensource|with\u00c4umlaut|with space,unread\n",
        encoding="utf-8",
    )
    (link,) = read_source(str(path)).links
    assert link.url == "https://example.com/with,commas"
    assert link.tags == ("opensource", "with\u00c4umlaut", "with space")
