"""JSON read as far as it goes: an export cut off mid-file (a download that stopped, a disk
that filled) still holds every entry before the break, and an import keeps them.

`load_partial` parses a whole file with the json module when it can. When it cannot, it
reads again, down the containers the break is in (every whole value, entries included, by
the json module's own decoder), and stops at the break: every container open there is
returned with the members complete before it, as a `CutDict` or `CutList`, so a reader can
tell the entry the file broke inside (cut: skipped) from the entries before it (whole:
kept). The break is reported once, with its line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Break", "CutDict", "CutList", "load_partial"]

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
# Nesting deeper than this is a broken or hostile file, not an export.
_MAX_DEPTH = 200


class CutDict(dict[str, Any]):
    """An object the file broke off inside: only its members complete before the break."""


class CutList(list[Any]):
    """An array the file broke off inside: only its items complete before the break."""


@dataclass(frozen=True, slots=True)
class Break:
    line: int  # 1-based line of the break
    message: str  # what the json module said there


class _Nothing:
    """No value at all could be read where one was expected."""


_NOTHING = _Nothing()


class _Partial:
    def __init__(self, text: str) -> None:
        self.text = text
        self.broken_at: int | None = None

    def _space(self, pos: int) -> int:
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def _break(self, pos: int) -> None:
        if self.broken_at is None:
            self.broken_at = pos

    def value(self, pos: int, depth: int) -> tuple[Any, int]:
        pos = self._space(pos)
        opener = self.text[pos : pos + 1]
        if opener in ("{", "[") and depth >= _MAX_DEPTH:
            self._break(pos)
            return _NOTHING, pos
        if opener in ("{", "["):
            # Whole containers (every entry before the break) at the json module's speed;
            # only the ones the break is in are read member by member.
            try:
                return _DECODER.raw_decode(self.text, pos)
            except (json.JSONDecodeError, RecursionError):
                pass
            if opener == "{":
                return self._object(pos + 1, depth + 1)
            return self._array(pos + 1, depth + 1)
        try:
            return _DECODER.raw_decode(self.text, pos)
        except json.JSONDecodeError as exc:
            self._break(exc.pos)
            return _NOTHING, pos

    def _array(self, pos: int, depth: int) -> tuple[Any, int]:
        items: list[Any] = []
        pos = self._space(pos)
        if self.text[pos : pos + 1] == "]":
            return items, pos + 1
        while True:
            item, pos = self.value(pos, depth)
            if self.broken_at is not None:
                if isinstance(item, (CutDict, CutList)):
                    items.append(item)
                return CutList(items), pos
            items.append(item)
            pos = self._space(pos)
            after = self.text[pos : pos + 1]
            if after == "]":
                return items, pos + 1
            if after != ",":
                self._break(pos)
                return CutList(items), pos
            pos += 1

    def _object(self, pos: int, depth: int) -> tuple[Any, int]:
        members: dict[str, Any] = {}
        pos = self._space(pos)
        if self.text[pos : pos + 1] == "}":
            return members, pos + 1
        while True:
            pos = self._space(pos)
            key: Any = _NOTHING
            if self.text[pos : pos + 1] == '"':
                key, pos = self.value(pos, depth)
            pos = self._space(pos)
            if not isinstance(key, str) or self.text[pos : pos + 1] != ":":
                self._break(pos)
                return CutDict(members), pos
            value, pos = self.value(pos + 1, depth)
            if self.broken_at is not None:
                if isinstance(value, (CutDict, CutList)):
                    members[key] = value
                return CutDict(members), pos
            members[key] = value
            pos = self._space(pos)
            after = self.text[pos : pos + 1]
            if after == "}":
                return members, pos + 1
            if after != ",":
                self._break(pos)
                return CutDict(members), pos
            pos += 1


def load_partial(text: str) -> tuple[Any, Break | None]:
    """The file's value and None when it is whole; else what came before the break, and
    where it is. ValueError when not even the start of a value can be read (not JSON)."""
    text = text.lstrip("\ufeff")
    try:
        return json.loads(text), None
    except RecursionError:
        raise ValueError(f"nested deeper than {_MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        first = exc
    partial = _Partial(text)
    value, end = partial.value(0, 0)
    if isinstance(value, _Nothing):
        raise ValueError(str(first))
    where = partial.broken_at if partial.broken_at is not None else end
    line = text.count("\n", 0, where) + 1
    message = first.msg if partial.broken_at is not None else "unexpected text after the end"
    return value, Break(line, message)
