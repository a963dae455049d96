"""The finance forecast on crafted rows, pure and fast: every expected value is worked out by
hand in the comment beside it (leap day, month ends, the year's end, salary on the 1st and on
the 25th, rows after D)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from twin_pipeline.core.finance.forecast import (
    budget_forecast_reach,
    finance_forecasts,
    finance_lookback_start,
    transaction_forecast_reach,
)
from twin_pipeline_tests.crafted_rows import STEADY, days_between, expense, finance_on, groceries, income


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


@pytest.mark.parametrize(
    "reach_of, changed, reach",
    [
        # Spending windows reach 59 days on; January's income is "last month's" all February.
        (transaction_forecast_reach, date(2026, 1, 15), date(2026, 3, 15)),  # 15 Jan + 59 > 28 Feb
        (transaction_forecast_reach, date(2026, 1, 1), date(2026, 3, 1)),  # 1 Jan + 59 = 1 Mar > 28 Feb
        (transaction_forecast_reach, date(2024, 1, 1), date(2024, 2, 29)),  # 1 Jan + 59 = 29 Feb (leap)
        (transaction_forecast_reach, date(2026, 1, 31), date(2026, 3, 31)),  # 31 Jan + 59 = 31 Mar
        (transaction_forecast_reach, date(2025, 12, 31), date(2026, 2, 28)),  # + 59 = 28 Feb, after 31 Jan
        (budget_forecast_reach, date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_how_far_a_changed_row_reaches_into_the_forecasts(reach_of, changed, reach):
    assert reach_of(changed) == reach
