"""Search documents carry the link's note and tags (issue 11: curation), on PostgreSQL.

search_documents gains ``note`` (searched with the title and text, weight C: between the
title's A and the text's B), ``tags`` (as written, shown with hits) and ``tag_keys`` (what
`tag:`, the tag filter and the tag facet match, under a GIN index). The weighted tsvector
is a generated column, and PostgreSQL 15 cannot change the expression of one: it is dropped
and added again with the note in it, which recomputes it for every document once.

Documents already indexed get their link's note and tags here, so `tag:` finds them as soon
as the database is migrated; their links are also marked for indexing, so the next run
rewrites them with this version's fingerprint (`linkvault check` would call them stale).
On SQLite this revision changes nothing: search there is the Whoosh index (whose schema
version changed too: `linkvault reindex` rebuilds it).

The statements are written out, not derived from index/postgres/_tables.py (which declares
the tables' current shape): a released migration must go on doing what it did.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TSV_0002 = (
    "setweight(to_tsvector('english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(body, '<', ' ')), 'B')"
)
_TSV_0009 = (
    "setweight(to_tsvector('english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(note, ''), '<', ' ')), 'C')"
    " || setweight(to_tsvector('english'::regconfig, translate(body, '<', ' ')), 'B')"
)

# index._syntax.tag_key as of this revision (a migration does not import the index, and
# must not change when it does).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)


def _tag_key(tag: str) -> str:
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", tag)).replace('"', " ")
    return " ".join(text.split()).lower()


def _clean(text: str) -> str:
    # As the index writes text: no NUL (PostgreSQL text cannot hold it), no snippet markers.
    return re.sub("[\ue000-\ue003]", " ", text.replace("\x00", " "))


_documents = sa.table(
    "search_documents",
    sa.column("link_id", sa.Integer),
    sa.column("note", sa.Text),
    sa.column("tags", postgresql.ARRAY(sa.Text)),
    sa.column("tag_keys", postgresql.ARRAY(sa.Text)),
)
_CURATED = sa.text(
    "SELECT d.link_id, l.tags, l.note FROM search_documents AS d "
    "JOIN links AS l ON l.id = d.link_id "
    "WHERE l.note IS NOT NULL OR (l.tags IS NOT NULL AND l.tags::text NOT IN ('[]', 'null')) "
    "ORDER BY d.link_id"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in (
        "ALTER TABLE search_documents ADD COLUMN note TEXT",
        "ALTER TABLE search_documents ADD COLUMN tags TEXT[] DEFAULT '{}' NOT NULL",
        "ALTER TABLE search_documents ADD COLUMN tag_keys TEXT[] DEFAULT '{}' NOT NULL",
        # Dropped before the backfill, so updating rows does not compute it twice.
        "ALTER TABLE search_documents DROP COLUMN tsv",  # and its index
    ):
        bind.exec_driver_sql(statement)
    _backfill(bind)
    for statement in (
        f"ALTER TABLE search_documents ADD COLUMN tsv TSVECTOR "
        f"GENERATED ALWAYS AS ({_TSV_0009}) STORED",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
        "CREATE INDEX ix_search_documents_tag_keys ON search_documents USING gin (tag_keys)",
    ):
        bind.exec_driver_sql(statement)


def _backfill(bind: sa.Connection) -> None:
    rows: list[dict[str, Any]] = []
    for link_id, tags, note in bind.execute(_CURATED):
        if isinstance(tags, str):
            tags = json.loads(tags)
        written = [_clean(str(tag)) for tag in tags or [] if str(tag).strip()]
        rows.append(
            {
                "id": link_id,
                "note": _clean(note) if note else None,
                "tags": written,
                "tag_keys": list(dict.fromkeys(k for k in map(_tag_key, written) if k)),
            }
        )
    if not rows:
        return
    update = (
        sa.update(_documents)
        .where(_documents.c.link_id == sa.bindparam("id"))
        .values(
            note=sa.bindparam("note"),
            tags=sa.bindparam("tags", type_=postgresql.ARRAY(sa.Text)),
            tag_keys=sa.bindparam("tag_keys", type_=postgresql.ARRAY(sa.Text)),
        )
    )
    ids = [row["id"] for row in rows]
    for start in range(0, len(rows), 500):
        bind.execute(update, rows[start : start + 500])
        chunk = ids[start : start + 500]
        bind.execute(
            sa.text("UPDATE links SET needs_index = true WHERE id = ANY(:ids)"), {"ids": chunk}
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in (
        "DROP INDEX ix_search_documents_tag_keys",
        "ALTER TABLE search_documents DROP COLUMN tsv",
        "ALTER TABLE search_documents DROP COLUMN tag_keys",
        "ALTER TABLE search_documents DROP COLUMN tags",
        "ALTER TABLE search_documents DROP COLUMN note",
        f"ALTER TABLE search_documents ADD COLUMN tsv TSVECTOR "
        f"GENERATED ALWAYS AS ({_TSV_0002}) STORED",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    ):
        bind.exec_driver_sql(statement)
