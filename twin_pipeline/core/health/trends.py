"""Health trends as of a day: where the body's weight is heading and how steady the training is.

Pure functions over the rows the training reader already unpacks. A value as of D uses only
rows dated up to D, and a value that cannot be computed is null beside a short `<key>_reason`:

  * weight_trend_kg_per_week = round(7 * least-squares slope, 2) of bodyweight_kg against
    the day, over the measurements in D-27..D; null with fewer than 3, and null when two
    consecutive ones change by more than 5 kg a day (implausible; counted).
  * workouts_per_week_4w = workouts in D-27..D / 4.
  * weekly_target_streak: weeks are Monday..Sunday. D's own week counts when its workouts up to
    D already reach TWIN_WEEKLY_WORKOUT_TARGET (a week in progress that has not reached it
    yet breaks nothing); from there (or from the week before) back, the number of
    consecutive weeks each reaching the target, capped at 52 (`weekly_target_streak_capped`),
    so any day needs at most 52 weeks of workouts before its own week.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from twin_pipeline.core.forecasting import Implausible, with_reason
from twin_pipeline.core.health.section import Measurement, WorkoutDay
from twin_pipeline.core.sections import iso, money, numeric_div, round2

TREND_WINDOW_DAYS = 28
MIN_WEIGHT_POINTS = 3
MAX_WEIGHT_CHANGE_KG_PER_DAY = Decimal(5)
STREAK_CAP_WEEKS = 52

# The plausible_values metadata key the weight trend's bad inputs count under.
WEIGHT_CHANGE_CHECK = "implausible_weight_changes"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def health_lookback_start(first_day: date) -> date:
    """The earliest workout date the trends of first_day and later days read: the 52 weeks
    before first_day's week (the streak's cap). Measurements are read from
    first_day - 27 (TREND_WINDOW_DAYS - 1)."""
    return monday_of(first_day) - timedelta(weeks=STREAK_CAP_WEEKS)


@dataclass(frozen=True, slots=True)
class HealthTrends:
    as_of: date
    weight_trend_kg_per_week: Decimal | None
    weight_trend_reason: str | None
    weight_measurements_28d: int
    workouts_28d: int
    weekly_target: int
    weekly_target_streak: int | None
    implausible: frozenset[Implausible] = frozenset()

    checks: ClassVar[tuple[str, ...]] = (WEIGHT_CHANGE_CHECK,)

    @property
    def workouts_per_week_4w(self) -> Decimal:
        return Decimal(self.workouts_28d) / 4

    def to_json(self) -> dict:
        return {
            **with_reason("weight_trend_kg_per_week", money(self.weight_trend_kg_per_week), self.weight_trend_reason),
            "weight_measurements_28d": self.weight_measurements_28d,
            "workouts_per_week_4w": money(self.workouts_per_week_4w),
            "weekly_target": self.weekly_target,
            **with_reason(
                "weekly_target_streak", self.weekly_target_streak, "TWIN_WEEKLY_WORKOUT_TARGET is below 1"
            ),
            "weekly_target_streak_capped": self.weekly_target_streak == STREAK_CAP_WEEKS,
        }


def weight_trend(
    day: date, measurements: Iterable[Measurement]
) -> tuple[Decimal | None, str | None, frozenset[Implausible]]:
    """(kg a week, reason when null, implausible inputs) over the measurements in D-27..D."""
    first = day - timedelta(days=TREND_WINDOW_DAYS - 1)
    points = sorted(
        (m.measurement_date, m.bodyweight_kg)
        for m in measurements
        if first <= m.measurement_date <= day and m.bodyweight_kg is not None
    )
    jumps = frozenset(
        Implausible(WEIGHT_CHANGE_CHECK, f"{iso(d1)} {w1} kg -> {iso(d2)} {w2} kg")
        for (d1, w1), (d2, w2) in zip(points, points[1:])
        if abs(w2 - w1) > MAX_WEIGHT_CHANGE_KG_PER_DAY * (d2 - d1).days
    )
    if jumps:
        shown = min(jumps, key=lambda j: j.what).what
        return None, f"implausible weight change ({shown}, over 5 kg a day)", jumps
    if len(points) < MIN_WEIGHT_POINTS:
        return None, f"fewer than {MIN_WEIGHT_POINTS} measurements in {TREND_WINDOW_DAYS} days", jumps
    n = len(points)
    xs = [(d - day).days for d, _ in points]
    ys = [w for _, w in points]
    sum_x, sum_y = sum(xs), sum(ys)
    slope_numerator = n * sum(x * y for x, y in zip(xs, ys)) - sum_x * sum_y
    slope_denominator = n * sum(x * x for x in xs) - sum_x * sum_x  # > 0: dates are distinct
    return round2(numeric_div(7 * slope_numerator, slope_denominator)), None, jumps


def health_trends(
    days: Iterable[date],
    workouts: Iterable[WorkoutDay],
    measurements: Iterable[Measurement],
    weekly_target: int,
) -> dict[date, HealthTrends]:
    """The health trends of each day, from the workouts from health_lookback_start(first day)
    and the measurements from first day - 27, both through the last day."""
    per_day: dict[date, int] = defaultdict(int)
    for workout in workouts:
        per_day[workout.day] += workout.workouts
    workout_dates = sorted(per_day)
    cumulative = [0]
    for workout_day in workout_dates:
        cumulative.append(cumulative[-1] + per_day[workout_day])

    def workouts_between(first: date, through: date) -> int:
        return cumulative[bisect.bisect_right(workout_dates, through)] - cumulative[
            bisect.bisect_left(workout_dates, first)
        ]

    ordered = sorted(measurements, key=lambda m: m.measurement_date)
    measurement_dates = [m.measurement_date for m in ordered]

    trends = {}
    for day in sorted(set(days)):
        first = day - timedelta(days=TREND_WINDOW_DAYS - 1)
        window = ordered[bisect.bisect_left(measurement_dates, first) : bisect.bisect_right(measurement_dates, day)]
        slope, reason, implausible = weight_trend(day, window)
        trends[day] = HealthTrends(
            as_of=day,
            weight_trend_kg_per_week=slope,
            weight_trend_reason=reason,
            weight_measurements_28d=sum(1 for m in window if m.bodyweight_kg is not None),
            workouts_28d=workouts_between(first, day),
            weekly_target=weekly_target,
            weekly_target_streak=_streak(day, weekly_target, workouts_between),
            implausible=implausible,
        )
    return trends


def _streak(day: date, target: int, workouts_between: Callable[[date, date], int]) -> int | None:
    if target < 1:
        return None
    week = monday_of(day)
    streak = 0
    # D's week counts only once it reaches the target, and only with its days up to D.
    if workouts_between(week, day) >= target:
        streak = 1
    week -= timedelta(weeks=1)
    while streak < STREAK_CAP_WEEKS and workouts_between(week, week + timedelta(days=6)) >= target:
        streak += 1
        week -= timedelta(weeks=1)
    return streak


def workout_trends_reach(changed: date) -> date:
    """The last day whose trends read a workout dated `changed`: the streak of any day reads
    the 52 weeks before its own."""
    return monday_of(changed) + timedelta(weeks=STREAK_CAP_WEEKS, days=6)


def measurement_trends_reach(changed: date) -> date:
    """The last day whose weight trend reads a measurement dated `changed`."""
    return changed + timedelta(days=TREND_WINDOW_DAYS - 1)
