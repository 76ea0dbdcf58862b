"""Pure rules: counting spaced failures and retry delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
