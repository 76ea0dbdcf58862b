"""Figures archived with their page: each figure's image fetched by the page's own guarded
Fetcher (address guard on every hop, proxy, timeouts, per-host politeness), checked by its
bytes, stored once by SHA-256, and named in the figure's `"image"` of the structured copy.

Limits (archiver.config.FetchConfig): `images_per_page` distinct figure URLs per page, in
reading order (0: off), and `image_max_bytes` per image after decompression. An image that
fails, is too big, is not an image or points to an internal address is skipped with a
logged note; it never fails the page. Images already stored for a figure URL are not fetched
again, so a refresh of a changed page fetches only the new ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from archiver._engine import Database
from archiver._sniff import image_type
from archiver.document import Document, DocumentError
from archiver.fetch import Fetcher, Outcome
from archiver.models import Image, Link, Snapshot, SnapshotImage, utcnow

__all__ = [
    "FetchedImage",
    "FigureImages",
    "ImageStore",
    "StoredImage",
    "fetch_figures",
    "figure_urls",
    "image_type",
    "src_hash",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FetchedImage:
    url: str
    sha256: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class FigureImages:
    """What the image step found for one page: figure URL → image SHA-256, the images new
    to this page's fetch, and why the others were skipped."""

    by_src: dict[str, str] = field(default_factory=dict)
    fetched: list[FetchedImage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StoredImage:
    sha256: str
    content_type: str
    url: str
    data: bytes
    fetched_at: datetime


def src_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def figure_urls(document: Document, limit: int) -> list[str]:
    """The distinct figure URLs in reading order, at most `limit`."""
    urls: list[str] = []
    for figure in document.figures():
        src = figure.get("src")
        if isinstance(src, str) and src and src not in urls:
            if len(urls) >= limit:
                break
            urls.append(src)
    return urls


async def fetch_figures(
    fetcher: Fetcher,
    urls: Sequence[str],
    known: Mapping[str, str],
    max_bytes: int,
    budget: float | None = None,
) -> FigureImages:
    """Fetches the figure URLs not in `known` (URL → SHA-256 already stored), concurrently
    within the fetcher's overall and per-host limits; never raises for what a server does.

    `budget` bounds the seconds for all of them: each fetch has the page's deadline, but
    fifty slow images queued two at a time on one host would hold a run for many minutes."""
    found = FigureImages(by_src={url: known[url] for url in urls if url in known})

    async def one(url: str) -> None:
        result = await fetcher.fetch(url, max_bytes=max_bytes)
        if result.outcome is not Outcome.OK or result.not_modified:
            found.notes.append(f"{url}: {result.error or result.outcome.value}")
            return
        kind = image_type(result.body)
        if kind is None:
            found.notes.append(f"{url}: not an image ({result.content_type or 'no type'})")
            return
        digest = hashlib.sha256(result.body).hexdigest()
        found.by_src[url] = digest
        if all(image.sha256 != digest for image in found.fetched):
            found.fetched.append(FetchedImage(url, digest, kind, result.body))

    tasks = [asyncio.ensure_future(one(url)) for url in urls if url not in known]
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=budget)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            found.notes.append(f"{len(pending)} not fetched within {budget:g} s for the page")
    for note in found.notes:
        log.info("figure skipped: %s", note)
    return found


class ImageStore(Database):
    """The archived images and which snapshot shows which."""

    def known(self, urls: Sequence[str]) -> dict[str, str]:
        """Figure URL → SHA-256 of the image already stored for it by any snapshot."""
        by_hash = {src_hash(url): url for url in urls}
        found: dict[str, str] = {}
        keys = list(by_hash)
        with self.engine.connect() as conn:
            for start in range(0, len(keys), 500):
                query = select(SnapshotImage.src_hash, SnapshotImage.sha256).where(
                    SnapshotImage.src_hash.in_(keys[start : start + 500])
                )
                for row in conn.execute(query):
                    found[by_hash[row.src_hash]] = row.sha256
        return found

    def attach(self, link_id: int, content_hash: str, images: FigureImages) -> int | None:
        """`attach_to_snapshot` for the link's current snapshot, if it is the one with this
        content hash (the page just stored); returns its id, or None when it is another, or
        when the link was removed meanwhile (archiver/curation.py)."""
        current = (
            select(Snapshot.id)
            .join(Link, Link.snapshot_id == Snapshot.id)
            .where(Link.id == link_id, Snapshot.content_hash == content_hash)
            # PostgreSQL: a removal of the link (which locks it FOR UPDATE) waits for this,
            # or this for it, so images are never attached to a snapshot being removed.
            .with_for_update(key_share=True, of=Link)
        )
        try:
            with self.engine.begin() as conn:
                snapshot_id = conn.execute(current).scalar()
                if snapshot_id is None or not self._attach(conn, snapshot_id, images):
                    return None
                return int(snapshot_id)
        except IntegrityError:
            # Its snapshot went between the look and the insert: the images, rolled back
            # with it, would have shown nothing.
            with self.engine.connect() as conn:
                if conn.execute(current).scalar() is None:
                    return None
            raise

    def attach_to_snapshot(self, snapshot_id: int, images: FigureImages) -> bool:
        """Stores the new images and links them to the snapshot, writing each figure's
        SHA-256 into its structured copy (None where the image was skipped). False when the
        snapshot has no structured copy this version can read, or is gone (its link was
        removed meanwhile)."""
        try:
            with self.engine.begin() as conn:
                return self._attach(conn, snapshot_id, images)
        except IntegrityError:
            with self.engine.connect() as conn:
                gone = conn.execute(select(Snapshot.id).where(Snapshot.id == snapshot_id))
                if gone.scalar() is None:
                    return False
            raise

    def _attach(self, conn: Connection, snapshot_id: int, images: FigureImages) -> bool:
        stored = conn.execute(select(Snapshot.document).where(Snapshot.id == snapshot_id)).scalar()
        if stored is None:
            return False
        try:
            document = Document.from_json(stored)
        except DocumentError:
            return False
        self._insert_images(conn, images.fetched)
        uses = {src_hash(src): sha for src, sha in images.by_src.items()}
        if uses:
            self._insert_ignoring_duplicates(
                conn,
                SnapshotImage,
                [
                    {"snapshot_id": snapshot_id, "src_hash": key, "sha256": sha}
                    for key, sha in uses.items()
                ],
            )
        for figure in document.figures():
            figure["image"] = images.by_src.get(figure["src"])
        conn.execute(
            update(Snapshot).where(Snapshot.id == snapshot_id).values(document=document.to_json())
        )
        return True

    def get(self, sha256: str) -> StoredImage | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Image).where(Image.sha256 == sha256)).first()
        if row is None:
            return None
        return StoredImage(row.sha256, row.content_type, row.url, row.data, row.fetched_at)

    def iter_images(self) -> Iterator[StoredImage]:
        """Every stored image, in SHA-256 order, read a few at a time."""
        last = ""
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(Image).where(Image.sha256 > last).order_by(Image.sha256).limit(20)
                ).all()
            if not rows:
                return
            for row in rows:
                yield StoredImage(row.sha256, row.content_type, row.url, row.data, row.fetched_at)
            last = rows[-1].sha256

    def _insert_images(self, conn: Connection, fetched: Sequence[FetchedImage]) -> None:
        if not fetched:
            return
        now = utcnow()
        self._insert_ignoring_duplicates(
            conn,
            Image,
            [
                {
                    "sha256": image.sha256,
                    "content_type": image.content_type,
                    "size": len(image.data),
                    "url": image.url,
                    "fetched_at": now,
                    "data": image.data,
                }
                for image in fetched
            ],
        )

    @staticmethod
    def _insert_ignoring_duplicates(
        conn: Connection, table: type[Image] | type[SnapshotImage], rows: list[dict[str, object]]
    ) -> None:
        # Another page (or another worker) may have stored the same bytes meanwhile: content
        # addressing makes theirs as good as ours.
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(table).on_conflict_do_nothing(), rows)
