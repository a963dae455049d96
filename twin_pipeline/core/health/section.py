"""Health as of a day: training rhythm and the latest body composition on or before it."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from twin_pipeline.core.sections import iso, money, round2


@dataclass(frozen=True, slots=True)
class WorkoutDay:
    day: date
    workouts: int


TREND_THRESHOLD_KG = Decimal("0.5")


@dataclass(frozen=True, slots=True)
class Measurement:
    """A body measurement with its change against the previous one."""

    measurement_date: date
    bodyweight_kg: Decimal | None
    bodyfat_pct: Decimal | None
    weight_change: Decimal | None = None

    @property
    def weight_trend(self) -> str | None:
        """The contract's (and v_body_composition's) rule: +-0.5 kg against the previous one."""
        if self.weight_change is None:
            return None
        if self.weight_change > TREND_THRESHOLD_KG:
            return "GAINING"
        if self.weight_change < -TREND_THRESHOLD_KG:
            return "LOSING"
        return "STABLE"

    @property
    def lean_mass_kg(self) -> Decimal | None:
        # Never invented: the person's view assumes 20 % body fat when it is unknown.
        if self.bodyweight_kg is None or self.bodyfat_pct is None:
            return None
        return round2(self.bodyweight_kg * (1 - self.bodyfat_pct / 100))

    def to_json(self) -> dict:
        return {
            "measurement_date": iso(self.measurement_date),
            "bodyweight_kg": money(self.bodyweight_kg),
            "bodyfat_pct": money(self.bodyfat_pct),
            "lean_mass_kg": money(self.lean_mass_kg),
            "weight_change_kg": money(self.weight_change),
            "weight_trend": self.weight_trend,
        }


@dataclass(frozen=True, slots=True)
class HealthSection:
    as_of: date
    last_workout_date: date | None
    workouts_last_7_days: int
    body_composition: Measurement | None

    @property
    def days_since_last_workout(self) -> int | None:
        return None if self.last_workout_date is None else (self.as_of - self.last_workout_date).days

    @property
    def missing(self) -> list[str]:
        return missing_parts(self.as_of, self.last_workout_date is not None, self.body_composition is not None)

    def to_json(self) -> dict:
        return {
            "as_of": iso(self.as_of),
            "status": "degraded" if self.missing else "ok",
            "error": "; ".join(self.missing) or None,
            "last_workout_date": iso(self.last_workout_date),
            "days_since_last_workout": self.days_since_last_workout,
            "workouts_last_7_days": self.workouts_last_7_days,
            "body_composition": None if self.body_composition is None else self.body_composition.to_json(),
        }


def missing_parts(as_of: date, has_workout: bool, has_measurement: bool) -> list[str]:
    """What a health state lacks as of a day (it is degraded then), in words."""
    missing = []
    if not has_workout:
        missing.append(f"no workout on or before {iso(as_of)}")
    if not has_measurement:
        missing.append(f"no body measurement on or before {iso(as_of)}")
    return missing


def with_changes(measurements: Iterable[Measurement]) -> list[Measurement]:
    """Measurements in date order, each with its weight change against the previous one."""
    ordered = sorted(measurements, key=lambda m: m.measurement_date)
    changed = []
    for previous, current in zip([None, *ordered], ordered):
        change = None
        if previous is not None and None not in (previous.bodyweight_kg, current.bodyweight_kg):
            change = current.bodyweight_kg - previous.bodyweight_kg
        changed.append(replace(current, weight_change=change))
    return changed


def health_sections(
    days: Iterable[date], workouts: Iterable[WorkoutDay], measurements: Iterable[Measurement]
) -> dict[date, HealthSection]:
    """Health as of each day, from the workout days and measurements read for the range
    (including the last ones before it, so the first day knows its predecessors)."""
    workout_days = sorted(workouts, key=lambda w: w.day)
    workout_dates = [w.day for w in workout_days]
    cumulative = [0]
    for w in workout_days:
        cumulative.append(cumulative[-1] + w.workouts)
    ordered = with_changes(measurements)
    measurement_dates = [m.measurement_date for m in ordered]

    sections = {}
    for day in sorted(set(days)):
        upto = bisect.bisect_right(workout_dates, day)
        week_start = bisect.bisect_left(workout_dates, day - timedelta(days=6))
        latest = bisect.bisect_right(measurement_dates, day)
        sections[day] = HealthSection(
            as_of=day,
            last_workout_date=workout_dates[upto - 1] if upto else None,
            workouts_last_7_days=cumulative[upto] - cumulative[min(week_start, upto)],
            body_composition=ordered[latest - 1] if latest else None,
        )
    return sections
