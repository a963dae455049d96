"""The 80 % range of every forecast, calibrated on the twin's own record as of its day.

Rolling split conformal intervals on the twin's own errors. For a forecast of kind K made on
D at horizon h, the comparable past forecasts are K's in h's horizon bucket whose outcome
day lies in (D - 9 months, D] (the 500 most recent at most): scored by
core/forecast_review.py's rules from the states dated up to D, so nothing is learned from
the future, and a window of months lets the range follow a person whose life changes.
With n >= 12 of their signed errors e (actual - predicted), the range is the point plus an
interval of ranked errors that holds at least 80 % of them:

  * an amount (month end, weight): [e_(lo), e_(hi)], the lo-th and hi-th smallest,
    lo = floor(0.1 (n + 1)) and hi = ceil(0.9 (n + 1)) (within 1..n): split conformal's
    ranks for a 10 % tail each side, which hold at least 80 % of outcomes exchangeable with
    the calibration errors;
  * a day (run-out, pantry): the shortest run of k = ceil(0.8 (n + 1)) consecutive ranked
    errors (within n), the one centred nearest to 0 among equally short runs, then the
    lowest. Day errors are whole days with large ties (most run-outs are exact to the day;
    many pantry forecasts are censored at +15), and an equal-tailed interval cannot leave
    a tie out: it held 88-92 % of them. The shortest run holds the same k errors and puts
    the excluded ones where the distribution is thin, on either side.

Each bound is an observed error: a day range stays in whole days, a money range in cents.
MAPIE, the conformal library, wraps a fitted scikit-learn estimator, and these forecasts
are rules, not fitted models. With fewer than 12, the range is null beside a `_reason`.

Horizons (days ahead, known on D): month end, the days left in D's month; a budget's run-out,
the days to its forecast day (the month's last day + 1 when it lasts); a pantry category,
the days to its threshold day; the weight, always 28. The buckets (HORIZON_BUCKETS) are
where the errors' spread changes (measured on the demo decade: bench/forecast_ranges.py).

A pantry forecast whose category was not low by its threshold day + 14 is calibrated as
reached on the 15th day after (the earliest it still can be; forecast_review.py).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import numpy as np

from twin_pipeline.core.forecast_review import (
    DAY_KINDS,
    PANTRY_GRACE_DAYS,
    PANTRY_HORIZON_DAYS,
    READ_BACK_DAYS,
    WEIGHT_HORIZON_DAYS,
    Review,
    month_end,
    review_forecasts,
    weight_28d_point,
)
from twin_pipeline.core.forecasting import with_reason
from twin_pipeline.core.sections import round2

LEVEL_PCT = 80
MIN_ERRORS = 12
# The most recent errors of a window, at most: a window of a few hundred tracks a change of
# habits within months, where a pantry bucket's year holds thousands.
MAX_ERRORS = 500
# Nine months: replayed on the demo decade (bench/forecast_ranges.py), the month end's
# errors drift with the person's habits, so a longer window lags them: 12 months held the
# month end's ranges 85 % of the time, at the goal's upper edge, and 18 or 24 months let a
# year fall under 65 %; 9 months hold every kind 79.8-82.5 % over the decade, no year under 71 %.
WINDOW_MONTHS = 9
# The upper bound (days ahead, inclusive) of each horizon bucket of a kind: the errors'
# spread changes with the horizon (month end: 10th-90th percentiles of -2,795..+266 PLN one
# day ahead, -570..+6,577 PLN 27 days ahead; run-out: 90th percentile 24 days one day ahead,
# 5-8 from 4 to 20, 0 from 25 on; pantry: 0..+15 days one day ahead, -23..+15 at 28), so
# each bucket spans a few days where it changes fast. A month end's bucket gains at most 4
# errors a month (the last, of a month's first 3 days, 0 to 3): 12 take it 3 to 7 months.
HORIZON_BUCKETS: dict[str, tuple[int, ...]] = {
    "month_end_net": (3, 7, 10, 14, 17, 21, 24, 27, 31),
    "budget_run_out": (3, 7, 14, 21, 32),
    "weight_28d": (WEIGHT_HORIZON_DAYS,),
    "pantry_threshold": (3, 7, 14, 21, PANTRY_HORIZON_DAYS),
}
# Outcome days handled at once: their states and the 42 days before them are in memory.
OUTCOME_DAYS_PER_BLOCK = 366

States = Mapping[str, Mapping[date, Mapping]]
T = TypeVar("T")


def window_start(day: date) -> date:
    """The last day before the window of D's comparable outcomes: D less WINDOW_MONTHS."""
    year, month = divmod(day.year * 12 + day.month - 1 - WINDOW_MONTHS, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, month_end(date(year, month, 1)).day))


def bucket(kind: str, horizon: int) -> int | None:
    """The index of the horizon's bucket, None beyond the last (or at zero: never scored)."""
    bounds = HORIZON_BUCKETS[kind]
    position = bisect.bisect_left(bounds, horizon)
    return position if horizon > 0 and position < len(bounds) else None


def review_horizon(review: Review) -> int:
    """The horizon the forecast was made at, as its state knew it."""
    if review.kind == "month_end_net":
        return (review.outcome_on - review.made_on).days
    if review.kind == "weight_28d":
        return WEIGHT_HORIZON_DAYS
    return int(review.predicted)


def signed_error(review: Review) -> Decimal | None:
    """actual - predicted; a pantry category not low in time counts as low on P + 15."""
    if review.actual is not None:
        return review.actual - review.predicted
    if review.kind == "pantry_threshold":
        return Decimal(PANTRY_GRACE_DAYS + 1)
    return None


def equal_tailed(errors: np.ndarray) -> tuple[float, float]:
    """The lo-th and hi-th smallest errors, split conformal's ranks for a 10 % tail each side."""
    n = len(errors)
    low_rank = max(1, math.floor((n + 1) * (100 - LEVEL_PCT) / 200))
    high_rank = min(n, math.ceil((n + 1) * (100 + LEVEL_PCT) / 200))
    # numpy's partition selects the two in linear time (the generic np.quantile costs ten
    # times as much per call, and a decade makes 15,000).
    low, high = np.partition(errors, (low_rank - 1, high_rank - 1))[[low_rank - 1, high_rank - 1]]
    return float(low), float(high)


def shortest_run(errors: np.ndarray) -> tuple[float, float]:
    """The narrowest span of k = ceil(0.8 (n + 1)) consecutive ranked errors (within n); of
    equally narrow spans, the one centred nearest to 0, then the lowest."""
    n = len(errors)
    k = min(n, math.ceil((n + 1) * LEVEL_PCT / 100))
    ranked = np.sort(errors)
    widths = ranked[k - 1:] - ranked[:n - k + 1]
    narrowest = np.flatnonzero(widths == widths.min())
    # argmin keeps the first of equal distances: the lowest run, so the choice is deterministic.
    first = narrowest[np.argmin(np.abs(ranked[narrowest] + ranked[narrowest + k - 1]))]
    return float(ranked[first]), float(ranked[first + k - 1])


class ErrorRecord:
    """The signed errors of the forecasts scored so far, per kind and horizon bucket, in
    outcome-day order (added block by block, each block's reviews sorted by outcome day)."""

    def __init__(self) -> None:
        self._outcomes: dict[tuple[str, int], list[int]] = {}
        self._errors: dict[tuple[str, int], list[float]] = {}
        self._arrays: dict[tuple[str, int], np.ndarray] = {}
        self._windows: dict[tuple, tuple[tuple[Decimal, Decimal] | None, int]] = {}
        self._day: date | None = None
        self._bounds = (0, 0)  # the window of self._day, as ordinals
        self._of_day: dict[tuple[str, int], tuple[tuple[Decimal, Decimal] | None, int]] = {}
        self._memo: dict[tuple, object] = {}

    def add(self, reviews: Sequence[Review]) -> None:
        for review in reviews:
            error = signed_error(review)
            where = bucket(review.kind, review_horizon(review))
            if error is None or where is None:
                continue
            key = (review.kind, where)
            self._outcomes.setdefault(key, []).append(review.outcome_on.toordinal())
            self._errors.setdefault(key, []).append(float(error))
        self._arrays = {key: np.asarray(errors) for key, errors in self._errors.items()}
        self._day = None

    def bounds(self, kind: str, horizon: int, day: date) -> tuple[tuple[Decimal, Decimal] | None, int]:
        """((low, high) error bounds of the 80 % range or None, n) from the comparable forecasts
        whose outcome day lies in (day - WINDOW_MONTHS, day], the most recent MAX_ERRORS."""
        where = bucket(kind, horizon)
        if where is None:
            return None, 0
        self._on(day)
        key = (kind, where)
        if key not in self._of_day:
            self._of_day[key] = self._window(key)
        return self._of_day[key]

    def _on(self, day: date) -> None:
        if day != self._day:
            # A day's forecasts of one kind share a few buckets (a pantry state has dozens).
            self._day, self._of_day, self._memo = day, {}, {}
            self._bounds = (window_start(day).toordinal(), day.toordinal())

    def of_day(self, day: date, key: tuple, compute: Callable[[], T]) -> T:
        """`compute()` once per key and day (the pantry's categories share a few threshold
        days); the memo of the day before is dropped."""
        self._on(day)
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def _window(self, key: tuple[str, int]) -> tuple[tuple[Decimal, Decimal] | None, int]:
        outcomes = self._outcomes.get(key, [])
        last = bisect.bisect_right(outcomes, self._bounds[1])
        first = max(bisect.bisect_right(outcomes, self._bounds[0]), last - MAX_ERRORS)
        n = last - first
        if n < MIN_ERRORS:
            return None, n
        if (key, first, last) not in self._windows:
            # Days in a row share a window (month ends are scored once a month): one range each.
            errors = self._arrays[key][first:last]
            low, high = shortest_run(errors) if key[0] in DAY_KINDS else equal_tailed(errors)
            self._windows[(key, first, last)] = (
                (Decimal(str(round(float(low), 2))), Decimal(str(round(float(high), 2)))), n)
        return self._windows[(key, first, last)]


def _too_few(n: int, day: date) -> str:
    return (f"{n} comparable forecast(s) with an outcome in the {WINDOW_MONTHS} months to {day.isoformat()}: "
            f"at least {MIN_ERRORS} are needed for a range")


def amount_range(record: ErrorRecord, kind: str, point: Decimal, horizon: int, day: date) -> tuple[dict | None, str]:
    """{low, high, level_pct, errors} around an amount (PLN, kg), or None and why."""
    found, n = record.bounds(kind, horizon, day)
    if found is None:
        return None, _too_few(n, day)
    low, high = found
    return {"low": float(round2(point + low)), "high": float(round2(point + high)), "level_pct": LEVEL_PCT,
            "errors": n}, ""


def day_range(record: ErrorRecord, kind: str, ahead: int, day: date, cap: date | None = None) -> tuple[dict | None, str]:
    """{earliest, latest, level_pct, errors} around a day `ahead` days after D (never before
    D + 1, nor after `cap`), or None and why."""
    return record.of_day(day, (kind, ahead, cap), lambda: _day_range(record, kind, ahead, day, cap))


def _day_range(record: ErrorRecord, kind: str, ahead: int, day: date, cap: date | None) -> tuple[dict | None, str]:
    found, n = record.bounds(kind, ahead, day)
    if found is None:
        return None, _too_few(n, day)

    def on(offset: Decimal) -> str:
        moved = day + timedelta(days=max(1, ahead + int(offset)))
        return (moved if cap is None else min(moved, cap)).isoformat()

    low, high = found
    return {"earliest": on(low), "latest": on(high), "level_pct": LEVEL_PCT, "errors": n}, ""


def _number(value: float | int | str | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def finance_patch(record: ErrorRecord, day: date, document: Mapping) -> dict | None:
    forecast = document.get("forecast")
    if not isinstance(forecast, Mapping):
        return None
    point = _number(forecast.get("month_end_net_projected"))
    left = (month_end(day) - day).days
    if point is None:
        made, reason = None, "no month-end projection to range"
    elif left == 0:
        made, reason = None, "the month ends today: its net is known"
    else:
        made, reason = amount_range(record, "month_end_net", point, left, day)
    after_month = month_end(day) + timedelta(days=1)
    budgets = {}
    for budget in forecast.get("budgets") or ():
        status = budget.get("status")
        if status in ("runs_out", "lasts") and left:
            predicted_on = date.fromisoformat(budget["runs_out_on"]) if status == "runs_out" else after_month
            found, why = day_range(record, "budget_run_out", (predicted_on - day).days, day, cap=after_month)
        else:
            found, why = None, ("the month ends today" if status in ("runs_out", "lasts")
                                else f"{status}: no run-out day to range")
        budgets[budget["budget_id"]] = with_reason("runs_out_range", found, why)
    return {**with_reason("month_end_net_range", made, reason), "budgets": budgets}


def health_patch(record: ErrorRecord, day: date, document: Mapping) -> dict | None:
    if not isinstance(document.get("trends"), Mapping):
        return None
    point = weight_28d_point(document)
    if point is None:
        return with_reason("weight_28d_range", None, "no 28-day weight forecast (no weight or no trend)")
    return with_reason("weight_28d_range", *amount_range(record, "weight_28d", point, WEIGHT_HORIZON_DAYS, day))


def pantry_patch(record: ErrorRecord, day: date, document: Mapping) -> dict | None:
    categories = (document.get("forecast") or {}).get("categories")
    if not isinstance(categories, list):
        return None
    patch = {}
    for category in categories:
        if category.get("reaches_threshold_on") is None:
            found, why = None, "no day to reach the threshold is forecast"
        else:
            ahead = (date.fromisoformat(category["reaches_threshold_on"]) - day).days
            if ahead > PANTRY_HORIZON_DAYS:
                found, why = None, f"more than {PANTRY_HORIZON_DAYS} days ahead: nearer forecasts only are scored"
            else:
                found, why = day_range(record, "pantry_threshold", ahead, day)
        patch[category["category"]] = with_reason("reaches_threshold_range", found, why)
    return patch


PATCHES: dict[str, Callable[[ErrorRecord, date, Mapping], dict | None]] = {
    "finance": finance_patch, "health": health_patch, "pantry": pantry_patch,
}


def forecast_ranges(
    read_states: Callable[[date, date], States], days: Sequence[date]
) -> dict[str, dict[str, dict]]:
    """{entity: {as_of: patch}}: the ranges of each day's forecasts (attach_ranges.sql's
    shape), the errors scored from the states `read_states(first, last)` gives, block by block
    of outcome days from WINDOW_MONTHS before the first day through the last."""
    run_days = set(days)
    patches: dict[str, dict[str, dict]] = {entity: {} for entity in PATCHES}
    record = ErrorRecord()
    outcome_day = window_start(min(days)) + timedelta(days=1)
    last = max(days)
    while outcome_day <= last:
        block_end = min(last, outcome_day + timedelta(days=OUTCOME_DAYS_PER_BLOCK - 1))
        states = read_states(outcome_day - timedelta(days=READ_BACK_DAYS), block_end)
        block = [outcome_day + timedelta(days=i) for i in range((block_end - outcome_day).days + 1)]
        record.add(review_forecasts(block, states["finance"], states["health"], states["pantry"]))
        for entity, patch_of in PATCHES.items():
            for day, document in states[entity].items():
                if day in run_days and outcome_day <= day and document.get("status") != "unavailable":
                    if (patch := patch_of(record, day, document)) is not None:
                        patches[entity][day.isoformat()] = patch
        outcome_day = block_end + timedelta(days=1)
    return patches


def range_summary(patches: Mapping[str, Mapping[str, dict]]) -> dict[str, dict]:
    """Per day, the ranges as the UI's per-day metadata shows them: the month end's and the
    weight's bounds, and how many budgets and pantry categories got a range."""
    per_day: dict[str, dict] = {}
    month_end_net = {d: p.get("month_end_net_range") for d, p in patches.get("finance", {}).items()}
    weight = {d: p.get("weight_28d_range") for d, p in patches.get("health", {}).items()}
    for name, ranges in (("month_end_net", month_end_net), ("weight_28d", weight)):
        for as_of, made in ranges.items():
            if made is not None:
                per_day.setdefault(as_of, {}).update({f"{name}_range_low": made["low"], f"{name}_range_high": made["high"]})
    for as_of, patch in patches.get("finance", {}).items():
        per_day.setdefault(as_of, {})["runs_out_ranges"] = sum(
            1 for b in patch["budgets"].values() if b["runs_out_range"] is not None)
    for as_of, patch in patches.get("pantry", {}).items():
        per_day.setdefault(as_of, {})["reaches_threshold_ranges"] = sum(
            1 for c in patch.values() if c["reaches_threshold_range"] is not None)
    return per_day




def apply_patch(entity: str, section: Mapping, patch: Mapping | None) -> dict:
    """A section with its day's ranges set in, as attach_ranges.sql sets them into the stored
    sections (for today's sections read live, which are never stored): finance's into the
    forecast and each budget by its id, health's into the trends, pantry's into each category
    of the forecast; a section without the object a patch goes into is left as it is."""
    section = dict(section)
    if patch is None or section.get("status") == "unavailable":
        return section
    if entity == "finance" and isinstance(section.get("forecast"), Mapping):
        forecast = section["forecast"]
        budgets = forecast.get("budgets") if isinstance(forecast.get("budgets"), list) else []
        by_id = patch.get("budgets") or {}
        section["forecast"] = {**forecast, **{key: value for key, value in patch.items() if key != "budgets"},
                               "budgets": [{**budget, **by_id.get(budget.get("budget_id"), {})} for budget in budgets]}
    elif entity == "health" and isinstance(section.get("trends"), Mapping):
        section["trends"] = {**section["trends"], **patch}
    elif entity == "pantry" and isinstance((section.get("forecast") or {}).get("categories"), list):
        forecast = section["forecast"]
        section["forecast"] = {**forecast, "categories": [{**category, **patch.get(category.get("category"), {})}
                                                          for category in forecast["categories"]]}
    return section
