"""The shelved state in the store, on SQLite and PostgreSQL: set by an import (a link already
there is shelved when an import says so, never unshelved by one), kept by the JSON export and
its restore, changed by an edit (which the search index does not need to hear of), and
migration 0011 on a database made before it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from archiver import KEEP, InvalidField, LinkChanges, Store, make_engine
from archiver.export import write_json
from archiver.models import Link
from archiver.records import LinkSpec
from archiver.restore import restore_export
from archiver.schema import _config, current_revision, head_revision, migrate


def _spec(path: str, *, shelved: bool = False) -> LinkSpec:
    url = f"https://example.com/{path}"
    return LinkSpec(url, url, None, None, "list.csv", 1, shelved=shelved)


def _shelved(store: Store) -> dict[str, bool]:
    with store.session() as session:
        return {link.url: link.shelved for link in session.scalars(sa.select(Link))}


def test_an_import_shelves_new_and_present_links_and_never_unshelves(store: Store) -> None:
    store.links.add_links([_spec("read", shelved=True), _spec("unread"), _spec("later")])
    assert _shelved(store) == {
        "https://example.com/read": True,
        "https://example.com/unread": False,
        "https://example.com/later": False,
    }
    # Imported again from a tool where "unread" was since archived, "read" is not any more.
    counts = store.links.add_links([_spec("read"), _spec("unread", shelved=True)])
    assert (counts.new, counts.existing) == (0, 2)
    assert _shelved(store) == {
        "https://example.com/read": True,
        "https://example.com/unread": True,
        "https://example.com/later": False,
    }


def test_the_json_export_and_its_restore_keep_the_state(store: Store, tmp_path: Path) -> None:
    store.links.add_links([_spec("read", shelved=True), _spec("unread")])
    out = io.StringIO()
    write_json(store, out)
    data = json.loads(out.getvalue())
    assert [(item["url"], item["shelved"]) for item in data["links"]] == [
        ("https://example.com/read", True),
        ("https://example.com/unread", False),
    ]
    fresh = Store(make_engine(f"sqlite:///{tmp_path / 'fresh.db'}"))
    fresh.create_schema()
    try:
        # An export made before the state existed restores as not shelved.
        del data["links"][1]["shelved"]
        restore_export(fresh, data)
        assert _shelved(fresh) == {
            "https://example.com/read": True,
            "https://example.com/unread": False,
        }
    finally:
        fresh.engine.dispose()


def test_an_edit_shelves_and_unshelves_without_the_index(store: Store) -> None:
    (link_id,) = store.links.add_links([_spec("page")]).link_ids
    with store.session() as session:
        session.execute(sa.update(Link).values(needs_index=False))

    edited = store.curation.edit(link_id, LinkChanges(shelved=True))
    assert edited is not None
    assert (edited.changed, edited.link.shelved) == (("shelved",), True)
    assert store.curation.edit(link_id, LinkChanges(shelved=True)).changed == ()  # type: ignore[union-attr]
    with store.session() as session:
        assert session.scalar(sa.select(Link.needs_index)) is False  # nothing searched changed

    edited = store.curation.edit(link_id, LinkChanges(shelved=False, note="read it"))
    assert edited is not None
    assert (set(edited.changed), edited.link.shelved) == ({"shelved", "note"}, False)
    with store.session() as session:
        assert session.scalar(sa.select(Link.needs_index)) is True  # the note is searched

    assert store.curation.edit(link_id, LinkChanges(shelved=KEEP)).changed == ()  # type: ignore[union-attr]
    with pytest.raises(InvalidField, match="shelved is true or false, not str"):
        store.curation.edit(link_id, LinkChanges(shelved="yes"))  # type: ignore[arg-type]


def test_migration_0011_adds_the_state_to_links_made_before_it(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'linkvault.db'}")
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0010")
            conn.execute(
                sa.text(
                    "INSERT INTO links (url, normalized_url, tags, status, failure_count, "
                    "created_at, needs_index, queue_attempts) VALUES ('https://example.com/', "
                    "'https://example.com/', '[]', 'ok', 0, '2024-01-01 00:00:00', 0, 0)"
                )
            )
        assert migrate(engine) == ("0010", head_revision())
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT shelved FROM links")).scalars().all() == [0]
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0010")
        assert current_revision(engine) == "0010"
        assert "shelved" not in {c["name"] for c in sa.inspect(engine).get_columns("links")}
    finally:
        engine.dispose()
