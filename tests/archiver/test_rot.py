"""Pure rules: counting spaced failures, retry delays, and durations as people write them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archiver.durations import format_duration, parse_duration
from archiver.rot import RotPolicy

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def test_failures_closer_than_the_spacing_count_once() -> None:
    policy = RotPolicy(dead_after_failures=3, failure_spacing=timedelta(days=1))
    hourly = [T0 + timedelta(hours=h) for h in range(30)]
    # Counted at 0h and 24h; the hours between are seen but not counted.
    assert policy.counted_failures(hourly) == 2
    daily = [T0 + timedelta(days=d) for d in range(3)]
    assert policy.counted_failures(reversed(daily)) == 3
    assert policy.is_dead(3) and not policy.is_dead(2)


def test_without_spacing_every_failure_counts() -> None:
    policy = RotPolicy(dead_after_failures=5, failure_spacing=timedelta(0))
    assert policy.counted_failures([T0] * 4) == 4


def test_retry_delay_doubles_up_to_the_refresh_age() -> None:
    policy = RotPolicy(failure_spacing=timedelta(days=1))
    week = timedelta(days=7)
    delays = [policy.retry_delay(n, week).days for n in range(0, 6)]
    assert delays == [1, 1, 2, 4, 7, 7]
    assert policy.retry_delay(10_000, week) == week


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
