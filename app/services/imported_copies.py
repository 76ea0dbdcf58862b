"""Imported copies: where an export carried the article (wallabag, Omnivore), it becomes the
first snapshot of each new link that has none, so a page already gone still has a copy that
the reader shows and search finds.

The HTML goes through the pipeline's own extraction in its process pool (archiver.reextract:
the text, the structured copy the reader shows, never the markup) and is stored marked with
the tool it came from (archiver/imported.py); then the index takes those links. Images in
the article are not fetched: the structured copy keeps their figures without pictures. The
links stay pending, so archiving still fetches each live page once.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from app.services.indexing import index_links
from archiver import ImportCounts, Store, StoredBody, extraction_pool, reextract_body
from archiver.pipeline import default_workers
from archiver.records import ImportedCopy, LinkSpec, compress
from index import SearchBackend

__all__ = ["CONTENT_TYPE", "keep_imported_copies"]

log = logging.getLogger("linkvault.imported")

CONTENT_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True, slots=True)
class _Wanted:
    link_id: int
    url: str
    copy: ImportedCopy


def _page(copy: ImportedCopy) -> bytes:
    """The article as a page of its own: exports hold a fragment without <head>, and the
    extractor finds the title and the language in a whole page."""
    title = html.escape(copy.title or "", quote=False)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><article>{copy.html}</article></body></html>"
    ).encode("utf-8", "replace")


def _wanted(specs: Sequence[LinkSpec], counts: ImportCounts) -> list[_Wanted]:
    # Link ids come one per distinct URL, the first spec of each (Links.add_links).
    first: dict[str, LinkSpec] = {}
    for spec in specs:
        first.setdefault(spec.normalized_url, spec)
    return [
        _Wanted(link_id, spec.url, spec.imported_copy)
        for spec, link_id in zip(first.values(), counts.link_ids, strict=True)
        if spec.imported_copy is not None
    ]


def keep_imported_copies(
    store: Store,
    index: SearchBackend,
    specs: Sequence[LinkSpec],
    counts: ImportCounts,
    *,
    max_bytes: int,
    workers: int | None = None,
) -> list[int]:
    """Stores each imported article as the first snapshot of its link where the link has
    none, and indexes those links; returns their ids. An article over `max_bytes` (the page
    limit) or one the extractor finds no text in is left out."""
    wanted = _wanted(specs, counts)
    if not wanted:
        return []
    bare = store.imported.without_copy([item.link_id for item in wanted])
    todo: list[tuple[_Wanted, StoredBody]] = []
    for item in wanted:
        if item.link_id not in bare:
            continue
        body = _page(item.copy)
        if len(body) > max_bytes:
            log.warning("imported copy of %s larger than the page limit: not kept", item.url)
            continue
        stored = StoredBody(
            snapshot_id=0,
            link_id=item.link_id,
            final_url=item.url,
            http_status=None,
            content_type=CONTENT_TYPE,
            headers={"content-type": CONTENT_TYPE},
            raw_compressed=compress(body),
        )
        todo.append((item, stored))
    if not todo:
        return []
    kept: list[int] = []
    with extraction_pool(min(workers or default_workers(), len(todo))) as pool:
        futures = [(item, pool.submit(reextract_body, body)) for item, body in todo]
        for item, future in futures:
            try:
                page = future.result()
            except Exception:  # a crash (BrokenProcessPool too) loses these copies only
                log.exception("imported copy of %s could not be extracted", item.url)
                continue
            if page.kind == "unsupported" or not page.text.strip():
                continue
            if store.imported.record(item.link_id, page, item.copy.origin, item.copy.saved_at):
                kept.append(item.link_id)
    if kept:
        index_links(store, index, kept)
    return kept
