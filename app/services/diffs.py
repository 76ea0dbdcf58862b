"""What changed between two snapshots of a link, as a unified diff of their texts."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from archiver.models import Snapshot

# difflib is quadratic at worst; a book-length PDF should not hold a request for minutes.
MAX_LINES = 20_000
CONTEXT = 3

LineKind = Literal["header", "hunk", "add", "remove", "same"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    text: str  # without the leading +, - or space


@dataclass(frozen=True, slots=True)
class TextDiff:
    lines: list[DiffLine]
    added: int
    removed: int
    truncated: bool  # a text was cut to MAX_LINES lines before comparing

    @property
    def unified(self) -> str:
        marks = {"header": "", "hunk": "", "add": "+", "remove": "-", "same": " "}
        return "".join(marks[line.kind] + line.text + "\n" for line in self.lines)


def label(snapshot: Snapshot) -> str:
    return f"snapshot {snapshot.id} ({snapshot.fetched_at:%Y-%m-%d %H:%M} UTC)"


def diff_snapshots(older: Snapshot, newer: Snapshot) -> TextDiff:
    a, b = older.text.splitlines(), newer.text.splitlines()
    truncated = len(a) > MAX_LINES or len(b) > MAX_LINES
    raw = difflib.unified_diff(
        a[:MAX_LINES],
        b[:MAX_LINES],
        fromfile=label(older),
        tofile=label(newer),
        n=CONTEXT,
        lineterm="",
    )
    lines: list[DiffLine] = []
    added = removed = 0
    for number, text in enumerate(raw):
        if number < 2:  # the ---/+++ file header
            lines.append(DiffLine("header", text))
        elif text.startswith("@@"):
            lines.append(DiffLine("hunk", text))
        elif text.startswith("+"):
            lines.append(DiffLine("add", text[1:]))
            added += 1
        elif text.startswith("-"):
            lines.append(DiffLine("remove", text[1:]))
            removed += 1
        else:
            lines.append(DiffLine("same", text[1:]))
    return TextDiff(lines, added, removed, truncated)
