"""read_source on the exports that carry the article: wallabag's JSON and Omnivore's zip
(or one of its metadata files). The fixtures are written from each tool's exporter (see
fixtures/sources/SOURCES.md); the zips are made here from fixtures/sources/omnivore_export/."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archiver import _omnivore, _zipread
from archiver.records import ImportResult
from archiver.sources import SourceError, read_source

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
OMNIVORE = FIXTURES / "omnivore_export"


def _messages(result: ImportResult) -> list[str]:
    return [problem.message for problem in result.problems]


def omnivore_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    """The fixture tree zipped as Omnivore's exporter zips it (deflate, members at the root)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(OMNIVORE.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(OMNIVORE).as_posix())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_wallabag_export_keeps_urls_titles_tags_dates_and_articles() -> None:
    result = read_source(str(FIXTURES / "wallabag_export.json"))

    assert [(s.normalized_url, s.title, s.tags) for s in result.links] == [
        ("https://example.org/rot", "Link rot, explained", ("archiving", "web")),
        ("https://example.org/failed", None, ()),  # "No title found" is no title
        ("https://example.com/cafe", "Café notes", ("coffee",)),  # tags as old objects
    ]
    rot, failed, cafe = result.links
    # Escaped slashes read; utm_ parameters out of the identity, kept as listed.
    assert rot.url == "https://example.org/rot?utm_source=wallabag&utm_medium=rss"
    assert rot.added_at == datetime(2024, 1, 15, 9, 20, 30, tzinfo=UTC)
    assert rot.imported_copy is not None
    assert rot.imported_copy.origin == "wallabag"
    assert "zebrafish" in rot.imported_copy.html
    assert rot.imported_copy.saved_at == rot.added_at
    # wallabag's own "can't retrieve contents" placeholder is no article.
    assert failed.imported_copy is None
    assert cafe.imported_copy is not None and "café" in cafe.imported_copy.html
    # is_archived (1, or a boolean in older exports) is wallabag's read state: a shelf.
    assert [spec.shelved for spec in result.links] == [True, False, False]
    assert _messages(result) == ["entry 4 without a URL skipped"]


def test_wallabag_export_is_recognised_by_content_whatever_its_name(tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((FIXTURES / "wallabag_export.json").read_bytes())
    assert len(read_source(str(renamed)).links) == 3


def test_omnivore_metadata_file_alone_has_links_but_no_articles() -> None:
    result = read_source(str(OMNIVORE / "metadata_0_to_3.json"))

    assert [(s.normalized_url, s.title, s.tags, s.note) for s in result.links] == [
        (
            "https://example.net/dead-article",
            "The article that died",
            ("Newsletter", "Long read"),
            "A long read about archives.",
        ),
        ("https://example.net/paper.pdf", None, (), None),  # untitled
    ]
    assert result.links[0].added_at == datetime(2024, 10, 30, 12, 34, 56, 789000, tzinfo=UTC)
    assert all(spec.imported_copy is None for spec in result.links)
    # Omnivore's state "Archived" shelves the link; "Active" does not.
    assert [spec.shelved for spec in result.links] == [True, False]
    assert _messages(result) == ["entry 2 without a URL skipped"]


def test_omnivore_zip_brings_each_article_as_its_copy(tmp_path: Path) -> None:
    export = omnivore_zip(tmp_path / "omnivore-export.zip")

    result = read_source(str(export))

    dead, pdf = result.links
    assert dead.source == str(export)
    assert dead.imported_copy is not None
    assert dead.imported_copy.origin == "omnivore"
    assert "quokka archive" in dead.imported_copy.html
    assert dead.imported_copy.saved_at == dead.added_at
    assert pdf.imported_copy is None  # a PDF is fetched, not imported
    assert _messages(result) == ["metadata_0_to_3.json, entry 2 without a URL skipped"]


def test_omnivore_zip_from_standard_input_and_in_a_folder(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in OMNIVORE.rglob("*.*"):
            archive.write(file, "Omnivore/" + file.relative_to(OMNIVORE).as_posix())
    result = read_source("-", io.BytesIO(buffer.getvalue()))
    assert result.links[0].imported_copy is not None


def test_omnivore_metadata_files_are_read_in_the_order_written(tmp_path: Path) -> None:
    def item(n: int) -> dict[str, object]:
        return {"id": str(n), "slug": f"s{n}", "url": f"https://example.net/{n}", "savedAt": None}

    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("metadata_100_to_101.json", json.dumps([item(100)]))
        archive.writestr("metadata_20_to_40.json", json.dumps([item(20)]))
        archive.writestr("metadata_0_to_20.json", json.dumps([item(0)]))
    urls = [spec.url for spec in read_source(str(export)).links]
    assert urls == ["https://example.net/0", "https://example.net/20", "https://example.net/100"]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../evil/metadata_0_to_1.json": b"[]"}, "names a file outside itself"),
        ({"metadata_0_to_1.json": b"[]", "/etc/passwd": b"x"}, "names a file outside itself"),
        ({"notes.txt": b"hello"}, "not an Omnivore export"),
        ({"metadata_0_to_1.json": b'{"items": []}'}, "expected a JSON array"),
        ({"metadata_0_to_1.json": b'[{"url": "https://exa'}, "not a readable"),
    ],
)
def test_a_zip_that_is_no_omnivore_export_is_refused(
    tmp_path: Path, members: dict[str, bytes], message: str
) -> None:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(SourceError, match=message):
        read_source(str(export))


def test_a_corrupt_or_truncated_zip_is_a_clear_error(tmp_path: Path) -> None:
    whole = omnivore_zip(tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match="not a readable zip file"):
        read_source(str(cut))
    # The directory intact, a member's deflated bytes damaged: caught when it is read.
    damaged = bytearray(whole)
    start = whole.index(b"metadata_0_to_3.json") + len("metadata_0_to_3.json")
    damaged[start + 10 : start + 40] = b"\x00" * 30
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(damaged))
    with pytest.raises(SourceError, match="corrupt|not a readable"):
        read_source(str(broken))


def test_a_zip_with_too_many_members_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_zipread, "MAX_MEMBERS", 50)  # 100,000 in use: the same code path
    export = tmp_path / "many.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("metadata_0_to_1.json", "[]")
        for n in range(50):
            archive.writestr(f"highlights/{n}.md", b"")
    with pytest.raises(SourceError, match="more than 50 files"):
        read_source(str(export))


def test_a_metadata_file_over_its_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_omnivore, "_MAX_METADATA_BYTES", 1024)
    export = tmp_path / "big.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata_0_to_1.json", "[" + " " * 4096 + "]")
    with pytest.raises(SourceError, match="larger than"):
        read_source(str(export))


def test_a_zip_that_lies_about_a_member_size_is_refused(tmp_path: Path) -> None:
    """A member whose headers claim 2 bytes but that inflates to 100 kB: never read past
    the claim and a damaged member, not a flood of memory."""
    content = b"[" + b" " * 100_000 + b"]"
    export = tmp_path / "liar.zip"
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata_0_to_1.json", content)
    data = bytearray(export.read_bytes())
    size = len(content).to_bytes(4, "little")
    for at in (i for i in range(len(data) - 3) if data[i : i + 4] == size):
        data[at : at + 4] = (2).to_bytes(4, "little")  # local header and central directory
    export.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="corrupt|not a readable|larger than"):
        read_source(str(export))


def test_an_article_larger_than_a_page_is_not_kept(tmp_path: Path) -> None:
    huge = "<p>" + "word " * (5 * 2**20) + "</p>"
    entry = {"id": 1, "title": "Huge", "url": "https://example.org/huge", "content": huge}
    entries = [entry | {"created_at": "2024-01-01T00:00:00+00:00", "is_archived": 0}]
    export = tmp_path / "wallabag.json"
    export.write_text(json.dumps(entries), encoding="utf-8")

    result = read_source(str(export))

    assert result.links[0].imported_copy is None
    assert _messages(result) == [
        "entry 1: article larger than 20 MB, not kept as a copy (the link is imported and "
        "fetched as usual)"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"entries": []}', "expected a JSON array of entries, found dict"),
        ('[{"id": 1, "url": "https:\\/\\/example.org\\/a", "given_url": "x"', "not a readable"),
    ],
)
def test_wallabag_json_of_the_wrong_shape_or_truncated(
    tmp_path: Path, text: str, message: str
) -> None:
    export = tmp_path / "wallabag.json"
    export.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=message):
        read_source(str(export), format="wallabag")
    with pytest.raises(SourceError, match=message):
        read_source(str(export), format="omnivore")


def test_entries_that_are_not_objects_are_skipped_with_their_number(tmp_path: Path) -> None:
    export = tmp_path / "wallabag.json"
    export.write_text('[{"url": "https://example.org/a", "given_url": null}, "x", 3]', "utf-8")
    result = read_source(str(export))
    assert [spec.url for spec in result.links] == ["https://example.org/a"]
    assert _messages(result) == ["entry 2 skipped: not an object", "entry 3 skipped: not an object"]


def test_a_zip_forced_to_another_format_is_refused(tmp_path: Path) -> None:
    export = omnivore_zip(tmp_path / "export.zip")
    with pytest.raises(SourceError, match="a zip file, not a markdown list"):
        read_source(str(export), format="markdown")
