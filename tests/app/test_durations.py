"""Durations as people write them (7d, 12h), and the settings that take them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("45s", timedelta(seconds=45)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1.5h", timedelta(minutes=90)),
        (" 6H ", timedelta(hours=6)),
        ("0", timedelta(0)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7 days", "-1d", "7y", "P7D", "1h-2m"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="7d, 12h, 30m"):
        parse_duration(text)


def test_durations_are_printed_back_compactly() -> None:
    assert format_duration(timedelta(hours=6)) == "6h"
    assert format_duration(timedelta(days=8, hours=2)) == "1w1d2h"
    assert format_duration(timedelta(0)) == "0s"


def test_settings_take_short_and_iso_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import Settings

    monkeypatch.setenv("LINKVAULT_REFRESH_AFTER", "3d")
    monkeypatch.setenv("LINKVAULT_FAILURE_SPACING", "0")
    monkeypatch.setenv("LINKVAULT_REFRESH_INTERVAL", "PT6H")
    settings = Settings()
    assert settings.refresh_after == timedelta(days=3)
    assert settings.rot_policy().failure_spacing == timedelta(0)
    assert settings.refresh_interval == timedelta(hours=6)
