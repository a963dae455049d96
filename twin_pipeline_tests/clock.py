"""The days the date-sensitive tests live, and the hook that makes one of them "now".

A date-sensitive test must pass on any day of the year, so it runs at each of these
moments in Warsaw, the test settings' zone: the edges where "today", "this month" and
"the last 28 days" are easiest to get wrong, plus the real now. Early-morning moments fall
on the day before in UTC; the DST days are taken late, after the clocks moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from twin_pipeline import settings

WARSAW = ZoneInfo("Europe/Warsaw")

# In the past: Dagster's partitions end at the real today (its own clock, not frozen here),
# so a run of a later day would be refused.
MOMENTS: dict[str, datetime | None] = {
    "now": None,  # the real clock, read once when the clock is first used
    "first-of-month": datetime(2026, 11, 1, 0, 30, tzinfo=WARSAW),
    "leap-february-end": datetime(2024, 2, 29, 0, 30, tzinfo=WARSAW),
    "february-end": datetime(2025, 2, 28, 0, 30, tzinfo=WARSAW),
    "spring-dst": datetime(2026, 3, 29, 23, 30, tzinfo=WARSAW),  # a 23-hour day
    "autumn-dst": datetime(2026, 10, 25, 23, 30, tzinfo=WARSAW),  # a 25-hour day
    "new-years-eve": datetime(2025, 12, 31, 23, 30, tzinfo=WARSAW),
}


@dataclass(frozen=True)
class Clock:
    """A fixed moment: `today` is its date in Warsaw."""

    name: str
    moment: datetime

    @property
    def today(self) -> date:
        return self.moment.astimezone(WARSAW).date()

    @contextmanager
    def frozen(self) -> Iterator[date]:
        """The package's clock stopped at this moment (every `today` of the package reads it)."""
        previous = settings._clock
        settings._clock = lambda: self.moment
        try:
            yield self.today
        finally:
            settings._clock = previous


def clock(name: str) -> Clock:
    """The named moment of MOMENTS ("now": the real one, as of this call)."""
    return Clock(name, MOMENTS[name] or datetime.now(UTC))
