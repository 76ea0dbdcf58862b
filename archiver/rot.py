"""When a link that keeps failing counts as dead, and when a failed link is worth a retry.

A 404 or 410 is the site saying a page is gone. A 503 or a timeout says nothing of the sort,
and a site down for one afternoon must not lose its links; so temporary failures only make a
link dead when they repeat over time: `dead_after_failures` failed checks, each at least
`failure_spacing` after the last one counted. Checks closer together (a rerun an hour later)
are recorded but not counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class RotPolicy:
    dead_after_failures: int = 5
    failure_spacing: timedelta = timedelta(days=1)

    def counted_failures(self, failures: Iterable[datetime]) -> int:
        """Failures of one unbroken failing streak that count: the first, then each one at
        least `failure_spacing` after the last counted."""
        count = 0
        last: datetime | None = None
        for when in sorted(failures):
            if last is None or when - last >= self.failure_spacing:
                count += 1
                last = when
        return count

    def is_dead(self, counted: int) -> bool:
        return counted >= self.dead_after_failures

    def retry_delay(self, failure_count: int, longest: timedelta) -> timedelta:
        """How long a failed link rests before `refresh` tries it again: the failure spacing,
        doubling with each counted failure, never longer than the regular refresh age."""
        steps = min(max(failure_count, 1) - 1, 60)
        seconds = self.failure_spacing.total_seconds() * 2.0**steps
        return min(timedelta(seconds=min(seconds, longest.total_seconds())), longest)
