"""Extracting stored snapshots again from their stored bodies, without fetching.

A stored snapshot is turned back into the fetch it recorded and goes through the pipeline's
own extraction step (`process_page`), so a re-extracted snapshot is what archiving that
page today would store: the same kind decision, the same text, the same structured copy.
The work runs in the pipeline's process pool (fork server, workers that die with their
parent); which snapshots to redo and storing the results are `Links` methods.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from archiver._content_encoding import parse_content_type
from archiver.fetch import FetchResult, Outcome
from archiver.links import StoredBody
from archiver.pipeline import _worker_pool, process_page
from archiver.records import StoredPage, decompress

__all__ = ["extraction_pool", "reextract_body"]


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    """The pipeline's extraction pool: forkserver workers that exit with their parent."""
    return _worker_pool(workers)


def reextract_body(body: StoredBody) -> StoredPage:
    """Extraction worker: the stored body extracted again, as the pipeline would store it.

    Decompressed here, in the worker, so the parent only moves compressed bytes."""
    raw = decompress(body.raw_compressed)
    # The charset the server declared was not stored on its own; its header was.
    _, charset = parse_content_type(body.headers.get("content-type"))
    fetched = FetchResult(
        url=body.final_url,
        final_url=body.final_url,
        outcome=Outcome.OK,
        http_status=body.http_status,
        content_type=body.content_type,
        charset=charset,
        headers=body.headers,
        body=raw,
        error=None,
        redirects=[],
        attempts=1,
    )
    return process_page(fetched)
