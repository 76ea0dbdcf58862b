"""Restores an archive from a linkvault JSON export (archiver/export.py), without fetching.

Into an empty database the links keep their ids, so every `/links/{id}` address and every
search result stays the same. Into one that already holds links, the export's links are
added after them with new ids, and a link already present (same normalised URL) is kept as
it is. Either way the restore is one transaction: a malformed export changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from archiver._linklist import clean_note
from archiver._sniff import image_type
from archiver.document import Document, DocumentError
from archiver.export import EXPORT_FORMAT, EXPORT_VERSION
from archiver.images import src_hash
from archiver.models import Check, Image, Link, LinkStatus, Snapshot, SnapshotImage, utcnow
from archiver.records import compress
from archiver.store import Store
from archiver.tagging import lenient_tags
from archiver.urls import normalize_url

_SNIFF_BYTES = 512
_STATUSES = {status.value for status in LinkStatus}


class ExportError(ValueError):
    """The file is not a linkvault export this version can read; the message says why."""


@dataclass(slots=True)
class RestoreReport:
    links: int = 0
    existing: int = 0
    snapshots: int = 0
    checks: int = 0
    images: int = 0
    problems: list[str] = field(default_factory=list)

    def describe(self) -> str:
        present = f" ({self.existing} already here, kept as they are)" if self.existing else ""
        return (
            f"{self.links} links{present}, {self.snapshots} snapshots, {self.checks} checks"
            + (f", {self.images} images" if self.images else "")
            + "; nothing fetched."
        )


def is_export(path: Path) -> bool:
    """Whether a file is a linkvault JSON export, by its first bytes (the format comes first)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return False  # the list reader reports missing and unreadable files
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") and f'"{EXPORT_FORMAT}"'.encode() in head


def load_export(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: cannot read the export: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ExportError(f"{path}: not a linkvault export")
    if data.get("version") != EXPORT_VERSION:
        raise ExportError(
            f"{path}: export version {data.get('version')!r}; this linkvault reads "
            f"version {EXPORT_VERSION}"
        )
    if not isinstance(data.get("links"), list):
        raise ExportError(f"{path}: the export has no list of links")
    return data


def restore_export(store: Store, data: Mapping[str, Any]) -> RestoreReport:
    """Adds the export's links, snapshots and checks; marks the links for indexing."""
    report = RestoreReport()
    with store.session() as session:
        # First, so the snapshots' figures can point at them (older exports have none).
        images = _restore_images(session, data.get("images") or [], report)
        empty = not session.scalar(select(func.count(Link.id)))
        offset = 0 if empty else session.scalar(select(func.max(Link.position))) or 0
        for number, item in enumerate(data["links"], start=1):
            try:
                _restore_link(session, item, empty, offset, images, report)
            except (KeyError, TypeError, ValueError) as exc:
                raise ExportError(f"link {number} of the export is malformed: {exc}") from None
    return report


def _restore_images(session: Session, items: Any, report: RestoreReport) -> set[str]:
    """Adds the export's images not stored yet, each checked against its SHA-256; returns
    the hashes of every image the archive now holds among those the export names."""
    if not isinstance(items, list):
        raise ExportError("the export's images are not a list")
    held: set[str] = set()
    for number, item in enumerate(items, start=1):
        try:
            sha = _text(item["sha256"])
            body = base64.b64decode(_text(item["body_base64"]), validate=True)
            kind = image_type(body)
            if hashlib.sha256(body).hexdigest() != sha or kind is None:
                report.problems.append(f"image {number} of the export is not what it says")
                continue
            if session.get(Image, sha) is None:
                session.add(
                    Image(
                        sha256=sha,
                        content_type=kind,
                        size=len(body),
                        url=_text(item.get("url") or ""),
                        fetched_at=_when(item.get("fetched_at")) or utcnow(),
                        data=body,
                    )
                )
                report.images += 1
            held.add(sha)
        except (KeyError, TypeError, ValueError, binascii.Error):
            report.problems.append(f"image {number} of the export is malformed")
    session.flush()
    return held


def _restore_link(
    session: Session,
    item: Mapping[str, Any],
    keep_ids: bool,
    offset: int,
    images: set[str],
    report: RestoreReport,
) -> None:
    url = _text(item["url"])
    normalized = item.get("normalized_url") or normalize_url(url)
    if session.scalar(select(Link.id).where(Link.normalized_url == normalized)) is not None:
        report.existing += 1
        return
    status = item.get("status") or LinkStatus.PENDING.value
    if status not in _STATUSES:
        raise ValueError(f"unknown status {status!r}")
    position = item.get("position")
    link = Link(
        id=int(item["id"]) if keep_ids else None,
        url=url,
        normalized_url=normalized,
        title=item.get("title"),
        section=item.get("section"),
        # What the owner set: the tags by the one rule (a backup is input like any other),
        # the note as an import keeps one.
        tags=list(lenient_tags(_items(item.get("tags")))),
        note=clean_note(_text(item["note"])) if item.get("note") is not None else None,
        source=item.get("source"),
        source_line=item.get("source_line"),
        position=None if position is None else int(position) + offset,
        status=status,
        error=item.get("error"),
        http_status=item.get("http_status"),
        failure_count=int(item.get("failure_count") or 0),
        created_at=_when(item.get("created_at")) or datetime.now(UTC),
        checked_at=_when(item.get("checked_at")),
        archived_at=_when(item.get("archived_at")),
        dead_since=_when(item.get("dead_since")),
        # Absent from exports made before linkvault confirmed deaths (issue 13).
        unreachable_since=_when(item.get("unreachable_since")),
        unreachable_reason=item.get("unreachable_reason"),
        # Absent from exports made before links could be shelved (issue 12).
        shelved=item.get("shelved") is True,
    )
    session.add(link)
    session.flush()
    report.links += 1
    new_ids: dict[int, int] = {}
    for snap_item in item.get("snapshots") or []:
        snapshot = _snapshot(link, snap_item, report)
        session.add(snapshot)
        session.flush()
        _link_figures(session, snapshot, images)
        new_ids[int(snap_item["id"])] = snapshot.id
        report.snapshots += 1
    current = item.get("snapshot")
    if current is not None:
        link.snapshot_id = new_ids[int(current)]
        link.needs_index = True
    for check_item in item.get("checks") or []:
        old = check_item.get("snapshot")
        session.add(
            Check(
                link_id=link.id,
                checked_at=_when(check_item["checked_at"]),
                status=check_item["status"],
                http_status=check_item.get("http_status"),
                error=check_item.get("error"),
                snapshot_id=None if old is None else new_ids.get(int(old)),
                changed=bool(check_item.get("changed")),
            )
        )
        report.checks += 1


def _snapshot(link: Link, item: Mapping[str, Any], report: RestoreReport) -> Snapshot:
    encoded = item.get("body_base64")
    try:
        body = None if encoded is None else base64.b64decode(encoded, validate=True)
    except (binascii.Error, TypeError):
        raise ValueError(f"snapshot {item.get('id')}: body is not base64") from None
    content_hash = _text(item["content_hash"])
    if body is not None and hashlib.sha256(body).hexdigest() != content_hash:
        report.problems.append(
            f"{link.url}: snapshot {item.get('id')} does not match its content hash "
            "(restored as it is)"
        )
    return Snapshot(
        link_id=link.id,
        fetched_at=_when(item["fetched_at"]),
        http_status=item.get("http_status"),
        final_url=item.get("final_url") or link.url,
        content_type=item.get("content_type"),
        content_hash=content_hash,
        etag=item.get("etag"),
        last_modified=item.get("last_modified"),
        size=int(item.get("size") or (len(body) if body else 0)),
        kind=_text(item["kind"]),
        title=item.get("title"),
        author=item.get("author"),
        published=item.get("published"),
        sitename=item.get("sitename"),
        description=item.get("description"),
        language=item.get("language"),
        text=item.get("text") or "",
        document=_document(link, item, report),
        extracted_with=_version(item.get("extracted_with")),
        raw=compress(body) if body else b"",
        headers=dict(item.get("headers") or {}),
        imported_from=_origin(item.get("imported_from")),
    )


def _link_figures(session: Session, snapshot: Snapshot, images: set[str]) -> None:
    """A figure keeps its image only if the archive holds it (else the reader would show a
    broken image; `linkvault reextract --all` fetches it again), and the snapshot is
    recorded as using it, as archiving does."""
    if snapshot.document is None:
        return
    document = Document.from_json(snapshot.document)
    uses: dict[str, str] = {}
    for figure in document.figures():
        image = figure.get("image")
        if image is not None and image not in images:
            figure["image"] = None
        elif image is not None:
            uses[src_hash(figure["src"])] = image
    snapshot.document = document.to_json()
    for key, sha in uses.items():
        session.add(SnapshotImage(snapshot_id=snapshot.id, src_hash=key, sha256=sha))


def _document(link: Link, item: Mapping[str, Any], report: RestoreReport) -> str | None:
    """The snapshot's structured copy, checked: an export is untrusted input, and the reader
    renders this. One that does not check out is left out (reextract can make it again)."""
    data = item.get("document")
    if data is None:
        return None
    try:
        return Document.from_data(data).to_json()
    except DocumentError as exc:
        report.problems.append(
            f"{link.url}: snapshot {item.get('id')}: {exc} (restored without it)"
        )
        return None


def _origin(value: Any) -> str | None:
    """The tool an imported copy came from; anything but a short name is dropped."""
    return value.strip()[:32] or None if isinstance(value, str) else None


def _version(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _when(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(_text(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
