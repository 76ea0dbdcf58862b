"""PostgreSQL search keeps stop words and hyphenated parts in place, and a small vector for
ranking (issue 14: bounded ranking time, phrases of stop words, hyphenated words).

- A text search configuration of linkvault's own, ``linkvault_english``: the english one with
  a Snowball stemmer that has no stop list, and without the whole of a hyphenated word. The
  english configuration drops stop words, so `"she said she did not"` was the word `said`;
  stop words are now indexed (queries still drop them from plain words, phrases keep them).
  It also indexed `thirty-one` as the compound and then its parts, a position each, so a
  phrase ending at the hyphen (`"left at thirty"`) never lined up; now the parts only.
- ``rank_tsv``: the title, its code words, the note and the first 600 characters of the text,
  weighted as in ``tsv``: small enough to stay in the table row, so ranking every match of a
  common word reads no TOAST (index/postgres/_search.py ranks on it first, then the best
  hundred on the whole ``tsv``).

Both tsvectors are generated columns: this revision rewrites search_documents once, computing
them for every document (no reindex needed). The statements are written out, not derived from
index/postgres/_tables.py: a released migration must go on doing what it did.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_CONFIG = (
    "CREATE TEXT SEARCH DICTIONARY linkvault_english_stem "
    "(TEMPLATE = snowball, Language = english)",
    "CREATE TEXT SEARCH CONFIGURATION linkvault_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION linkvault_english "
    "ALTER MAPPING FOR asciiword, word, hword_asciipart, hword_part WITH linkvault_english_stem",
    "ALTER TEXT SEARCH CONFIGURATION linkvault_english "
    "DROP MAPPING FOR asciihword, hword, numhword",
)


def _tsv(config: str) -> str:
    return (
        f"setweight(to_tsvector('{config}'::regconfig, translate(title, '<', ' ')), 'A') || "
        f"setweight(to_tsvector('{config}'::regconfig, coalesce(title_code, '')), 'A') || "
        f"setweight(to_tsvector('{config}'::regconfig, translate(coalesce(note, ''), '<', ' ')),"
        f" 'C') || setweight(to_tsvector('{config}'::regconfig, coalesce(note_code, '')), 'C') || "
        f"setweight(to_tsvector('{config}'::regconfig, translate(body, '<', ' ')), 'B') || "
        f"setweight(to_tsvector('{config}'::regconfig, coalesce(body_code, '')), 'B')"
    )


_RANK_TSV_0015 = (
    "setweight(to_tsvector('linkvault_english'::regconfig, translate(title, '<', ' ')), 'A') || "
    "setweight(to_tsvector('linkvault_english'::regconfig, coalesce(title_code, '')), 'A') || "
    "setweight(to_tsvector('linkvault_english'::regconfig, "
    "translate(coalesce(note, ''), '<', ' ')), 'C') || "
    "setweight(to_tsvector('linkvault_english'::regconfig, "
    "translate(left(body, 600), '<', ' ')), 'B')"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in (
        *_CONFIG,
        # One ALTER, so the table is rewritten once.
        "ALTER TABLE search_documents DROP COLUMN tsv, "  # and its index
        f"ADD COLUMN tsv TSVECTOR GENERATED ALWAYS AS ({_tsv('linkvault_english')}) STORED, "
        f"ADD COLUMN rank_tsv TSVECTOR GENERATED ALWAYS AS ({_RANK_TSV_0015}) STORED",
        # Kept in the row (compressed if need be), never in TOAST: that is its point.
        "ALTER TABLE search_documents ALTER COLUMN rank_tsv SET STORAGE MAIN",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
    ):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in (
        "ALTER TABLE search_documents DROP COLUMN rank_tsv, DROP COLUMN tsv, "
        f"ADD COLUMN tsv TSVECTOR GENERATED ALWAYS AS ({_tsv('english')}) STORED",
        "CREATE INDEX ix_search_documents_tsv ON search_documents USING gin (tsv)",
        "DROP TEXT SEARCH CONFIGURATION linkvault_english",
        "DROP TEXT SEARCH DICTIONARY linkvault_english_stem",
    ):
        bind.exec_driver_sql(statement)
