"""Trends and forecasts on crafted rows, pure and fast: every expected value is worked out by
hand in the comment beside it (leap day, month ends, DST days, too few points, bad input)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from twin_pipeline.core.finance import Budget, DailyFlow
from twin_pipeline.core.forecasts import (
    NEGATIVE_QUANTITY_CHECK,
    STREAK_CAP_WEEKS,
    WEIGHT_CHANGE_CHECK,
    finance_forecasts,
    finance_lookback_start,
    forecast_problems,
    forecast_reach,
    health_lookback_start,
    health_trends,
    pantry_forecasts,
    pantry_history_needed_from,
)
from twin_pipeline.core.health import Measurement, WorkoutDay
from twin_pipeline.core.pantry import PantryItem, PantryVersion
from twin_pipeline.core.summary import forecast_line, format_money, render_summary

WARSAW = ZoneInfo("Europe/Warsaw")


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def expense(day: date, amount: str, category: int | None = 1, currency: str = "PLN") -> DailyFlow:
    return DailyFlow(day, currency, "Expense", category, Decimal(amount), 1)


def income(day: date, amount: str, currency: str = "PLN") -> DailyFlow:
    return DailyFlow(day, currency, "Income", None, Decimal(amount), 1)


def finance_on(day: date, flows, budgets=()):
    return finance_forecasts([day], flows, budgets, "PLN")[day]


# Finance

# 100 PLN spent every day of January to March 2026; the salary, 5,000 PLN, arrives on the 25th
# or on the 1st.
STEADY = [expense(d, "100") for d in days_between(date(2026, 1, 1), date(2026, 3, 31))]


@pytest.mark.parametrize(
    "salary_days, day, mtd_income, mtd_expense, projected_expense",
    [
        # Salary on the 25th, D = 10 March: none this month yet, 5,000 in February: expect 5,000.
        # Spent 10 x 100 = 1,000; the last 30 days 3,000; 21 days left: 1,000 + 3,000 * 21 / 30 = 3,100.
        ([date(2026, 2, 25), date(2026, 3, 25)], date(2026, 3, 10), 0, 1000, 3100),
        # D = 25 March, the salary has come: max(5,000, 5,000); 2,500 + 3,000 * 6 / 30 = 3,100.
        ([date(2026, 2, 25), date(2026, 3, 25)], date(2026, 3, 25), 5000, 2500, 3100),
        # Salary on the 1st, D = 1 March: 5,000 not multiplied by 31; 100 + 3,000 * 30 / 30 = 3,100.
        ([date(2026, 2, 1), date(2026, 3, 1)], date(2026, 3, 1), 5000, 100, 3100),
    ],
)
def test_a_monthly_salary_is_expected_once_and_never_extrapolated(
    salary_days, day, mtd_income, mtd_expense, projected_expense
):
    forecast = finance_on(day, STEADY + [income(d, "5000") for d in salary_days])
    assert forecast.mtd_income == mtd_income
    assert forecast.mtd_expense == mtd_expense
    assert forecast.projected_income == 5000
    assert forecast.projected_expense == projected_expense
    # The same month end, 5,000 - 3,100, whichever day of the month it is seen from.
    assert forecast.to_json()["month_end_net_projected"] == 1900.0
    # 10 Jan..8 Feb against 9 Feb..10 Mar (or the like): 3,000 against 3,000.
    assert forecast.to_json()["spending_change_pct"] == 0.0


def test_a_rent_on_the_first_is_spread_over_a_month_not_multiplied_by_it():
    # 2,000 rent on 1 March on top of 100 a day. Last 30 days (31 Jan..1 Mar): 29 x 100 + 2,100
    # = 5,000; 30 days left: 2,100 + 5,000 * 30 / 30 = 7,100 (the month-to-date pace would say
    # 2,100 * 31 = 65,100). No income: 0 - 7,100.
    forecast = finance_on(date(2026, 3, 1), STEADY + [expense(date(2026, 3, 1), "2000")])
    assert forecast.projected_expense == Decimal("7100.00")
    assert forecast.to_json()["month_end_net_projected"] == -7100.0


@pytest.mark.parametrize(
    "day, window_start",
    [
        (date(2024, 2, 29), date(2024, 1, 31)),  # leap day: 29 Feb - 29 days
        (date(2024, 3, 1), date(2024, 2, 1)),  # across 29 Feb
        (date(2023, 3, 1), date(2023, 1, 31)),  # no 29 Feb
        (date(2026, 1, 1), date(2025, 12, 3)),  # across the year end
    ],
)
def test_spending_of_the_last_30_days_against_the_30_before(day, window_start):
    flows = [
        expense(window_start - timedelta(days=31), "50"),  # before both windows
        expense(window_start - timedelta(days=30), "70"),  # first day of the previous 30
        expense(window_start - timedelta(days=1), "300"),  # last day of the previous 30
        expense(window_start, "200"),  # first day of the last 30
        expense(day, "100"),
        expense(day + timedelta(days=1), "999"),  # after D
    ]
    document = finance_on(day, flows).to_json()
    # 200 + 100 = 300 against 70 + 300 = 370: (300 - 370) * 100 / 370 = -18.918... -> -18.92.
    assert (document["spending_30d"], document["spending_prev_30d"]) == (300.0, 370.0)
    assert document["spending_change_pct"] == -18.92
    assert document["spending_change_pct_reason"] is None


@pytest.mark.parametrize(
    "day, days_remaining, projected_expense",
    [
        (date(2024, 1, 31), 0, "350.00"),
        (date(2024, 2, 28), 1, "361.67"),  # 350 + 350 * 1 / 30 = 361.666...
        (date(2024, 2, 29), 0, "350.00"),
        (date(2023, 2, 28), 0, "350.00"),
        (date(2026, 12, 31), 0, "350.00"),
    ],
)
def test_on_the_last_day_of_a_month_the_projection_is_what_happened(day, days_remaining, projected_expense):
    # 310 spent on D, 40 the day before, 1,000 income on the 1st of D's month, 3,000 the month before.
    flows = [
        expense(day, "310"),
        expense(day - timedelta(days=1), "40"),
        income(day.replace(day=1), "1000"),
        income((day.replace(day=1) - timedelta(days=1)).replace(day=1), "3000"),
    ]
    forecast = finance_on(day, flows)
    assert forecast.days_remaining == days_remaining
    # mtd 350 + (350 over the last 30 days) * days_remaining / 30; income max(1,000, 3,000).
    assert forecast.projected_expense == Decimal(projected_expense)
    assert forecast.month_end_net_projected == 3000 - Decimal(projected_expense)


def test_no_flows_in_the_primary_currency_is_no_projection():
    forecast = finance_on(date(2026, 3, 10), [expense(date(2026, 3, 5), "80", currency="EUR")])
    document = forecast.to_json()
    # 10 March - 59 days = 10 January (22 + 28 + 9); the previous month starts later.
    assert finance_lookback_start(date(2026, 3, 10)) == date(2026, 1, 10)
    assert document["month_end_net_projected"] is None
    assert document["month_end_net_projected_reason"] == "no PLN income or expense since 2026-01-10"
    assert document["spending_change_pct"] is None
    assert document["spending_change_pct_reason"] == "nothing spent in the 30 days before"


@pytest.mark.parametrize(
    "first_day, lookback",
    [
        (date(2026, 3, 1), date(2026, 1, 1)),  # 1 Mar - 59 days (28 + 31) = 1 Jan, before 1 Feb
        (date(2026, 3, 31), date(2026, 1, 31)),  # 31 Mar - 59 = 31 Jan, before 1 Feb
        (date(2026, 7, 31), date(2026, 6, 1)),  # 31 Jul - 59 = 2 Jun: the previous month starts earlier
    ],
)
def test_finance_lookback_covers_both_windows_and_the_previous_month(first_day, lookback):
    assert finance_lookback_start(first_day) == lookback


def groceries(year: int, month: int, amount: str) -> Budget:
    return Budget(f"b-{year}-{month}", year, month, 7, "Food > Groceries", Decimal(amount), 80, "High")


@pytest.mark.parametrize(
    "day, budget, spending, status, runs_out_on",
    [
        # 350 in 10 days: 1,000 at day ceil(1,000 * 10 / 350) = ceil(28.57) = 29.
        (date(2026, 3, 10), groceries(2026, 3, "1000"), [(date(2026, 3, 4), "350")], "runs_out", date(2026, 3, 29)),
        # Exactly 40 a day: day 1,000 * 10 / 400 = 25 (a float quotient could make it 26).
        (date(2026, 3, 10), groceries(2026, 3, "1000"), [(date(2026, 3, 4), "400")], "runs_out", date(2026, 3, 25)),
        # 300 in 10 days: day ceil(33.3) = 34 > 31: lasts the month.
        (date(2026, 3, 10), groceries(2026, 3, "1000"), [(date(2026, 3, 4), "300")], "lasts", None),
        # 600 on the 3rd, 500 on the 8th: 1,100 >= 1,000 since the 8th.
        (
            date(2026, 3, 10),
            groceries(2026, 3, "1000"),
            [(date(2026, 3, 3), "600"), (date(2026, 3, 8), "500")],
            "over",
            date(2026, 3, 8),
        ),
        # Leap February: 100 in 10 days, 290 at day ceil(29) = 29, which 2024 has and 2023 has not.
        (date(2024, 2, 10), groceries(2024, 2, "290"), [(date(2024, 2, 1), "100")], "runs_out", date(2024, 2, 29)),
        (date(2023, 2, 10), groceries(2023, 2, "290"), [(date(2023, 2, 1), "100")], "lasts", None),
        # Last day of the year, 31 Dec: 1,000 in 31 days against 1,000: reached on the 31st.
        (date(2026, 12, 31), groceries(2026, 12, "1000"), [(date(2026, 12, 31), "1000")], "over", date(2026, 12, 31)),
    ],
)
def test_the_day_each_budget_runs_out_at_the_month_to_date_pace(day, budget, spending, status, runs_out_on):
    flows = [expense(d, amount, category=7) for d, amount in spending]
    flows.append(expense(day.replace(day=1) - timedelta(days=1), "5000", category=7))  # last month's
    (runout,) = finance_on(day, flows, [budget]).budgets
    assert (runout.status, runout.runs_out_on) == (status, runs_out_on)
    assert (runout.reason is None) == (runs_out_on is not None)


def test_a_budget_with_nothing_spent_lasts_and_other_months_budgets_are_left_out():
    day = date(2026, 3, 10)
    budgets = [groceries(2026, 3, "1000"), groceries(2026, 4, "1000"), groceries(2026, 2, "1000")]
    (runout,) = finance_on(day, [expense(day, "5", category=8)], budgets).to_json()["budgets"]
    assert runout == {
        "budget_id": "b-2026-3",
        "category_path": "Food > Groceries",
        "budget_amount": 1000.0,
        "actual_amount": 0.0,
        "status": "lasts",
        "runs_out_on": None,
        "runs_out_on_reason": "nothing spent this month yet",
    }


def test_finance_rows_after_d_change_nothing():
    day = date(2026, 3, 10)
    budgets = [groceries(2026, 3, "1000")]
    flows = STEADY[: 31 + 28 + 10] + [expense(date(2026, 3, 2), "300", category=7), income(date(2026, 2, 25), "5000")]
    later = [expense(date(2026, 3, 11), "900", category=7), income(date(2026, 3, 25), "9000"), *STEADY[31 + 28 + 10 :]]
    before = finance_forecasts(days_between(date(2026, 3, 1), day), flows, budgets, "PLN")[day]
    after = finance_forecasts(days_between(date(2026, 3, 1), day + timedelta(days=20)), flows + later, budgets, "PLN")
    assert after[day].to_json() == before.to_json()
    # And a one-day run of D gives the same as D inside a range.
    assert finance_on(day, flows + later, budgets).to_json() == before.to_json()


# Health


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
    assert forecast_problems(trends.values()) == {WEIGHT_CHANGE_CHECK: 2}
    plausible = health_trends([day], [], weights(day, points[:3]), 3)
    assert plausible[day].weight_trend_kg_per_week is not None
    assert forecast_problems(plausible.values()) == {WEIGHT_CHANGE_CHECK: 0}


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


# Pantry


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WARSAW)


def chain(category: str, changes: list[tuple[datetime, str]], threshold: str | None = "1") -> list[PantryVersion]:
    """The versions a category's updates leave in the history: each valid until the next."""
    versions = []
    for i, (since, quantity) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else None
        item = PantryItem(
            category,
            None if quantity is None else Decimal(quantity),
            "kg",
            None,
            None if threshold is None else Decimal(threshold),
        )
        versions.append(PantryVersion(item, since, until))
    return versions


CAPTURED = date(2026, 1, 1)


def pantry_on(day: date, versions, history_starts: date | None = CAPTURED):
    return pantry_forecasts([day], versions, history_starts, WARSAW)[day]


def test_consumption_counts_decreases_in_the_window_and_ignores_restocks():
    day = date(2026, 3, 10)  # window 11 Feb 00:00 .. 11 Mar 00:00 local
    coffee = chain(
        "Coffee",
        [
            (local(2026, 1, 1, 0, 0), "10"),
            (local(2026, 2, 10, 12, 0), "9"),  # before the window: the opening quantity
            (local(2026, 2, 15, 8, 0), "7"),  # -2
            (local(2026, 2, 20, 8, 0), "12"),  # a restock: ignored
            (local(2026, 3, 1, 8, 0), "8"),  # -4
            (local(2026, 3, 10, 23, 30), "6"),  # -2, still D in Warsaw (22:30 UTC)
            (local(2026, 3, 11, 0, 30), "2"),  # after D
        ],
    )
    (forecast,) = pantry_on(day, coffee).to_json()["categories"]
    # 8 consumed: 8 / 28 = 0.2857 -> 0.29 a day; 6 left, threshold 1: ceil(5 * 28 / 8) = ceil(17.5)
    # = 18 days -> 28 March.
    assert forecast == {
        "category": "Coffee",
        "consumed_28d": 8.0,
        "consumption_per_day": 0.29,
        "consumption_per_day_reason": None,
        "reaches_threshold_on": "2026-03-28",
        "reaches_threshold_on_reason": None,
    }


@pytest.mark.parametrize(
    "day, inside, outside",
    [
        # Spring forward: 29 Mar 2026 has 23 hours. It ends at 30 Mar 00:00 CEST (29 Mar 22:00 UTC);
        # start + 24 h would reach 30 Mar 01:00 CEST and take the 00:30 change.
        (date(2026, 3, 29), local(2026, 3, 29, 23, 30), local(2026, 3, 30, 0, 30)),
        # Fall back: 25 Oct 2026 has 25 hours. It ends at 26 Oct 00:00 CET (25 Oct 23:00 UTC);
        # start + 24 h would stop at 23:00 CET and miss the 23:30 change.
        (date(2026, 10, 25), local(2026, 10, 25, 23, 30), local(2026, 10, 26, 0, 30)),
        # The window of 25 Apr starts on the 23-hour day, at 29 Mar 00:00 CET (28 Mar 23:00 UTC);
        # end - 28 x 24 h would start at 28 Mar 23:00 CET and take the 23:30 change.
        (date(2026, 4, 25), local(2026, 3, 29, 0, 30), local(2026, 3, 28, 23, 30)),
        # The window of 21 Nov starts on the 25-hour day, at 25 Oct 00:00 CEST (24 Oct 22:00 UTC);
        # end - 28 x 24 h would start at 25 Oct 01:00 CEST and miss the 00:30 change.
        (date(2026, 11, 21), local(2026, 10, 25, 0, 30), local(2026, 10, 24, 23, 30)),
        # Leap year: 10 Mar 2024 - 27 days = 12 Feb (11 Feb in 2023).
        (date(2024, 3, 10), local(2024, 2, 12, 0, 30), local(2024, 2, 11, 23, 30)),
        (date(2023, 3, 10), local(2023, 2, 11, 0, 30), local(2023, 2, 10, 23, 30)),
    ],
)
def test_the_window_is_28_local_days_whatever_their_length(day, inside, outside):
    # 3 consumed inside the window, 5 just outside it.
    changes = sorted([(inside, 3), (outside, 5)])
    quantity, timeline = 100, [(local(day.year - 1, 1, 1, 0, 0), "100")]
    for since, used in changes:
        quantity -= used
        timeline.append((since, str(quantity)))
    (forecast,) = pantry_on(day, chain("Rice", timeline), history_starts=date(day.year - 1, 1, 1)).categories
    # 3 / 28 = 0.107 -> 0.11 a day.
    assert forecast.consumed_28d == 3
    assert forecast.to_json()["consumption_per_day"] == 0.11


@pytest.mark.parametrize(
    "day, reaches",
    [
        # 10 left, threshold 1, 28 used in 28 days: ceil(9 * 28 / 28) = 9 days.
        (date(2024, 2, 20), date(2024, 2, 29)),  # onto the leap day
        (date(2023, 2, 20), date(2023, 3, 1)),  # no leap day
        (date(2026, 12, 31), date(2027, 1, 9)),  # across the year end
    ],
)
def test_the_day_a_category_reaches_its_threshold(day, reaches):
    start = local(day.year, day.month, day.day) - timedelta(days=40)
    timeline = [(start, "38"), (local(day.year, day.month, day.day, 12), "10")]
    (forecast,) = pantry_on(day, chain("Flour", timeline), history_starts=start.date()).categories
    assert forecast.reaches_threshold_on == reaches


def test_pantry_forecast_needs_the_capture_to_cover_the_window():
    versions = chain("Rice", [(local(2026, 2, 11, 10, 0), "5"), (local(2026, 3, 5, 10, 0), "4")])
    # Captured since 11 Feb: 10 Mar needs the quantity at the end of 10 Feb.
    early = pantry_on(date(2026, 3, 10), versions, history_starts=date(2026, 2, 11)).to_json()
    assert early == {
        "window_days": 28,
        "categories": None,
        "categories_reason": "pantry history starts on 2026-02-11; 28 days needed",
    }
    # 11 Mar: the window starts 12 Feb 00:00, after the capture began.
    (rice,) = pantry_on(date(2026, 3, 11), versions, history_starts=date(2026, 2, 11)).categories
    assert rice.consumed_28d == 1
    assert pantry_history_needed_from(date(2026, 3, 11), WARSAW) == local(2026, 2, 12)
    missing = pantry_on(date(2026, 3, 11), versions, history_starts=None).to_json()
    assert missing["categories_reason"] == "pantry history capture not installed; 28 days of it needed"


@pytest.mark.parametrize(
    "timeline, threshold, consumed, reason",
    [
        ([(local(2026, 1, 1), "1")], "1", 0.0, "already at or below the threshold"),
        ([(local(2026, 1, 1), "5")], "1", 0.0, "nothing consumed in 28 days"),
        ([(local(2026, 1, 1), "5"), (local(2026, 3, 1), "3")], None, 2.0, "no critical threshold"),
        ([(local(2026, 1, 1), "5"), (local(2026, 3, 1), None)], "1", 0.0, "quantity unknown"),
    ],
)
def test_reaches_threshold_is_null_with_a_reason(timeline, threshold, consumed, reason):
    (forecast,) = pantry_on(date(2026, 3, 10), chain("Oil", timeline, threshold)).to_json()["categories"]
    assert forecast["consumed_28d"] == consumed
    assert forecast["reaches_threshold_on"] is None
    assert forecast["reaches_threshold_on_reason"] == reason


def test_a_category_added_inside_the_window_or_deleted_before_the_end_of_d():
    added = chain("Tea", [(local(2026, 3, 1, 9, 0), "5"), (local(2026, 3, 5, 9, 0), "4")])
    gone = [PantryVersion(PantryItem("Salt", Decimal(1), "kg", None, Decimal(1)), local(2026, 1, 1), local(2026, 3, 2))]
    (tea,) = pantry_on(date(2026, 3, 10), added + gone).to_json()["categories"]
    assert tea["category"] == "Tea"
    assert tea["consumption_per_day"] is None
    assert tea["consumption_per_day_reason"] == "in the pantry only since 2026-03-01; 28 days needed"


def test_a_negative_quantity_makes_the_category_null_and_is_counted_once():
    beans = chain(
        "Beans", [(local(2026, 1, 1), "5"), (local(2026, 3, 1, 9, 0), "-2.00"), (local(2026, 3, 2, 9, 0), "4")]
    )
    rice = chain("Rice", [(local(2026, 1, 1), "5"), (local(2026, 3, 1, 9, 0), "4")])
    forecasts = pantry_forecasts(days_between(date(2026, 3, 10), date(2026, 3, 15)), beans + rice, CAPTURED, WARSAW)
    beans_forecast, rice_forecast = forecasts[date(2026, 3, 10)].to_json()["categories"]
    assert beans_forecast["consumption_per_day"] is None
    assert beans_forecast["consumption_per_day_reason"] == "negative quantity -2.00 in the window"
    assert rice_forecast["consumed_28d"] == 1.0
    assert forecast_problems(forecasts.values()) == {NEGATIVE_QUANTITY_CHECK: 1}


def test_pantry_rows_after_d_change_nothing():
    day = date(2026, 3, 10)
    timeline = [(local(2026, 1, 1), "10"), (local(2026, 2, 20, 8, 0), "7")]
    later = timeline + [(local(2026, 3, 11, 0, 0), "1"), (local(2026, 3, 12, 8, 0), "0")]
    before = pantry_on(day, chain("Rice", timeline))
    after = pantry_forecasts([day, day + timedelta(days=2)], chain("Rice", later), CAPTURED, WARSAW)[day]
    assert after.to_json() == before.to_json()
    assert before.categories[0].consumed_28d == 3


# The status text


def test_format_money_in_whole_units_rounds_half_away_from_zero():
    assert format_money(1980.5, "PLN", places=0) == "+1,981 PLN"
    assert format_money(-1980.5, "PLN", places=0) == "-1,981 PLN"
    assert format_money(2450.0, "PLN") == "+2,450.00 PLN"
    assert format_money(-312.4, "PLN") == "-312.40 PLN"


def states_for(day: date, *, pantry_category: str = "Coffee") -> dict:
    finance = {
        "as_of": day.isoformat(),
        "status": "ok",
        "error": None,
        "currency": "PLN",
        "mtd_net": 1200.0,
        "active_budget_alerts": 0,
        "alerts": [],
    }
    finance["forecast"] = finance_on(
        day,
        STEADY + [income(date(2026, 2, 25), "5080"), expense(date(2026, 3, 2), "900", category=7)],
        [groceries(2026, 3, "1000"), Budget("b-rent", 2026, 3, 9, "Home > Rent", Decimal("100"), 80, None)],
    ).to_json()
    coffee = chain(pantry_category, [(local(2026, 1, 1), "20"), (local(2026, 2, 20), "10")])
    pantry = {
        "as_of": day.isoformat(),
        "status": "ok",
        "error": None,
        "low_stock_count": 0,
        "low_stock": [],
        "expiring_soon_count": 0,
        "expired_count": 0,
        "forecast": pantry_on(day, coffee).to_json(),
    }
    health = {"as_of": day.isoformat(), "status": "ok", "error": None, "workouts_last_7_days": 2}
    return {"finance": finance, "pantry": pantry, "health": health}


def test_forecast_line_shows_the_month_end_the_first_budget_and_the_first_item_running_low():
    day = date(2026, 3, 10)
    states = states_for(day, pantry_category="*Coffee* <b>")
    # Month end: 5,080 - (1,900 + 3,900 * 21 / 30 = 4,630) = 450. Groceries: 900 in 10 days,
    # 1,000 at day ceil(11.1) = 12; Rent: nothing spent, lasts. Coffee: 10 used, 10 left:
    # ceil(9 * 28 / 10) = ceil(25.2) = 26 days, beyond the 14 shown.
    assert forecast_line(states) == "📈 Month end +450 PLN · Groceries over by the 12th"
    # Bought less coffee: 5 left after the same 10 used: ceil(4 * 28 / 10) = 12 days.
    low = chain("*Coffee* <b>", [(local(2026, 1, 1), "15"), (local(2026, 2, 20), "5")])
    states["pantry"]["forecast"] = pantry_on(day, low).to_json()
    assert forecast_line(states) == (
        "📈 Month end +450 PLN · Groceries over by the 12th · \\*Coffee\\* \\<b> low in 12 days"
    )


@pytest.mark.parametrize(
    "day_of_month, ordinal",
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (27, "27th"), (31, "31st")],
)
def test_forecast_line_ordinals(day_of_month, ordinal):
    budget = {"budget_id": "b", "category_path": "Food > Groceries", "status": "runs_out",
              "runs_out_on": f"2026-03-{day_of_month:02d}"}
    states = {"finance": {"forecast": {"month_end_net_projected": None, "currency": "PLN", "budgets": [budget]}}}
    assert forecast_line(states) == f"📈 Groceries over by the {ordinal}"


def test_forecast_line_is_none_without_forecasts_and_the_summary_is_unchanged_by_default():
    assert forecast_line({"finance": {"status": "unavailable"}, "pantry": None}) is None
    day = date(2026, 3, 10)
    states = states_for(day)
    plain = {name: {k: v for k, v in doc.items() if k not in ("forecast", "trends")} for name, doc in states.items()}
    today = render_summary(day.isoformat(), plain)
    assert render_summary(day.isoformat(), states) == today
    with_line = render_summary(day.isoformat(), states, forecasts=True).split("\n")
    assert with_line[:4] == today.split("\n")[:4]
    assert with_line[4] == "📈 Month end +450 PLN · Groceries over by the 12th"


def test_a_category_deleted_before_the_window_and_added_again_inside_it_is_new():
    day = date(2026, 3, 10)
    old = PantryVersion(PantryItem("Tea", Decimal(9), "kg", None, Decimal(1)), local(2026, 1, 1), local(2026, 1, 20))
    again = chain("Tea", [(local(2026, 2, 20, 9, 0), "5"), (local(2026, 3, 5, 9, 0), "4")])
    # The reader reads the versions alive from the start of D-27 on, so it never sees `old`.
    needed_from = pantry_history_needed_from(day, WARSAW)
    assert old.valid_to < needed_from
    unbounded = pantry_on(day, [old, *again]).to_json()
    assert unbounded == pantry_on(day, again).to_json()
    assert unbounded["categories"][0]["consumption_per_day_reason"] == (
        "in the pantry only since 2026-02-20; 28 days needed"
    )


@pytest.mark.parametrize(
    "table, changed, reach",
    [
        # Spending windows reach 59 days on; January's income is "last month's" all February.
        ("finance.transactions", date(2026, 1, 15), date(2026, 3, 15)),  # 15 Jan + 59 > 28 Feb
        ("finance.transactions", date(2026, 1, 1), date(2026, 3, 1)),  # 1 Jan + 59 = 1 Mar > 28 Feb
        ("finance.transactions", date(2024, 1, 1), date(2024, 2, 29)),  # 1 Jan + 59 = 29 Feb (leap)
        ("finance.transactions", date(2026, 1, 31), date(2026, 3, 31)),  # 31 Jan + 59 = 31 Mar
        ("finance.transactions", date(2025, 12, 31), date(2026, 2, 28)),  # + 59 = 28 Feb, after 31 Jan
        ("finance.budgets", date(2024, 2, 1), date(2024, 2, 29)),
        # Thursday 31 Dec 2026 is in ISO week 53 (Monday 28 Dec); 52 weeks on is Monday 27 Dec 2027,
        # whose week ends Sunday 2 Jan 2028: that day's streak still reads week 53.
        ("training.workouts", date(2026, 12, 31), date(2028, 1, 2)),
        ("training.measurements", date(2024, 2, 10), date(2024, 3, 8)),  # 10 Feb + 27 across 29 Feb
        ("pantry.history", date(2026, 3, 29), date(2026, 4, 25)),
    ],
)
def test_how_far_a_changed_row_reaches_into_the_forecasts(table, changed, reach):
    assert forecast_reach(table, changed) == reach
