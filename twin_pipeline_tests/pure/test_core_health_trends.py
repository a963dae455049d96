"""The health trends on crafted rows, pure and fast: every expected value is worked out by hand
in the comment beside it (leap day, the year's end and ISO week 53, too few points, a 40 kg
jump, rows after D)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from twin_pipeline.core.forecasting import implausible_counts
from twin_pipeline.core.health.section import Measurement, WorkoutDay
from twin_pipeline.core.health.trends import (
    STREAK_CAP_WEEKS,
    WEIGHT_CHANGE_CHECK,
    health_lookback_start,
    health_trends,
    measurement_trends_reach,
    workout_trends_reach,
)
from twin_pipeline_tests.crafted_rows import days_between


def weights(day: date, points: list[tuple[int, str]]) -> list[Measurement]:
    return [Measurement(day - timedelta(days=back), Decimal(kg), None) for back, kg in points]


@pytest.mark.parametrize(
    "day, points, kg_per_week",
    [
        # x = -14, -7, 0; y = 80, 79.5, 79: 0.5 kg lost a week exactly.
        (date(2026, 3, 10), [(14, "80.00"), (7, "79.50"), (0, "79.00")], -0.5),
        # x = -2, -1, 0; y = 80, 81, 80.5: n Sxy - Sx Sy = 3(-241) - (-3)(241.5) = 1.5;
        # n Sxx - Sx^2 = 15 - 9 = 6; 7 * 1.5 / 6 = 1.75.
        (date(2026, 3, 10), [(2, "80.00"), (1, "81.00"), (0, "80.50")], 1.75),
        # Across the leap day: 27 Feb, 29 Feb, 2 Mar 2024 are x = -4, -2, 0 (not -3, -2, 0):
        # 0.6 kg every 2 days = 2.1 kg a week.
        (date(2024, 3, 2), [(4, "70.00"), (2, "70.60"), (0, "71.20")], 2.1),
        # The window is D-27..D: 27 days back counts.
        (date(2026, 1, 1), [(27, "90.00"), (13, "89.30"), (0, "89.00")], None),
    ],
)
def test_weight_trend_is_the_least_squares_slope_over_28_days(day, points, kg_per_week):
    trends = health_trends([day], [], weights(day, points), 3)[day].to_json()
    if kg_per_week is None:
        # x = -27, -13, 0; y = 90, 89.3, 89: Sx = -40, Sy = 268.3, Sxy = -2430 - 1160.9 = -3590.9,
        # Sxx = 729 + 169 = 898; 7 (3(-3590.9) + 40 * 268.3) / (2694 - 1600) = 7(-40.7)/1094
        # = -0.2604... -> -0.26.
        kg_per_week = -0.26
    assert trends["weight_trend_kg_per_week"] == kg_per_week
    assert trends["weight_trend_kg_per_week_reason"] is None
    assert trends["weight_measurements_28d"] == 3


@pytest.mark.parametrize(
    "points, reason",
    [
        ([(28, "90.00"), (10, "89.00"), (0, "88.00")], "fewer than 3 measurements in 28 days"),  # 28 back is out
        ([(0, "88.00")], "fewer than 3 measurements in 28 days"),
        ([], "fewer than 3 measurements in 28 days"),
        (
            [(2, "80.00"), (1, "120.00"), (0, "80.00")],
            "implausible weight change (2026-03-08 80.00 kg -> 2026-03-09 120.00 kg, over 5 kg a day)",
        ),
    ],
)
def test_weight_trend_is_null_with_a_reason(points, reason):
    day = date(2026, 3, 10)
    trends = health_trends([day], [], weights(day, points), 3)[day].to_json()
    assert trends["weight_trend_kg_per_week"] is None
    assert trends["weight_trend_kg_per_week_reason"] == reason


def test_a_weight_jump_is_counted_once_however_many_days_see_it():
    day = date(2026, 3, 10)
    # 80 -> 120 -> 80 in two days: two implausible changes. 5 kg in one day and 12 kg in three
    # days (4 a day) are plausible.
    points = [(9, "70.00"), (8, "75.00"), (5, "87.00"), (2, "80.00"), (1, "120.00"), (0, "80.00")]
    trends = health_trends(days_between(day, day + timedelta(days=5)), [], weights(day, points), 3)
    assert all(t.weight_trend_kg_per_week is None for t in trends.values())
    assert implausible_counts(trends.values()) == {WEIGHT_CHANGE_CHECK: 2}
    plausible = health_trends([day], [], weights(day, points[:3]), 3)
    assert plausible[day].weight_trend_kg_per_week is not None
    assert implausible_counts(plausible.values()) == {WEIGHT_CHANGE_CHECK: 0}


def workouts_on(*days: date, per_day: int = 1) -> list[WorkoutDay]:
    return [WorkoutDay(d, per_day) for d in days]


def test_workouts_per_week_over_the_last_4_weeks():
    day = date(2024, 3, 1)
    # D-27 = 3 Feb 2024 (leap February: 1 Mar - 1 = 29 Feb, - 26 more = 3 Feb) counts, 2 Feb does not;
    # 1 + 2 + 1 on 3 Feb, 29 Feb and D: 4 / 4 = 1.0; 2 Mar is after D.
    workouts = workouts_on(date(2024, 2, 2), date(2024, 2, 3), date(2024, 3, 1), date(2024, 3, 2))
    workouts.append(WorkoutDay(date(2024, 2, 29), 2))
    assert health_trends([day], workouts, [], 3)[day].to_json()["workouts_per_week_4w"] == 1.0


# ISO 2026 has 53 weeks: week 53 is Monday 28 Dec 2026 .. Sunday 3 Jan 2027.
ACROSS_NEW_YEAR = workouts_on(
    date(2026, 12, 15), date(2026, 12, 17),  # week of 14 Dec: 2, breaks the streak
    date(2026, 12, 21), date(2026, 12, 23), date(2026, 12, 26),  # week of 21 Dec: 3
    date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 2),  # week 53: 3 across the year end
    date(2027, 1, 4), date(2027, 1, 5),  # week of 4 Jan 2027: 2 by Wednesday 6 Jan
)


@pytest.mark.parametrize(
    "day, extra, streak",
    [
        # D's week has 2 (< 3, in progress: no break): weeks 53 and 21 Dec count, 14 Dec breaks.
        (date(2027, 1, 6), [], 2),
        # A workout on Thursday 7 Jan makes D's week count too.
        (date(2027, 1, 7), [date(2027, 1, 7)], 3),
        # Seen from Wednesday 6 Jan, Thursday's and Friday's workouts are the future.
        (date(2027, 1, 6), [date(2027, 1, 7), date(2027, 1, 8)], 2),
        # Sunday 3 Jan 2027 is in week 53, which already has its 3: 53, 21 Dec.
        (date(2027, 1, 3), [], 2),
        # Monday 11 Jan: the week of 4 Jan ended with 2, so the streak is 0.
        (date(2027, 1, 11), [], 0),
    ],
)
def test_weekly_target_streak_across_iso_week_53(day, extra, streak):
    trends = health_trends([day], ACROSS_NEW_YEAR + workouts_on(*extra), [], 3)[day].to_json()
    assert trends["weekly_target_streak"] == streak
    assert trends["weekly_target_streak_capped"] is False


def test_weekly_target_streak_across_the_leap_day():
    # Week of Monday 26 Feb 2024 runs to Sunday 3 Mar: 26 Feb, 29 Feb, 3 Mar = 3; week of
    # 19 Feb: 3; week of 12 Feb: 1. Monday 4 Mar (none yet): 2.
    workouts = workouts_on(
        date(2024, 2, 14),
        date(2024, 2, 19), date(2024, 2, 20), date(2024, 2, 25),
        date(2024, 2, 26), date(2024, 2, 29), date(2024, 3, 3),
    )
    assert health_trends([date(2024, 3, 4)], workouts, [], 3)[date(2024, 3, 4)].weekly_target_streak == 2


def test_weekly_target_streak_is_capped_at_52_weeks_so_a_bounded_read_is_exact():
    day = date(2026, 3, 11)  # a Wednesday with no workout yet this week
    # Three workouts every week for 80 weeks before D's week.
    monday = day - timedelta(days=day.weekday())
    every_week = [
        WorkoutDay(monday - timedelta(weeks=w) + timedelta(days=k), 1) for w in range(1, 81) for k in (0, 2, 4)
    ]
    lookback = health_lookback_start(day)
    assert lookback == date(2025, 3, 10)  # Monday 9 Mar 2026 - 364 days
    read = [w for w in every_week if w.day >= lookback]
    full = health_trends([day], every_week, [], 3)[day].to_json()
    bounded = health_trends([day], read, [], 3)[day].to_json()
    assert full == bounded
    assert (full["weekly_target_streak"], full["weekly_target_streak_capped"]) == (STREAK_CAP_WEEKS, True)
    # D-27 = 12 Feb: 13 Feb, then 3 in each of the weeks of 16 Feb, 23 Feb, 2 Mar: 10 / 4 = 2.5.
    assert full["workouts_per_week_4w"] == 2.5


def test_a_weekly_target_below_1_has_no_streak():
    trends = health_trends([date(2026, 3, 11)], [], [], 0)[date(2026, 3, 11)].to_json()
    assert trends["weekly_target_streak"] is None
    assert trends["weekly_target_streak_reason"] == "TWIN_WEEKLY_WORKOUT_TARGET is below 1"


def test_health_rows_after_d_change_nothing():
    day = date(2026, 3, 10)
    measurements = weights(day, [(20, "81.00"), (9, "80.40"), (0, "80.00")])
    later = weights(day, [(-1, "79.00"), (-2, "120.00")])
    workouts = ACROSS_NEW_YEAR
    after = workouts_on(day + timedelta(days=1), day + timedelta(days=2), day + timedelta(days=3))
    before = health_trends([day], workouts, measurements, 3)[day]
    with_future = health_trends([day, day + timedelta(days=3)], workouts + after, measurements + later, 3)[day]
    assert with_future.to_json() == before.to_json()


@pytest.mark.parametrize(
    "reach_of, changed, reach",
    [
        # Thursday 31 Dec 2026 is in ISO week 53 (Monday 28 Dec); 52 weeks on is Monday 27 Dec 2027,
        # whose week ends Sunday 2 Jan 2028: that day's streak still reads week 53.
        (workout_trends_reach, date(2026, 12, 31), date(2028, 1, 2)),
        (measurement_trends_reach, date(2024, 2, 10), date(2024, 3, 8)),  # 10 Feb + 27 across 29 Feb
    ],
)
def test_how_far_a_changed_row_reaches_into_the_trends(reach_of, changed, reach):
    assert reach_of(changed) == reach
