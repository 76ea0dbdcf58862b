"""Reading the members of a zip export in memory, within bounds: a zip is opened only after
its magic bytes said so, never extracted to disk, and refused as a whole (SourceError) when
it is corrupt, holds too many members or too many bytes once inflated, or names a member
outside itself (`../x`, `/etc/x`): such a file was not made by the tool it claims to come
from."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath

from archiver._linklist import SourceError, shorten

__all__ = ["MAX_MEMBERS", "MAX_UNCOMPRESSED", "ZipExport", "is_zip"]

# Omnivore writes a metadata file per 20 items beside a content and a highlights file per
# item: 100,000 members is some 45,000 articles.
MAX_MEMBERS = 100_000
# What may be inflated in all; the bytes the zip itself may have are MAX_SOURCE_BYTES.
MAX_UNCOMPRESSED = 1024 * 1024 * 1024
_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a first member, or an empty zip's end record


def is_zip(data: bytes) -> bool:
    return data[:4] in _MAGIC


def _unsafe(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return path.is_absolute() or ".." in path.parts or (len(name) > 1 and name[1] == ":")


class ZipExport:
    """The members of one zip, read one at a time, each within its own limit."""

    def __init__(self, data: bytes, source: str) -> None:
        self.source = source
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as exc:
            raise SourceError(f"{source}: not a readable zip file: {exc}") from None
        if len(infos) > MAX_MEMBERS:
            raise SourceError(f"{source}: more than {MAX_MEMBERS:,} files in the zip")
        for info in infos:
            if _unsafe(info.filename):
                raise SourceError(
                    f"{source}: the zip names a file outside itself "
                    f"({shorten(info.filename)!r}); nothing read from it"
                )
        if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED:
            raise SourceError(
                f"{source}: more than {MAX_UNCOMPRESSED // 2**20} MB once uncompressed"
            )
        self._infos = {info.filename: info for info in infos if not info.is_dir()}
        self._inflated = 0

    def names(self) -> Iterator[str]:
        return iter(self._infos)

    def size(self, name: str) -> int:
        return self._infos[name].file_size

    def read(self, name: str, limit: int) -> bytes:
        """A member's bytes; SourceError when the zip is corrupt there or lies about its size
        (sizes in the headers are not trusted: at most `limit` and the total are inflated)."""
        allowed = min(limit, MAX_UNCOMPRESSED - self._inflated)
        try:
            with self._zip.open(self._infos[name]) as member:
                data = member.read(allowed + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise SourceError(f"{self.source}: {shorten(name)} is corrupt: {exc}") from None
        except (NotImplementedError, RuntimeError) as exc:  # a method or encryption
            raise SourceError(f"{self.source}: {shorten(name)} cannot be read: {exc}") from None
        if len(data) > allowed:
            raise SourceError(
                f"{self.source}: {shorten(name)} is larger than its zip header says or "
                "than linkvault reads"
            )
        self._inflated += len(data)
        return data
