"""The pantry forecast as of a day: how fast each category is used and when it runs low.

Pure functions over the history versions the pantry reader already unpacks, per category in
the pantry at the end of D. A value as of D uses only versions valid before the end of D in
the person's time zone, and a value that cannot be computed is null beside a short
`<key>_reason`:

  * The window is the 28 local days D-27..D: from local midnight starting D-27 to local
    midnight ending D in TWIN_TIMEZONE (a DST day is 23 or 25 hours; a day is a day).
  * consumed_28d = sum of the decreases of current_quantity between consecutive versions
    of the category whose change happened in the window (increases are restocks and are
    ignored; a change with an unknown quantity on either side counts 0);
    consumption_per_day = round(consumed_28d / 28, 2).
  * reaches_threshold_on = D + ceil((quantity - critical_threshold) * 28 / consumed_28d) days;
    null when already at or below the threshold, nothing was consumed, or either is unknown.
  * Null for every category when the history capture starts after D-28 (it must know the
    quantity at the window's start), or for one category not in the pantry at the window's
    start (added, or deleted and added again, inside it); null for a category with a
    negative quantity in the window (counted).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar

from twin_pipeline.core.forecasting import Implausible, ceil_div, with_reason
from twin_pipeline.core.pantry.section import PantryVersion
from twin_pipeline.core.sections import ZERO, iso, money, numeric_div

PANTRY_WINDOW_DAYS = 28

# The plausible_values metadata key the forecast's bad inputs count under.
NEGATIVE_QUANTITY_CHECK = "negative_quantities_in_forecast_window"


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant the person's day begins (local midnight; the day before ends there)."""
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def pantry_history_needed_from(first_day: date, zone: tzinfo) -> datetime:
    """The earliest instant the pantry forecasts of first_day and later days need versions
    alive at: the start of first_day - 27."""
    return day_start(first_day - timedelta(days=PANTRY_WINDOW_DAYS - 1), zone)


@dataclass(frozen=True, slots=True)
class CategoryForecast:
    category: str
    consumed_28d: Decimal | None
    consumption_reason: str | None
    reaches_threshold_on: date | None
    reaches_threshold_reason: str | None

    @property
    def consumption_per_day(self) -> Decimal | None:
        return None if self.consumed_28d is None else numeric_div(self.consumed_28d, PANTRY_WINDOW_DAYS)

    def to_json(self) -> dict:
        consumed, per_day = (None, None) if self.consumed_28d is None else _consumption_json(str(self.consumed_28d))
        return {
            "category": self.category,
            "consumed_28d": consumed,
            **with_reason("consumption_per_day", per_day, self.consumption_reason),
            **with_reason("reaches_threshold_on", iso(self.reaches_threshold_on), self.reaches_threshold_reason),
        }


@lru_cache(maxsize=4096)
def _consumption_json(consumed: str) -> tuple[float, float]:
    """consumed_28d and consumption_per_day as JSON numbers. The same few sums recur over
    categories and days (a year's pantry forecast asks about 18,000 times), and the exact
    division is the costly part; keyed on the text, which keeps the numeric's scale."""
    value = Decimal(consumed)
    return money(value), money(numeric_div(value, PANTRY_WINDOW_DAYS))


@dataclass(frozen=True, slots=True)
class PantryForecast:
    as_of: date
    categories: tuple[CategoryForecast, ...] | None
    reason: str | None = None
    implausible: frozenset[Implausible] = frozenset()

    checks: ClassVar[tuple[str, ...]] = (NEGATIVE_QUANTITY_CHECK,)

    def to_json(self) -> dict:
        categories = None if self.categories is None else [c.to_json() for c in self.categories]
        return {"window_days": PANTRY_WINDOW_DAYS, **with_reason("categories", categories, self.reason)}


@dataclass(frozen=True, slots=True)
class _CategoryHistory:
    """One category's versions in time order, with running sums of the decreases."""

    versions: list[PantryVersion]
    starts: list[datetime]  # valid_from in UTC
    consumed: list[Decimal]  # consumed[j]: the decreases into versions 1..j
    negatives: list[int]  # negatives[j]: versions 0..j-1 with a negative quantity

    @classmethod
    def of(cls, versions: list[PantryVersion]) -> _CategoryHistory:
        # By instant: aware datetimes sharing a zone compare by wall clock, which the hour
        # repeated when DST ends would get wrong.
        versions = sorted(versions, key=lambda v: v.valid_from.astimezone(timezone.utc))
        consumed = [ZERO]
        for before, after in zip(versions, versions[1:]):
            q0, q1 = before.item.current_quantity, after.item.current_quantity
            drop = q0 - q1 if q0 is not None and q1 is not None and q1 < q0 else ZERO
            consumed.append(consumed[-1] + drop)
        negatives = [0]
        for version in versions:
            quantity = version.item.current_quantity
            negatives.append(negatives[-1] + (quantity is not None and quantity < 0))
        return cls(versions, [v.valid_from.astimezone(timezone.utc) for v in versions], consumed, negatives)


def _category_forecast(
    day: date, history: _CategoryHistory, start: datetime, end: datetime, zone: tzinfo
) -> tuple[CategoryForecast, frozenset[Implausible]] | None:
    """One category's forecast and the implausible inputs it met, or None when the category
    is not in the pantry at the end of D."""
    last = bisect.bisect_left(history.starts, end) - 1  # the version alive at the end of D, if any
    if last < 0:
        return None
    current = history.versions[last]
    if current.valid_to is not None and current.valid_to < end:
        return None  # deleted before the end of D
    item = current.item
    opening = bisect.bisect_left(history.starts, start) - 1  # the version alive at the window's start
    deleted_at = history.versions[opening].valid_to if opening >= 0 else None
    if deleted_at is not None and deleted_at < start:
        opening = -1  # deleted before the window: a read bounded at its start would not see it

    def forecast(
        consumed: Decimal | None, reason: str | None, on: date | None = None, on_reason: str | None = None
    ) -> CategoryForecast:
        return CategoryForecast(item.category, consumed, reason, on, on_reason)

    if opening < 0:
        added = history.versions[bisect.bisect_left(history.starts, start)].valid_from.astimezone(zone).date()
        reason = f"in the pantry only since {iso(added)}; {PANTRY_WINDOW_DAYS} days needed"
        return forecast(None, reason, None, reason), frozenset()
    if history.negatives[last + 1] > history.negatives[opening]:
        negative = [
            v
            for v in history.versions[opening : last + 1]
            if v.item.current_quantity is not None and v.item.current_quantity < 0
        ]
        found = frozenset(
            Implausible(NEGATIVE_QUANTITY_CHECK, f"{item.category} {v.item.current_quantity} from {v.valid_from}")
            for v in negative
        )
        reason = f"negative quantity {negative[0].item.current_quantity} in the window"
        return forecast(None, reason, None, reason), found
    consumed = history.consumed[last] - history.consumed[opening]
    quantity, threshold = item.current_quantity, item.critical_threshold
    if threshold is None:
        return forecast(consumed, None, None, "no critical threshold"), frozenset()
    if quantity is None:
        return forecast(consumed, None, None, "quantity unknown"), frozenset()
    if quantity <= threshold:
        return forecast(consumed, None, None, "already at or below the threshold"), frozenset()
    if consumed <= 0:
        return forecast(consumed, None, None, f"nothing consumed in {PANTRY_WINDOW_DAYS} days"), frozenset()
    days_left = ceil_div((quantity - threshold) * PANTRY_WINDOW_DAYS, consumed)
    return forecast(consumed, None, day + timedelta(days=days_left)), frozenset()


def pantry_forecasts(
    days: Iterable[date], versions: Iterable[PantryVersion], history_starts: date | None, zone: tzinfo
) -> dict[date, PantryForecast]:
    """The pantry forecast of each day, from the history versions alive at some instant from
    pantry_history_needed_from(first day) to the end of the last day. history_starts is the
    first day the capture reconstructs (the local date of captured_since), None when the
    capture is not installed."""
    by_category: dict[str, list[PantryVersion]] = defaultdict(list)
    for version in versions:
        by_category[version.item.category].append(version)
    histories = {category: _CategoryHistory.of(found) for category, found in sorted(by_category.items())}

    forecasts = {}
    for day in sorted(set(days)):
        if history_starts is None:
            reason = f"pantry history capture not installed; {PANTRY_WINDOW_DAYS} days of it needed"
        elif day - timedelta(days=PANTRY_WINDOW_DAYS) < history_starts:
            reason = f"pantry history starts on {iso(history_starts)}; {PANTRY_WINDOW_DAYS} days needed"
        else:
            reason = None
        if reason is not None:
            forecasts[day] = PantryForecast(day, None, reason)
            continue
        start = day_start(day - timedelta(days=PANTRY_WINDOW_DAYS - 1), zone)
        end = day_start(day + timedelta(days=1), zone)
        categories, implausible = [], set()
        for history in histories.values():
            found = _category_forecast(day, history, start, end, zone)
            if found is not None:
                categories.append(found[0])
                implausible |= found[1]
        forecasts[day] = PantryForecast(day, tuple(categories), None, frozenset(implausible))
    return forecasts


def pantry_history_forecast_reach(changed: date) -> date:
    """The last day whose forecast reads a history version that changed on `changed`."""
    return changed + timedelta(days=PANTRY_WINDOW_DAYS - 1)
