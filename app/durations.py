"""Durations as people write them on a command line: 7d, 12h, 30m, 2w, 1d12h."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?[smhdw])+")


def parse_duration(text: str) -> timedelta:
    """'7d' -> 7 days; parts add up ('1d12h'); '0' alone is no time. Raises ValueError."""
    value = text.strip().lower().replace(" ", "")
    if value == "0":
        return timedelta(0)
    if not _WHOLE.fullmatch(value):
        raise ValueError(
            f"{text!r} is not a duration: use a number and a unit, s m h d or w (7d, 12h, 30m)"
        )
    seconds = sum(float(number) * _UNITS[unit] for number, unit in _PART.findall(value))
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The inverse for messages: 7d, 6h, 1d12h, 0s."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        amount, seconds = divmod(seconds, _UNITS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)
