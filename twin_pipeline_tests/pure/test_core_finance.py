"""Fast tests of the pure finance core: month-to-date cashflow and the contract's budget-alert rules.

No database: rows go in as the readers would hand them over, every expected figure is
worked out by hand in the comments. (test_finance.py checks the same rules through SQL.)
"""

from datetime import date
from decimal import Decimal

import pytest

from twin_pipeline.core.finance.section import Budget, DailyFlow, budget_alerts, finance_sections
from twin_pipeline.core.sections import numeric_div, round2

HIGH_ACTION = "Alert threshold reached: keep spending under the daily limit remaining"


def flow(day: date, currency: str, kind: str, category: int | None, amount: str, count: int = 1) -> DailyFlow:
    return DailyFlow(day, currency, kind, category, Decimal(amount), count)


def budget(budget_id: str, category: int, amount: str, threshold: int | None, priority: str | None,
           year: int = 2026, month: int = 3) -> Budget:
    return Budget(budget_id, year, month, category, f"Cat {category} > Sub", Decimal(amount), threshold, priority)


# Flows as finance_daily_flows.sql returns them (Income/Expense only: the SQL drops Transfers).
FLOWS = [
    flow(date(2026, 2, 28), "PLN", "Expense", 1, "50.00"),
    flow(date(2026, 3, 1), "PLN", "Income", 2, "1000.00"),
    flow(date(2026, 3, 2), "PLN", "Expense", 1, "120.55"),
    flow(date(2026, 3, 2), "PLN", "Expense", 6, "30.00"),
    flow(date(2026, 3, 3), "EUR", "Expense", 4, "10.10"),
    flow(date(2026, 3, 5), "PLN", "Expense", 1, "99.45", count=2),
    flow(date(2026, 3, 6), "EUR", "Income", 2, "20.00"),  # after D: must not leak into 03-05
]


def test_month_to_date_totals_reset_at_the_month_and_split_by_currency():
    days = [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 5)]
    sections = finance_sections(days, FLOWS, [], "PLN")
    assert set(sections) == set(days)

    february = sections[date(2026, 2, 28)].to_json()
    assert (february["mtd_income"], february["mtd_expense"], february["mtd_net"]) == (0.0, 50.0, -50.0)

    first = sections[date(2026, 3, 1)].to_json()  # February's 50.00 is gone on the 1st
    assert (first["mtd_income"], first["mtd_expense"], first["mtd_net"]) == (1000.0, 0.0, 1000.0)
    assert "by_currency" not in first

    fifth = sections[date(2026, 3, 5)].to_json()
    # PLN: income 1000.00; expense 120.55 + 30.00 + 99.45 = 250.00; net 750.00.
    assert (fifth["currency"], fifth["mtd_income"], fifth["mtd_expense"], fifth["mtd_net"]) == ("PLN", 1000.0, 250.0, 750.0)
    assert fifth["by_currency"] == {
        "EUR": {"mtd_income": 0.0, "mtd_expense": 10.1, "mtd_net": -10.1, "transactions": 1},
        "PLN": {"mtd_income": 1000.0, "mtd_expense": 250.0, "mtd_net": 750.0, "transactions": 5},
    }
    assert fifth["transactions_mtd"] == 6
    assert (fifth["as_of"], fifth["status"], fifth["error"]) == ("2026-03-05", "ok", None)


def test_alerts_read_the_months_spending_per_category_up_to_the_day():
    # Category 1 by 03-05: 120.55 + 99.45 = 220.00 of 250.00 -> 88.00 % >= 80 -> HIGH.
    sections = finance_sections([date(2026, 3, 2), date(2026, 3, 5)], FLOWS, [budget("B-GROC", 1, "250.00", 80, "High")], "PLN")
    (alert,) = sections[date(2026, 3, 5)].alerts
    assert (alert.actual_amount, alert.utilization_pct, alert.alert_severity) == (Decimal("220.00"), Decimal("88.00"), "HIGH")
    # On 03-02 only 120.55 was spent: 48.22 %, projected 120.55 / 2 * 31 = 1868.525 -> 1868.53 > 250 -> MEDIUM.
    (earlier,) = sections[date(2026, 3, 2)].alerts
    assert (earlier.utilization_pct, earlier.projected_month_end, earlier.alert_severity) == (
        Decimal("48.22"), Decimal("1868.53"), "MEDIUM")


# 2026-03-10: March has 31 days, so 21 remain.
MARCH_10 = date(2026, 3, 10)
BUDGETS = [
    budget("A", 1, "200.00", 80, "High"),       # 150 spent: 75.00 %, projected 465.00 > 200 -> MEDIUM
    budget("B", 2, "100.00", 90, "Critical"),   # 100 spent: 100.00 % -> CRITICAL
    budget("C", 3, "500.00", 50, "Medium"),     # 250 spent: 50.00 % == threshold -> HIGH
    budget("D", 4, "1000.00", 80, "Low"),       # 100 spent: 10.00 %, projected 310.00 -> LOW, not an alert
    budget("E", 5, "0.00", 10, "Critical"),     # a zero budget is never read
    budget("F", 6, "10.00", 10, "Critical", month=4),  # April's budget, not March's
    budget("G", 7, "300.00", None, None),       # 120 spent: 40.00 %, projected 372.00 > 300 -> MEDIUM
    budget("H", 8, "50.00", 150, "High"),       # 60 spent: 120.00 % -> CRITICAL although under its 150 % threshold
    budget("I", 9, "310.00", 100, "Low"),       # 100 spent: projected 310.00 == budget: not over -> LOW
]
SPENT = {1: Decimal("150.00"), 2: Decimal("100.00"), 3: Decimal("250.00"), 4: Decimal("100.00"),
         5: Decimal("10.00"), 6: Decimal("500.00"), 7: Decimal("120.00"), 8: Decimal("60.00"), 9: Decimal("100.00")}


def test_budget_alerts_severity_predicate_and_order():
    alerts = budget_alerts(MARCH_10, BUDGETS, SPENT)
    # Priority Critical, High, Medium, then the rest; within High, utilization descending (H 120 before A 75).
    rows = [(a.alert_id, a.alert_severity, a.utilization_pct, a.projected_month_end, a.days_remaining,
             a.daily_limit_remaining) for a in alerts]
    assert rows == [
        ("B", "CRITICAL", Decimal("100.00"), Decimal("310.00"), 21, Decimal("0.00")),
        ("H", "CRITICAL", Decimal("120.00"), Decimal("186.00"), 21, Decimal("-0.48")),   # -10 / 21 = -0.476...
        ("A", "MEDIUM", Decimal("75.00"), Decimal("465.00"), 21, Decimal("2.38")),       # 50 / 21 = 2.3809...
        ("C", "HIGH", Decimal("50.00"), Decimal("775.00"), 21, Decimal("11.90")),        # 250 / 21 = 11.9047...
        ("G", "MEDIUM", Decimal("40.00"), Decimal("372.00"), 21, Decimal("8.57")),       # 180 / 21 = 8.5714...
    ]
    high = alerts[3]
    assert high.recommended_action == HIGH_ACTION
    assert (high.category_path, high.budget_amount, high.actual_amount, high.alert_threshold, high.priority) == (
        "Cat 3 > Sub", Decimal("500.00"), Decimal("250.00"), 50, "Medium")
    assert alerts[0].to_json() == {
        "alert_id": "B", "alert_severity": "CRITICAL", "category_path": "Cat 2 > Sub",
        "budget_amount": 100.0, "actual_amount": 100.0, "utilization_pct": 100.0, "alert_threshold": 90,
        "projected_month_end": 310.0, "days_remaining": 21, "daily_limit_remaining": 0.0,
        "recommended_action": "Budget exceeded: stop spending in this category for the rest of the month",
        "priority": "Critical",
    }


def test_a_budget_without_spending_alerts_only_at_a_zero_threshold():
    # Nothing spent: 0.00 %, projected 0.00. Only "utilization >= threshold" can hold, at 0 %.
    quiet, zero = budget("QUIET", 1, "100.00", 80, "High"), budget("ZERO", 2, "100.00", 0, "High")
    alerts = budget_alerts(MARCH_10, [quiet, zero], {})
    assert [(a.alert_id, a.alert_severity, a.actual_amount, a.daily_limit_remaining) for a in alerts] == [
        ("ZERO", "HIGH", Decimal("0"), Decimal("4.76"))  # 100 / 21 = 4.7619...
    ]


def test_last_day_of_the_month_has_no_daily_limit():
    (alert,) = budget_alerts(date(2026, 3, 31), [budget("A", 1, "200.00", 80, "High")], {1: Decimal("180.00")})
    assert (alert.days_remaining, alert.daily_limit_remaining, alert.to_json()["daily_limit_remaining"]) == (0, None, None)
    # 180 / 200 = 90.00 % >= 80; on the 31st the projection is what was spent.
    assert (alert.utilization_pct, alert.projected_month_end, alert.alert_severity) == (
        Decimal("90.00"), Decimal("180.00"), "HIGH")


def test_rounding_is_postgresql_numeric_half_away_from_zero():
    # 2026-04-10: April has 30 days, 20 remain.
    april_10 = date(2026, 4, 10)
    tight = budget("TIGHT", 1, "100.00", 100, "High", month=4)
    (alert,) = budget_alerts(april_10, [tight], {1: Decimal("100.90")})
    # (100.00 - 100.90) / 20 = -0.045: half away from zero is -0.05; Python's float round and
    # banker's rounding both give -0.04.
    assert round(-0.90 / 20, 2) == -0.04
    assert alert.daily_limit_remaining == Decimal("-0.05")

    low = budget("LOW", 2, "400.00", 4, "Low", month=4)
    (alert,) = budget_alerts(april_10, [low], {2: Decimal("16.50")})
    # 16.50 / 400 * 100 = 4.125 -> 4.13 (float and banker's: 4.12), >= 4 % threshold -> HIGH.
    assert round(16.50 / 400 * 100, 2) == 4.12
    assert (alert.utilization_pct, alert.alert_severity) == (Decimal("4.13"), "HIGH")


def test_a_quotient_is_rounded_at_postgresqls_division_scale_first():
    # PostgreSQL: 220.70 / 24 = 9.1958333333333333 (16 significant decimals), * 30 =
    # 275.8749999999999990, so the function prints 275.87 where exact arithmetic gives 275.88.
    assert numeric_div(Decimal("220.70"), 24) == Decimal("9.1958333333333333")
    (alert,) = budget_alerts(date(2026, 4, 24), [budget("EAT", 4, "250.00", 90, "Medium", month=4)],
                             {4: Decimal("220.70")})
    assert alert.projected_month_end == Decimal("275.87")
    # 220.70 / 250 = 88.28 % < 90, projected over the budget -> MEDIUM; 29.30 / 6 = 4.8833 -> 4.88.
    assert (alert.utilization_pct, alert.alert_severity, alert.daily_limit_remaining) == (
        Decimal("88.28"), "MEDIUM", Decimal("4.88"))


@pytest.mark.parametrize(("value", "rounded"), [
    ("2.345", "2.35"), ("-2.345", "-2.35"), ("0.125", "0.13"), ("-0.005", "-0.01"), ("2.3449", "2.34"),
])
def test_round2_is_half_away_from_zero(value, rounded):
    assert round2(Decimal(value)) == Decimal(rounded)


def test_a_month_only_in_another_currency_is_reported_under_that_currency():
    day = date(2026, 4, 10)
    sections = finance_sections([day], [flow(date(2026, 4, 2), "EUR", "Expense", 1, "12.50")], [], "PLN")
    document = sections[day].to_json()
    # Nothing in PLN this month: the primary figures are 0, and the EUR spending is not lost.
    assert (document["currency"], document["mtd_net"]) == ("PLN", 0.0)
    assert document["by_currency"] == {
        "EUR": {"mtd_income": 0.0, "mtd_expense": 12.5, "mtd_net": -12.5, "transactions": 1}
    }
