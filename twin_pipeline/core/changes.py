"""Which days a change in a source makes stale, from the twin's rules of what each day reads.

A source table is fingerprinted per bucket (a date, a budget month, or the current
pantry); a bucket whose fingerprint differs from the one the twin last computed from is
a change, and each kind of change reaches forward in its own way.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta

CURRENT = "current"


# (the changed date, what the rule needs from the current rows, today) -> the stale days
StaleRule = Callable[[date, "date | None", date], set[date]]


def changed_buckets(current: Mapping[str, str], stored: Mapping[str, str], covered_from: str | None) -> list[str]:
    """Buckets whose rows differ from what the twin computed from (a bucket missing on one
    side is empty there). Nothing before the covered range counts: those days were never
    computed, and filling them is a backfill's job."""
    if covered_from is None:
        return []
    return sorted(
        bucket
        for bucket in set(current) | set(stored)
        if current.get(bucket) != stored.get(bucket) and (bucket == CURRENT or bucket >= covered_from)
    )


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _span(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)} if first <= last else set()


def rest_of_month(changed: date, later: date | None, today: date) -> set[date]:
    """Month-to-date sums and the month's budget alerts: from that day to month end."""
    return _span(changed, _month_end(changed))


def workout_reach(changed: date, following: date | None, today: date) -> set[date]:
    """The 7-day count up to a week later; "last workout" until the next workout."""
    until = changed + timedelta(days=6)
    if following is None:
        until = today
    elif following - timedelta(days=1) > until:
        until = following - timedelta(days=1)
    return _span(changed, until)


def measurement_reach(changed: date, second_next: date | None, today: date) -> set[date]:
    """"Latest measurement" until the next one, and that one's trend until the one after."""
    return _span(changed, today if second_next is None else second_next - timedelta(days=1))


def until_yesterday(changed: date, later: date | None, today: date) -> set[date]:
    """A past inventory reaches every later past day (today is read live)."""
    return _span(changed, today - timedelta(days=1))


def with_reach(rule: StaleRule, reach: Callable[[date], date]) -> StaleRule:
    """A rule that also restates from the changed day to reach(changed) (what the trends and
    forecasts of later days read: each domain's `*_reach` in core/<domain>/)."""

    def combined(changed: date, later: date | None, today: date) -> set[date]:
        return rule(changed, later, today) | _span(changed, reach(changed))

    return combined


def affected_days(
    rule: StaleRule,
    buckets: Iterable[str],
    *,
    today: date,
    first_day: date,
    later: Mapping[str, date | None] | None = None,
) -> set[date]:
    """The days whose state reads the changed buckets of one table, by the table's rule.

    `later` maps a changed date to what the rule needs from the current rows: the next
    workout after it, or the second measurement after it (its successor's trend reads it).
    """
    later = later or {}
    days: set[date] = set()
    for bucket in buckets:
        if bucket == CURRENT:
            days.add(today)  # a live table (the pantry now) is only ever today's
        else:
            days |= rule(date.fromisoformat(bucket), later.get(bucket), today)
    return {day for day in days if first_day <= day <= today}


def contiguous_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted days as [(first, last), ...] runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
