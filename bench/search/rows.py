"""The rows of the search bench's archive: each generated article as the link and snapshot
`linkvault archive` would store, made one at a time from the corpus generator (a million
documents never sit in memory at once)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from archiver.models import LinkStatus, host_of
from archiver.urls import normalize_url
from bench._corpus import Corpus

Row = dict[str, Any]


def archive_rows(corpus: Corpus, docs: int) -> Iterator[tuple[Row, Row]]:
    """(link, snapshot) of each of the first ``docs`` articles. The link's snapshot_id is
    None: links and snapshots point at each other, so it is set once every snapshot is in."""
    for record in corpus.records(docs):
        # The record's own URL has a different host than its domain field: use the domain,
        # so the service's domain (taken from the URL) and FTS5's agree.
        url = f"https://{record.domain}/a/{record.id}"
        when = record.archived_at
        link: Row = {
            "id": record.id,
            "url": url,
            "normalized_url": normalize_url(url),
            "title": record.title,
            "section": record.section,
            "tags": [],
            "source": "bench/search.py",
            "source_line": record.id,
            "position": record.id,
            "status": LinkStatus.OK.value,
            "error": None,
            "http_status": 200,
            "failure_count": 0,
            "created_at": when,
            "checked_at": when,
            "archived_at": when,
            "dead_since": None,
            "snapshot_id": None,
            "needs_index": True,
            # A Python-side default of the model: COPY (bench/search/pg_archive.py) does not
            # run those, so it is given here.
            "host": host_of(url),
        }
        body = record.text.encode()
        snapshot: Row = {
            "id": record.id,
            "link_id": record.id,
            "fetched_at": when,
            "http_status": 200,
            "final_url": url,
            "content_type": "text/html; charset=utf-8",
            "content_hash": hashlib.sha256(body).hexdigest(),
            "etag": None,
            "last_modified": None,
            "size": len(body),
            "kind": "html",
            "title": record.title,
            "author": None,
            "published": None,
            "sitename": None,
            "description": None,
            "language": "en",
            "text": record.text,
            "raw": b"",  # the fetched body is not what is measured here
            "headers": {},
        }
        yield link, snapshot
