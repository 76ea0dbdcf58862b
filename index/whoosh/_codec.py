"""Whoosh's W3 codec with a leaner posting block, and memoised field lengths when flushing.

A W3 posting block is one pickle (protocol 2) of (ids, weights, values) tuples. Reading one
took ~340 us: every value (the positions and character offsets snippets and phrases use) is a
bytes object, which protocol 2 rebuilds through a codecs.encode() call, even when only the ids
are wanted. Here a block is a protocol-4 pickle of three bytes strings: document numbers and
weights as machine arrays (array.frombytes, no per-item work) and the values as their own
pickle, unpickled only when a value is asked for. Block headers, term info and everything
else are W3 as before, and all of Whoosh's reading goes through the matcher below.

When a segment is flushed, Whoosh looks up a document's field length once per posting
(through a column reader) for per-block statistics; those lookups are memoised.

Segments record their codec, so these classes must stay importable at this path; changing the
block layout needs a SCHEMA_VERSION bump (old indexes are then rebuilt).
"""

from __future__ import annotations

import pickle
import zlib
from array import array
from typing import Any

from whoosh.codec import whoosh3

_PROTOCOL = 4


class LeafMatcher(whoosh3.W3LeafMatcher):
    """Reads the blocks written by _PostingsWriter (vector postings keep the W3 layout)."""

    def _read_ids(self) -> None:
        if self._byteids:
            super()._read_ids()
            return
        if self._data is None:
            self._read_data()
        ids = array("I")
        ids.frombytes(self._data[0])
        self._ids = ids

    def _read_weights(self) -> None:
        if self._byteids:
            super()._read_weights()
            return
        if self._data is None:
            self._read_data()
        packed = self._data[1]
        if packed is None:
            self._weights = array("f", [1.0]) * self._blocklength
        else:
            weights = array("f")
            weights.frombytes(packed)
            self._weights = weights

    def _read_values(self) -> None:
        if self._byteids:
            super()._read_values()
            return
        if self._data is None:
            self._read_data()
        packed = self._data[2]
        fixedsize = self._fixedsize
        if fixedsize is None or fixedsize < 0:
            self._values = pickle.loads(packed) if packed else ()  # noqa: S301 - our own file
        elif fixedsize == 0:
            self._values = (None,) * self._blocklength
        else:
            self._values = tuple(
                packed[i : i + fixedsize] for i in range(0, len(packed), fixedsize)
            )


class _PostingsWriter(whoosh3.W3PostingsWriter):
    def _write_block(self, last: bool = False) -> None:
        if self._byteids:  # term vectors: not used by linkvault, W3 layout as is
            super()._write_block(last)
            return
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        ids: array[int] = self._ids
        weights: array[float] = self._weights
        packed_weights = None if weights.count(1.0) == len(weights) else weights.tobytes()
        data = (ids.tobytes(), packed_weights, self._packed_values())
        databytes = pickle.dumps(data, _PROTOCOL)
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        info = (
            len(ids),
            ids[-1],
            self._maxweight,
            comp,
            whoosh3.length_to_byte(self._minlength),
            whoosh3.length_to_byte(self._maxlength),
        )
        infobytes = pickle.dumps(info, _PROTOCOL)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def _packed_values(self) -> bytes | None:
        fixedsize = self._format.fixed_value_size()
        values = self._values
        if fixedsize == 0 or not values:
            return None
        if fixedsize is None or fixedsize < 0:
            return pickle.dumps(tuple(values), _PROTOCOL)
        return b"".join(values)


class _MemoLengths:
    def __init__(self, lengths: Any) -> None:
        self._lengths = lengths
        self._cache: dict[tuple[int, str], Any] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        key = (docnum, fieldname)
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = self._lengths.doc_field_length(docnum, fieldname, default)
            return value


class _FieldWriter(whoosh3.W3FieldWriter):
    def add_postings(self, schema: Any, lengths: Any, items: Any) -> None:
        super().add_postings(schema, _MemoLengths(lengths) if lengths else lengths, items)


class Codec(whoosh3.W3Codec):
    def field_writer(self, storage: Any, segment: Any) -> Any:
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():  # never written (W3's inlining is off), but readable
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)
