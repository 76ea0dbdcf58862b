"""Exports: WARC read back with warcio, the JSON export restored, the list back as markdown."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from warcio.archiveiterator import ArchiveIterator

from archiver import Store, decompress, make_engine
from archiver.config import FetchConfig
from archiver.document import Document
from archiver.export import write_json, write_markdown
from archiver.models import Check, Link, Snapshot
from archiver.pipeline import Pipeline
from archiver.refresh import RefreshSelection, refresh_tasks
from archiver.restore import ExportError, is_export, load_export, restore_export
from archiver.sources import parse_markdown, parse_text
from archiver.warc import write_warc
from tests.support import pages
from tests.support.editable import EditablePage
from tests.support.site import Exchange, LocalSite

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python-internals.md"


def new_store(path: Path) -> Store:
    store = Store(make_engine(f"sqlite:///{path}"))
    store.create_schema()
    return store


def fetch_all(store: Store, tasks: list[Any]) -> None:
    config = FetchConfig(allow_private=True, deadline=3.0, max_retries=0)
    asyncio.run(Pipeline(store.links, config, workers=1).run(tasks))


def gzipped_page(ex: Exchange) -> None:
    body = gzip.compress(pages.article("Gzipped", pages.filler("compressed bodies")).encode())
    ex.respond(200, body, headers={"Content-Encoding": "gzip", "X-Served-By": "local"})


@pytest.fixture
def archived(store: Store, local_site: LocalSite) -> Store:
    """A small archive with history: an edited page (two snapshots), a gzipped page, a PDF,
    an image (body not kept) and a dead link."""
    edited = EditablePage("Edited", pages.filler("the first version"))
    local_site.route("/edited", handler=edited)
    local_site.route("/gzipped", handler=gzipped_page)
    local_site.route("/paper.pdf", pages.pdf("Frame objects"), content_type="application/pdf")
    local_site.route("/image.png", pages.PNG, content_type="image/png")
    local_site.route("/gone", b"gone", status=404)
    urls = [local_site.url(p) for p in ("/edited", "/gzipped", "/paper.pdf", "/image.png")]
    imported = store.links.add_links(
        parse_text("\n".join([*urls, local_site.url("/gone")]), "l").links
    )
    fetch_all(store, store.links.tasks_for_archive(imported.link_ids))
    edited.edit(pages.filler("the second version"))
    fetch_all(store, refresh_tasks(store, RefreshSelection(everything=True), timedelta(days=7)))
    return store


def all_rows(store: Store) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    with store.session() as session:
        for model in (Link, Snapshot, Check):
            rows = session.scalars(select(model).order_by(model.id)).all()
            columns = [c.key for c in model.__table__.columns if c.key not in ("id",)]
            tables[model.__tablename__] = [{c: getattr(row, c) for c in columns} for row in rows]
    for row in tables["checks"] + tables["snapshots"]:
        row.pop("link_id")
    for row in tables["snapshots"]:
        row["raw"] = decompress(row["raw"])
    for row in tables["checks"]:
        row.pop("snapshot_id")
    for row in tables["links"]:
        row.pop("snapshot_id")
        row.pop("needs_index")
    # Restored link by link: compare history rows in time order, not in id order.
    tables["snapshots"].sort(key=lambda row: (row["fetched_at"], row["content_hash"]))
    tables["checks"].sort(key=lambda row: (row["checked_at"], row["status"]))
    return tables


def test_warc_read_back_with_warcio_matches_the_stored_bodies(
    archived: Store, tmp_path: Path
) -> None:
    target = tmp_path / "archive.warc.gz"
    with target.open("wb") as out:
        written = write_warc(archived, out)

    with archived.session() as session:
        snapshots = {s.id: s for s in session.scalars(select(Snapshot))}
    kept = {i: s for i, s in snapshots.items() if s.raw}
    assert written == len(kept) == 4  # two versions, gzipped, PDF; the image body is not kept
    assert any(s.kind == "unsupported" and not s.raw for s in snapshots.values())

    seen: set[int] = set()
    with target.open("rb") as stream:
        records = list(_records(stream))
    assert records[0]["type"] == "warcinfo"
    assert b"linkvault" in records[0]["body"]
    for record in records[1:]:
        assert record["type"] == "response"
        snap = kept[int(record["snapshot"])]
        seen.add(snap.id)
        assert record["uri"] == snap.final_url
        assert record["body"] == decompress(snap.raw)
        assert record["status"] == str(snap.http_status)
        assert record["date"].startswith(snap.fetched_at.strftime("%Y-%m-%dT%H:%M:%S"))
        headers = record["headers"]
        assert headers["content-length"] == str(len(record["body"]))
        assert "content-encoding" not in headers  # the stored body is decompressed
        assert headers["content-type"].startswith(snap.content_type or "")
    assert seen == set(kept)
    gz = next(r for r in records[1:] if r["uri"].endswith("/gzipped"))
    assert gz["headers"]["x-served-by"] == "local"
    assert b"compressed bodies" in gz["body"]


def _records(stream: Any) -> Iterator[dict[str, Any]]:
    # check_digests="raise": every block and payload digest warcio wrote must verify.
    for record in ArchiveIterator(stream, check_digests="raise"):
        item: dict[str, Any] = {
            "type": record.rec_type,
            "uri": record.rec_headers.get_header("WARC-Target-URI"),
            "date": record.rec_headers.get_header("WARC-Date"),
            "snapshot": record.rec_headers.get_header("Linkvault-Snapshot-Id"),
            "body": record.content_stream().read(),
        }
        if record.http_headers is not None:
            item["status"] = record.http_headers.get_statuscode()
            item["headers"] = {k.lower(): v for k, v in record.http_headers.headers}
        yield item


def test_json_export_restores_everything_into_an_empty_store(
    archived: Store, tmp_path: Path
) -> None:
    target = tmp_path / "export.json"
    with target.open("w", encoding="utf-8") as out:
        assert write_json(archived, out) == 5
    assert is_export(target)
    data = load_export(target)
    assert data["format"] == "linkvault-export" and len(data["links"]) == 5

    fresh = new_store(tmp_path / "fresh.db")
    report = restore_export(fresh, data)
    assert (report.links, report.existing, report.problems) == (5, 0, [])
    assert report.snapshots == 5 and report.checks == 10

    assert all_rows(fresh) == all_rows(archived)
    with archived.session() as s1, fresh.session() as s2:
        before = {(k.id, k.url, k.snapshot_id is not None) for k in s1.scalars(select(Link))}
        after = {(k.id, k.url, k.snapshot_id is not None) for k in s2.scalars(select(Link))}
        assert before == after  # ids kept: /links/{id} addresses stay valid
        for link in s2.scalars(select(Link).where(Link.snapshot_id.is_not(None))):
            current = s2.get(Snapshot, link.snapshot_id)
            assert current is not None and current.link_id == link.id
    assert (
        set(fresh.index_bookkeeping.ids_needing_index()) == fresh.index_bookkeeping.searchable_ids()
    )
    fresh.engine.dispose()


def test_restoring_into_a_store_with_links_keeps_them(
    archived: Store, tmp_path: Path, local_site: LocalSite
) -> None:
    buffer = io.StringIO()
    write_json(archived, buffer)
    data = json.loads(buffer.getvalue())

    other = new_store(tmp_path / "other.db")
    other.links.add_links(
        parse_text(f"https://example.org/mine\n{local_site.url('/edited')}", "x").links
    )
    report = restore_export(other, data)
    assert (report.links, report.existing) == (4, 1)
    with other.session() as session:
        links = session.scalars(select(Link).order_by(Link.position)).all()
        assert [link.url for link in links][:2] == [
            "https://example.org/mine",
            local_site.url("/edited"),
        ]
        assert links[1].snapshot_id is None  # the link already here kept what it was
        gzipped = next(link for link in links if link.url.endswith("/gzipped"))
        snap = session.get(Snapshot, gzipped.snapshot_id)
        assert snap is not None and snap.link_id == gzipped.id
        assert b"compressed bodies" in decompress(snap.raw)
    other.engine.dispose()


ARTICLE = Document(
    [
        {"t": "h", "level": 2, "c": ["The ", {"t": "code", "text": "dis"}, " module"]},
        {
            "t": "pre",
            "text": "def add(a, b):\n    return a + b\n\ndis.dis(add)\n",
            "lang": "python",
        },
        {"t": "p", "c": [{"t": "a", "href": "https://docs.python.org/3/", "c": ["docs"]}]},
    ]
)


def test_json_export_carries_the_structured_copy(archived: Store, tmp_path: Path) -> None:
    with archived.session() as session:
        session.execute(update(Snapshot).values(document=ARTICLE.to_json(), extracted_with=1))
    buffer = io.StringIO()
    write_json(archived, buffer)
    data = json.loads(buffer.getvalue())
    assert data["links"][0]["snapshots"][0]["document"] == ARTICLE.to_data()

    fresh = new_store(tmp_path / "fresh.db")
    report = restore_export(fresh, data)
    assert report.problems == []
    assert all_rows(fresh) == all_rows(archived)
    with fresh.session() as session:
        stored = session.scalars(select(Snapshot.document)).all()
    assert stored and all(Document.from_json(text) == ARTICLE for text in stored)
    fresh.engine.dispose()


@pytest.mark.parametrize(
    "document",
    [
        {"v": 1, "blocks": [{"t": "script", "text": "alert(1)"}]},
        {"v": 1, "blocks": [{"t": "p", "c": [{"t": "a", "href": "javascript:alert(1)"}]}]},
        {"v": 1, "blocks": [{"t": "figure", "src": "data:image/png;base64,AAAA"}]},
        {"v": 1, "blocks": [{"t": "h", "level": 9, "c": []}]},
        {"v": 2, "blocks": []},
        "<p onclick=alert(1)>",
    ],
    ids=["unknown-block", "javascript-link", "data-image", "bad-level", "newer", "markup"],
)
def test_a_structured_copy_that_does_not_check_out_is_left_out(
    archived: Store, tmp_path: Path, document: Any
) -> None:
    buffer = io.StringIO()
    write_json(archived, buffer)
    data = json.loads(buffer.getvalue())
    data["links"][0]["snapshots"][0]["document"] = document
    fresh = new_store(tmp_path / "fresh.db")
    report = restore_export(fresh, data)
    assert report.snapshots == 5 and len(report.problems) == 1
    assert "restored without it" in report.problems[0]
    tampered = data["links"][0]["snapshots"][0]
    others = [
        snap
        for link in data["links"]
        for snap in link["snapshots"]
        if snap is not tampered and snap["document"] is not None
    ]
    with fresh.session() as session:
        left_out = session.scalar(
            select(Snapshot.document).where(Snapshot.content_hash == tampered["content_hash"])
        )
        kept = session.scalars(select(Snapshot.document).where(Snapshot.document.is_not(None)))
        assert left_out is None
        assert len(kept.all()) == len(others)
    fresh.engine.dispose()


def test_a_malformed_export_changes_nothing(archived: Store, tmp_path: Path) -> None:
    buffer = io.StringIO()
    write_json(archived, buffer)
    data = json.loads(buffer.getvalue())
    data["links"][3]["snapshots"] = [{"id": 1, "fetched_at": "yesterday"}]
    fresh = new_store(tmp_path / "fresh.db")
    with pytest.raises(ExportError, match="link 4 of the export is malformed"):
        restore_export(fresh, data)
    with fresh.session() as session:
        assert session.scalars(select(Link)).all() == []
    fresh.engine.dispose()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"format": "linkvault-export", "version": 99, "links": []}', "version 99"),
        ('{"format": "linkvault-export", "version": 1', "cannot read"),
        ('{"format": "linkvault-export", "version": 1, "links": {}}', "no list of links"),
    ],
)
def test_unreadable_exports_say_why(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "export.json"
    path.write_text(content)
    assert is_export(path)
    with pytest.raises(ExportError, match=problem):
        load_export(path)


def test_only_exports_are_taken_for_exports(tmp_path: Path) -> None:
    listing = tmp_path / "list.md"
    listing.write_text("# Links\n* [a](https://example.org/)\n")
    other_json = tmp_path / "data.json"
    other_json.write_text('{"urls": ["https://example.org/"]}')
    assert not is_export(listing) and not is_export(other_json)
    assert not is_export(tmp_path / "missing.json")


def test_markdown_export_of_the_example_list_keeps_sections_and_order(store: Store) -> None:
    original = parse_markdown(EXAMPLE.read_text(encoding="utf-8"), "python-internals.md")
    store.links.add_links(original.links)
    with store.session() as session:
        first, second = session.scalars(select(Link).order_by(Link.position).limit(2)).all()
        session.execute(
            update(Link)
            .where(Link.id == first.id)
            .values(status="dead", error="HTTP 404 Not Found", dead_since=first.created_at)
        )
        session.execute(
            update(Link).where(Link.id == second.id).values(status="failed", error="timed out")
        )

    out = io.StringIO()
    counts = write_markdown(store, out, base_url="https://vault.example.org/")
    text = out.getvalue()
    assert counts["dead"] == 1 and sum(counts.values()) == len(original.links)

    again = parse_markdown(text, "export.md")
    listed = [spec for spec in again.links if not spec.url.startswith("https://vault.example.org")]
    assert [(s.url, s.section) for s in listed] == [(s.url, s.section) for s in original.links]
    assert [s.title for s in listed] == [s.title for s in original.links]
    dead_line = next(line for line in text.splitlines() if first.url in line)
    assert "**dead** since" in dead_line and "HTTP 404 Not Found" in dead_line
    assert "failed (timed out)" in next(line for line in text.splitlines() if second.url in line)
    # Headings in the order the list first gave them.
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    sections = list(dict.fromkeys(s.section for s in original.links if s.section))
    assert headings == sections


def test_markdown_links_to_archived_copies(archived: Store) -> None:
    out = io.StringIO()
    write_markdown(archived, out)
    lines = out.getvalue().splitlines()
    with archived.session() as session:
        for link in session.scalars(select(Link)):
            line = next(line for line in lines if f"({link.url})" in line)
            if link.snapshot_id is not None:
                assert f"](/links/{link.id})" in line
            else:
                assert "/links/" not in line


def test_links_without_a_section_come_before_every_heading(store: Store) -> None:
    listed = parse_markdown("## Python\n* [a](https://a.example/)\n", "list.md").links
    added = parse_text("https://b.example/", "<api>").links
    store.links.add_links([*listed, *added])
    out = io.StringIO()
    write_markdown(store, out)
    again = parse_markdown(out.getvalue(), "export.md").links
    assert [(s.url, s.section) for s in again] == [
        ("https://b.example/", None),
        ("https://a.example/", "Python"),
    ]
