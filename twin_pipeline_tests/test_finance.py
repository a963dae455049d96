"""Finance as of a day, on crafted rows in a real PostgreSQL: month-to-date net and budget alerts."""

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from twin_pipeline.core.finance.section import Budget, budget_alerts
from twin_pipeline_tests.conftest import execute, materialize_days, states_of

CATEGORIES = [
    (1, "Food", "Groceries", "Expense"),
    (2, "Income", "Salary", "Income"),
    (3, "Transfer", "Savings", "Transfer"),
    (4, "Food", "Eating Out", "Expense"),
    (5, "Transport", "Fuel", "Expense"),
    (6, "Health", "Pharmacy", "Expense"),
]


def _transactions(rows):
    return [
        {"id": f"T{i}", "d": d, "type": t, "amount": a, "cur": c, "cat": cat}
        for i, (d, t, a, c, cat) in enumerate(rows)
    ]


INSERT_TRANSACTION = (
    "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, merchant_source, category_id) "
    "VALUES (:id, :d, :type, :amount, :cur, 'test', :cat)"
)
INSERT_BUDGET = (
    "INSERT INTO budgets (budget_id, budget_year, budget_month, type, category_id, budget_amount, "
    "alert_threshold, priority, is_active) VALUES (:id, :y, :m, 'Expense', :cat, :amount, :threshold, :priority, :active)"
)


@pytest.fixture(scope="module")
def march(sources):
    """Crafted rows around March 2026, materialized 2026-02-27 .. 2026-03-06 in one run."""
    execute(
        sources.finance,
        "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) VALUES (:i, :n, :s, :t)",
        [{"i": i, "n": n, "s": s, "t": t} for i, n, s, t in CATEGORIES],
    )
    execute(
        sources.finance,
        INSERT_TRANSACTION,
        _transactions(
            [
                (date(2026, 2, 28), "Expense", "50.00", "PLN", 1),
                (date(2026, 3, 1), "Income", "1000.00", "PLN", 2),
                (date(2026, 3, 2), "Expense", "120.55", "PLN", 1),
                (date(2026, 3, 2), "Expense", "30.00", "PLN", 6),
                (date(2026, 3, 3), "Transfer", "500.00", "PLN", 3),
                (date(2026, 3, 3), "Expense", "10.10", "EUR", 4),
                (date(2026, 3, 4), "Expense", "45.00", "PLN", 5),
                (date(2026, 3, 5), "Expense", "99.45", "PLN", 1),
                (date(2026, 3, 6), "Income", "20.00", "EUR", 2),
                (date(2026, 4, 1), "Expense", "77.00", "PLN", 1),
            ]
        ),
    )
    budgets = [
        ("B-GROC", 1, "250.00", 80, "High", True),
        ("B-EAT", 4, "300.00", 90, "Medium", True),
        ("B-FUEL", 5, "40.00", 100, "Critical", True),
        ("B-PHARM", 6, "100.00", 90, "Low", True),
        ("B-OFF", 1, "1.00", 10, "Critical", False),  # inactive: never an alert
    ]
    execute(
        sources.finance,
        INSERT_BUDGET,
        [
            {"id": b, "y": 2026, "m": 3, "cat": c, "amount": a, "threshold": t, "priority": p, "active": act}
            for b, c, a, t, p, act in budgets
        ],
    )
    materialize_days(sources, date(2026, 2, 27), date(2026, 3, 6))
    return states_of(sources, [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 5)])


def test_month_to_date_net_per_currency_with_transfers_excluded(march):
    states = march

    february = states[("finance", "2026-02-28")]
    assert (february["mtd_income"], february["mtd_expense"], february["mtd_net"]) == (0.0, 50.0, -50.0)

    first = states[("finance", "2026-03-01")]  # the month boundary resets the totals
    assert (first["mtd_income"], first["mtd_expense"], first["mtd_net"]) == (1000.0, 0.0, 1000.0)
    assert "by_currency" not in first

    fifth = states[("finance", "2026-03-05")]
    assert fifth["currency"] == "PLN"
    assert (fifth["mtd_income"], fifth["mtd_expense"], fifth["mtd_net"]) == (1000.0, 295.0, 705.0)
    assert fifth["by_currency"]["EUR"] == {
        "mtd_income": 0.0, "mtd_expense": 10.1, "mtd_net": -10.1, "transactions": 1,
    }
    assert fifth["transactions_mtd"] == 6  # the Transfer is not counted
    assert fifth["status"] == "ok" and fifth["error"] is None and fifth["as_of"] == "2026-03-05"


def test_budget_alerts_of_a_past_day_follow_the_contract(march):
    fifth = march[("finance", "2026-03-05")]
    assert fifth["active_budget_alerts"] == 3
    assert fifth["alerts"] == [
        {
            "alert_id": "B-FUEL", "alert_severity": "CRITICAL", "category_path": "Transport > Fuel",
            "budget_amount": 40.0, "actual_amount": 45.0, "utilization_pct": 112.5, "alert_threshold": 100,
            "projected_month_end": 279.0, "days_remaining": 26, "daily_limit_remaining": -0.19,
            "recommended_action": "Budget exceeded: stop spending in this category for the rest of the month",
            "priority": "Critical",
        },
        {
            "alert_id": "B-GROC", "alert_severity": "HIGH", "category_path": "Food > Groceries",
            "budget_amount": 250.0, "actual_amount": 220.0, "utilization_pct": 88.0, "alert_threshold": 80,
            "projected_month_end": 1364.0, "days_remaining": 26, "daily_limit_remaining": 1.15,
            "recommended_action": "Alert threshold reached: keep spending under the daily limit remaining",
            "priority": "High",
        },
        {
            "alert_id": "B-PHARM", "alert_severity": "MEDIUM", "category_path": "Health > Pharmacy",
            "budget_amount": 100.0, "actual_amount": 30.0, "utilization_pct": 30.0, "alert_threshold": 90,
            "projected_month_end": 186.0, "days_remaining": 26, "daily_limit_remaining": 2.69,
            "recommended_action": "On pace to exceed the budget by month end: slow down",
            "priority": "Low",
        },
    ]


def test_last_day_of_month_has_no_daily_limit():
    from decimal import Decimal

    budget = Budget("B", 2024, 2, 1, "A > B", Decimal("100"), 80, "High")
    (alert,) = budget_alerts(date(2024, 2, 29), [budget], {1: Decimal("99.995")})
    assert alert.days_remaining == 0 and alert.daily_limit_remaining is None
    assert alert.utilization_pct == Decimal("100.00")  # 99.995 % rounds half away from zero
    assert alert.alert_severity == "CRITICAL"


def test_alerts_equal_get_current_budget_alerts_for_today(sources, march):
    with sources.finance.connect() as conn:
        today = conn.execute(text("SELECT CURRENT_DATE")).scalar_one()
    month_start = today.replace(day=1)
    execute(
        sources.finance,
        INSERT_TRANSACTION,
        [
            {"id": f"NOW{i}", "d": month_start + timedelta(days=i % today.day), "type": "Expense",
             "amount": f"{17.37 * (i + 1):.2f}", "cur": "PLN" if i % 3 else "EUR", "cat": 1 + (i % 6)}
            for i in range(24)
        ],
    )
    execute(
        sources.finance,
        INSERT_BUDGET,
        [
            {"id": f"NOW-{c}", "y": today.year, "m": today.month, "cat": c, "amount": a, "threshold": t,
             "priority": p, "active": True}
            for c, a, t, p in [(1, "700", 80, "High"), (4, "50", 90, "Critical"), (5, "300", 100, "Medium"),
                               (6, "123.45", 70, "Low"), (2, "5000", 80, "High")]
        ],
    )
    materialize_days(sources, today)
    twin = states_of(sources, [today])[("finance", today.isoformat())]["alerts"]
    with sources.finance.connect() as conn:
        function_rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM get_current_budget_alerts()"))]
    money = ("budget_amount", "actual_amount", "utilization_pct", "projected_month_end", "daily_limit_remaining")
    expected = [
        {k: (None if v is None else float(v)) if k in money else v for k, v in row.items()} for row in function_rows
    ]
    assert len(expected) >= 2
    assert twin == expected
