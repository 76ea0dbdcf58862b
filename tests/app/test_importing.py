"""The import use case (app/services/importing.py) on real files and a real SQLite database:
the summary, bad input refused whole with nothing imported, one bad entry skipped with the
rest imported, and adding as one transaction (a failure midway leaves nothing)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.services.importing import (
    FORMAT_LABELS,
    FORMATS,
    ExportUploaded,
    SourceError,
    UnknownFormat,
    import_source,
    import_upload,
)
from app.services.vault import Vault
from archiver.models import Link
from tests.app._archive import make_settings

POCKET_HEADER = "title,url,time_added,tags,status\n"


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    opened = Vault(make_settings(tmp_path / "data"))
    yield opened
    opened.close()


def _count(vault: Vault) -> int:
    with vault.store.session() as session:
        return session.scalar(select(func.count(Link.id))) or 0


def _pocket(rows: int, start: int = 0) -> str:
    return POCKET_HEADER + "".join(
        f"Entry {n},https://pocket.example/{n},1700000000,,unread\n"
        for n in range(start, start + rows)
    )


def test_the_summary_counts_added_present_and_skipped(vault: Vault, tmp_path: Path) -> None:
    first = tmp_path / "pocket.csv"
    first.write_text(_pocket(3), encoding="utf-8")
    import_source(vault, str(first))
    again = tmp_path / "later.csv"
    again.write_text(_pocket(4) + "No URL,,1700000000,,unread\n", encoding="utf-8")

    summary = import_source(vault, str(again))

    assert (summary.added, summary.already_present, summary.format) == (1, 3, "pocket")
    assert [(s.source, s.line, s.reason) for s in summary.skipped] == [
        (str(again), 6, "row without a URL skipped")
    ]
    assert len(summary.link_ids) == 4 and _count(vault) == 4
    assert summary.describe() == (
        f"Imported {again} (Pocket CSV): 1 added, 3 already present, 1 skipped"
    )


def test_a_truncated_csv_keeps_the_rows_before_the_break(vault: Vault, tmp_path: Path) -> None:
    cut = tmp_path / "cut.csv"
    # The download stopped inside a quoted title: the last row never ends.
    cut.write_text(_pocket(2) + '"Entry cut, in the middle,https://pocket.example/x,17', "utf-8")

    summary = import_source(vault, str(cut))

    assert (summary.added, summary.already_present) == (2, 0)
    assert [(s.line, s.reason) for s in summary.skipped] == [
        (4, "the rest of the file skipped: unexpected end of data")
    ]
    assert _count(vault) == 2


@pytest.mark.parametrize(
    "body",
    [
        '{"items": [{"href": "https://a.example/1"}], "icon": "https://a.example/i.png"}',
        '[{"url": "https://a.example/1"}, {"url": "https://a.example/2"}]',
    ],
)
def test_json_of_an_unknown_shape_is_refused_whole(vault: Vault, tmp_path: Path, body: str) -> None:
    export = tmp_path / "export.json"
    export.write_text(body, encoding="utf-8")
    with pytest.raises(SourceError, match="a JSON file of no format linkvault knows"):
        import_source(vault, str(export))
    assert _count(vault) == 0


def test_json_of_the_wrong_shape_for_a_forced_format_is_refused(
    vault: Vault, tmp_path: Path
) -> None:
    bookmarks = tmp_path / "Bookmarks"
    bookmarks.write_text('{"roots": [1, 2]}', encoding="utf-8")
    with pytest.raises(SourceError, match="not a Chrome bookmarks file"):
        import_source(vault, str(bookmarks), format="chrome")
    assert _count(vault) == 0


def test_binary_input_and_an_unknown_format_are_refused(vault: Vault, tmp_path: Path) -> None:
    image = tmp_path / "list.txt"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    with pytest.raises(SourceError):
        import_source(vault, str(image))
    listing = tmp_path / "list.md"
    listing.write_text("* https://a.example/\n", encoding="utf-8")
    with pytest.raises(UnknownFormat, match="one of: auto, markdown"):
        import_source(vault, str(listing), format="delicious")
    assert _count(vault) == 0


def test_an_upload_is_named_by_its_file_name(vault: Vault) -> None:
    upload = io.BytesIO(_pocket(2).encode() + b"No URL,,1700000000,,unread\n")
    summary = import_upload(vault, upload, "../../My Pocket.csv")
    assert summary.source == "My Pocket.csv"
    assert (summary.added, summary.format) == (2, "pocket")
    assert [s.where() for s in summary.skipped] == ["My Pocket.csv:4"]
    with vault.store.session() as session:
        assert set(session.scalars(select(Link.source))) == {"My Pocket.csv"}


def test_an_uploaded_bookmarks_file_is_read_by_its_suffix(vault: Vault) -> None:
    upload = io.BytesIO(b'<DL><p><DT><A HREF="https://b.example/">B</A></DL>')
    summary = import_upload(vault, upload, "bookmarks.html")
    assert (summary.added, summary.format) == (1, "bookmarks")


def test_a_linkvault_export_is_not_restored_from_an_upload(vault: Vault) -> None:
    export = {"format": "linkvault-export", "version": 1, "links": []}
    with pytest.raises(ExportUploaded, match="restore it with `linkvault archive backup.json`"):
        import_upload(vault, io.BytesIO(json.dumps(export).encode()), "backup.json")


def test_adding_is_one_transaction(vault: Vault, tmp_path: Path) -> None:
    big = tmp_path / "pocket.csv"
    big.write_text(_pocket(5000), encoding="utf-8")
    # The database refuses one row far into the file, after several batches were inserted.
    with vault.store.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON links "
                "WHEN NEW.url = 'https://pocket.example/4321' "
                "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
            )
        )
    with pytest.raises(IntegrityError, match="refused for the test"):
        import_source(vault, str(big))
    assert _count(vault) == 0

    with vault.store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER refuse_one"))
    summary = import_source(vault, str(big))
    assert (summary.added, _count(vault)) == (5000, 5000)
    with vault.store.session() as session:
        positions = list(session.scalars(select(Link.position).order_by(Link.id)))
    assert positions == list(range(1, 5001))


def test_every_format_has_a_label_in_the_summary() -> None:
    assert set(FORMAT_LABELS) == set(FORMATS) - {"auto"}
