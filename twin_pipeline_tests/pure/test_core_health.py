"""Fast tests of health as of a day: training rhythm and the latest body composition. No database."""

from datetime import date
from decimal import Decimal

from twin_pipeline.core.health.section import Measurement, WorkoutDay, health_sections, with_changes


def march(day: int) -> date:
    return date(2026, 3, day)


WORKOUTS = [WorkoutDay(march(1), 1), WorkoutDay(march(3), 2), WorkoutDay(march(9), 1)]


def test_days_since_last_workout_and_the_seven_day_count():
    sections = health_sections([march(d) for d in (7, 8, 9, 10)] + [date(2026, 2, 28)], WORKOUTS, [])
    got = {day.day: (s.last_workout_date, s.days_since_last_workout, s.workouts_last_7_days) for day, s in sections.items()}
    assert got == {
        7: (march(3), 4, 3),    # 03-01 .. 03-07 includes 03-01 (six days back)
        8: (march(3), 5, 2),    # 03-02 .. 03-08: 03-01 has left the window
        9: (march(9), 0, 3),    # the day's own workout counts
        10: (march(9), 1, 1),   # 03-04 .. 03-10
        28: (None, None, 0),    # before any workout
    }


def test_a_day_before_any_data_is_degraded_and_says_why():
    (section,) = health_sections([date(2026, 2, 28)], WORKOUTS, []).values()
    document = section.to_json()
    assert (document["status"], document["error"]) == (
        "degraded", "no workout on or before 2026-02-28; no body measurement on or before 2026-02-28")
    assert document["last_workout_date"] is None and document["body_composition"] is None


MEASUREMENTS = [
    Measurement(march(1), Decimal("80.00"), Decimal("20.00")),
    Measurement(march(4), Decimal("80.50"), None),              # +0.50: exactly the threshold -> STABLE
    Measurement(march(6), Decimal("79.99"), Decimal("18.50")),  # -0.51 -> LOSING
    Measurement(march(9), Decimal("80.50"), Decimal("18.00")),  # +0.51 -> GAINING
    Measurement(march(12), Decimal("80.00"), Decimal("18.00")),  # -0.50: exactly the threshold -> STABLE
]


def test_the_latest_measurement_on_or_before_the_day():
    sections = health_sections([march(d) for d in (1, 3, 4, 5, 11)] + [date(2026, 2, 28)], [], MEASUREMENTS)
    latest = {day.day: s.body_composition and s.body_composition.measurement_date for day, s in sections.items()}
    assert latest == {28: None, 1: march(1), 3: march(1), 4: march(4), 5: march(4), 11: march(9)}


def test_weight_trend_at_the_half_kilo_boundary():
    trends = [(m.measurement_date.day, m.weight_change, m.weight_trend) for m in with_changes(reversed(MEASUREMENTS))]
    assert trends == [
        (1, None, None),
        (4, Decimal("0.50"), "STABLE"),
        (6, Decimal("-0.51"), "LOSING"),
        (9, Decimal("0.51"), "GAINING"),
        (12, Decimal("-0.50"), "STABLE"),
    ]


def test_lean_mass_only_with_a_known_body_fat():
    first, no_fat, third, *_ = with_changes(MEASUREMENTS)
    assert first.to_json() == {
        "measurement_date": "2026-03-01", "bodyweight_kg": 80.0, "bodyfat_pct": 20.0,
        "lean_mass_kg": 64.0, "weight_change_kg": None, "weight_trend": None,
    }
    # Never the person's view's 20 % guess (which would say 64.40).
    assert (no_fat.lean_mass_kg, no_fat.to_json()["lean_mass_kg"]) == (None, None)
    # 79.99 * (1 - 0.185) = 65.19185 -> 65.19
    assert third.lean_mass_kg == Decimal("65.19")

