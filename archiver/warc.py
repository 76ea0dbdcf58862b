"""The stored raw responses as a standard WARC 1.1 file, for replay tools (pywb, ReplayWeb.page).

Each snapshot with a kept body becomes a `response` record (one imported from another
tool's export, which no server answered, a `resource` record): the status and headers as stored
and the body as stored, which is already decompressed; so the headers that described the
transfer (Content-Encoding, Transfer-Encoding, Content-Length) are replaced to match it.
Each archived figure (archiver/images.py) follows as a `response` record for the URL it was
first fetched from, with its sniffed type, so a replay shows the pages with their images.
"""

from __future__ import annotations

import http
import io
from typing import IO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver._version import __version__
from archiver.export import iter_links
from archiver.images import StoredImage
from archiver.models import Snapshot
from archiver.records import decompress
from archiver.store import Store

# They described how the bytes travelled, not the stored body.
_TRANSFER_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


def write_warc(store: Store, out: IO[bytes], filename: str = "linkvault.warc.gz") -> int:
    """Writes a gzipped WARC: one warcinfo record, then a response record per kept body and
    one per archived image. Returns the number of response records."""
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    info = {
        "software": f"linkvault/{__version__}",
        "format": "WARC File Format 1.1",
        "description": "Raw responses stored by linkvault, one record per snapshot "
        "and one per archived image.",
    }
    writer.write_record(writer.create_warcinfo_record(filename, info))
    count = 0
    for record in iter_links(store):
        for snap in record.snapshots:
            if not snap.raw and snap.size:
                continue  # an image or archive: metadata only, the body was not kept
            if snap.imported_from:  # no server answered it: not a response
                writer.write_record(_imported_resource(writer, snap, record.link.id))
            else:
                writer.write_record(_response(writer, snap, record.link.id))
            count += 1
    for image in store.images.iter_images():
        writer.write_record(_image_response(writer, image))
        count += 1
    return count


def _image_response(writer: WARCWriter, image: StoredImage) -> object:
    headers = [("Content-Type", image.content_type), ("Content-Length", str(len(image.data)))]
    http_headers = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    warc_headers = {
        "WARC-Date": image.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "Linkvault-Image-Sha256": image.sha256,
    }
    return writer.create_warc_record(
        image.url,
        "response",
        payload=io.BytesIO(image.data),
        length=len(image.data),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )


def _response(writer: WARCWriter, snap: Snapshot, link_id: int) -> object:
    body = decompress(snap.raw)
    status = snap.http_status or 200
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    headers = [
        (_header_name(name), value)
        for name, value in (snap.headers or {}).items()
        if name.lower() not in _TRANSFER_HEADERS
    ]
    headers.append(("Content-Length", str(len(body))))
    http_headers = StatusAndHeaders(f"{status} {phrase}", headers, protocol="HTTP/1.1")
    warc_headers = {
        "WARC-Date": snap.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        # Extension fields, which readers ignore: where the record came from in linkvault.
        "Linkvault-Link-Id": str(link_id),
        "Linkvault-Snapshot-Id": str(snap.id),
    }
    return writer.create_warc_record(
        snap.final_url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict=warc_headers,
    )


def _imported_resource(writer: WARCWriter, snap: Snapshot, link_id: int) -> object:
    """An article another tool's export carried (archiver/imported.py), as a `resource`
    record: the content without an HTTP exchange, dated when that tool saved it."""
    body = decompress(snap.raw)
    warc_headers = {
        "WARC-Date": snap.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "Linkvault-Link-Id": str(link_id),
        "Linkvault-Snapshot-Id": str(snap.id),
        "Linkvault-Imported-From": snap.imported_from or "",
    }
    return writer.create_warc_record(
        snap.final_url,
        "resource",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type=snap.content_type or "text/html",
        warc_headers_dict=warc_headers,
    )


def _header_name(name: str) -> str:
    # Stored lowercased; replay tools match names case-insensitively, people read them better.
    return "-".join(part.capitalize() for part in name.split("-"))
