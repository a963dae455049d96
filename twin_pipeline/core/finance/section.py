"""Finance as of a day: month-to-date cashflow per currency and the budget alerts of D's month.

The rules are the data contract's (docs/contract.md), computed in Decimal so every figure equals what the
person's own SQL function prints for the same day.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from twin_pipeline.core.sections import ZERO, iso, money, numeric_div, round2

# budget_type of a lump sum paid once a month (rent): paid, not spent at a pace.
FIXED = "Fixed"

RECOMMENDED_ACTIONS = {
    "CRITICAL": "Budget exceeded: stop spending in this category for the rest of the month",
    "HIGH": "Alert threshold reached: keep spending under the daily limit remaining",
    "MEDIUM": "On pace to exceed the budget by month end: slow down",
}
PRIORITY_ORDER = {"Critical": 1, "High": 2, "Medium": 3}


@dataclass(frozen=True, slots=True)
class DailyFlow:
    """Sum of one day's Income or Expense transactions for a currency and category."""

    day: date
    currency: str
    type: str  # Income | Expense (Transfer never reaches the core)
    category_id: int | None
    amount: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class Budget:
    budget_id: str
    year: int
    month: int
    category_id: int
    category_path: str | None
    amount: Decimal
    alert_threshold: int | None
    priority: str | None
    budget_type: str | None = None  # Fixed | Variable | Flexible (docs/contract.md); None reads as Variable


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    """One row of get_current_budget_alerts(), as it reads on a given day."""

    alert_id: str
    alert_severity: str
    category_path: str | None
    budget_amount: Decimal
    actual_amount: Decimal
    utilization_pct: Decimal
    alert_threshold: int | None
    projected_month_end: Decimal
    days_remaining: int
    daily_limit_remaining: Decimal | None
    recommended_action: str
    priority: str | None

    def to_json(self) -> dict:
        return {
            "alert_id": self.alert_id,
            "alert_severity": self.alert_severity,
            "category_path": self.category_path,
            "budget_amount": money(self.budget_amount),
            "actual_amount": money(self.actual_amount),
            "utilization_pct": money(self.utilization_pct),
            "alert_threshold": self.alert_threshold,
            "projected_month_end": money(self.projected_month_end),
            "days_remaining": self.days_remaining,
            "daily_limit_remaining": money(self.daily_limit_remaining),
            "recommended_action": self.recommended_action,
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    income: Decimal = ZERO
    expense: Decimal = ZERO
    transactions: int = 0

    @property
    def net(self) -> Decimal:
        return self.income - self.expense

    def to_json(self) -> dict:
        return {
            "mtd_income": money(self.income),
            "mtd_expense": money(self.expense),
            "mtd_net": money(self.net),
            "transactions": self.transactions,
        }


@dataclass(frozen=True, slots=True)
class FinanceSection:
    as_of: date
    currency: str
    totals: dict[str, CurrencyTotals]
    alerts: list[BudgetAlert] = field(default_factory=list)

    @property
    def primary(self) -> CurrencyTotals:
        return self.totals.get(self.currency, CurrencyTotals())

    def to_json(self) -> dict:
        document = {
            "as_of": iso(self.as_of),
            "status": "ok",
            "error": None,
            "currency": self.currency,
            **{k: v for k, v in self.primary.to_json().items() if k != "transactions"},
            "transactions_mtd": sum(t.transactions for t in self.totals.values()),
            "active_budget_alerts": len(self.alerts),
            "alerts": [alert.to_json() for alert in self.alerts],
        }
        # Per currency where more than one occurs, or where the only one is not the primary
        # (a month of EUR only must not read as 0 PLN and lose the EUR).
        if len(self.totals) > 1 or (self.totals and self.currency not in self.totals):
            document["by_currency"] = {
                currency: totals.to_json() for currency, totals in sorted(self.totals.items())
            }
        return document


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def budget_alerts(day: date, budgets: Iterable[Budget], spent: dict[int, Decimal]) -> list[BudgetAlert]:
    """The contract's budget-alert rules for day D, given each category's Expense total
    from the first of D's month to D."""
    month_days = days_in_month(day)
    days_remaining = month_days - day.day
    alerts = []
    for budget in budgets:
        if (budget.year, budget.month) != (day.year, day.month) or budget.amount <= 0:
            continue
        actual = spent.get(budget.category_id, ZERO)
        utilization = round2(numeric_div(actual, budget.amount) * 100)
        projected = round2(numeric_div(actual, day.day) * month_days)
        if utilization >= 100:
            severity = "CRITICAL"
        elif budget.alert_threshold is not None and utilization >= budget.alert_threshold:
            severity = "HIGH"
        elif projected > budget.amount:
            severity = "MEDIUM"
        else:
            continue  # LOW is never an alert
        alerts.append(
            BudgetAlert(
                alert_id=budget.budget_id,
                alert_severity=severity,
                category_path=budget.category_path,
                budget_amount=budget.amount,
                actual_amount=actual,
                utilization_pct=utilization,
                alert_threshold=budget.alert_threshold,
                projected_month_end=projected,
                days_remaining=days_remaining,
                daily_limit_remaining=(
                    round2(numeric_div(budget.amount - actual, days_remaining)) if days_remaining else None
                ),
                recommended_action=RECOMMENDED_ACTIONS[severity],
                priority=budget.priority,
            )
        )
    alerts.sort(key=lambda a: (PRIORITY_ORDER.get(a.priority, 4), -a.utilization_pct, a.alert_id))
    return alerts


def finance_sections(
    days: Iterable[date],
    flows: Iterable[DailyFlow],
    budgets: Iterable[Budget],
    currency: str,
) -> dict[date, FinanceSection]:
    """Finance as of each requested day, from the flows of the first of the earliest
    requested month through the last requested day.

    One pass over the calendar, resetting the running totals at each month start, so
    a ten-year range costs the same per day as a single day.
    """
    wanted = sorted(set(days))
    if not wanted:
        return {}
    by_day: dict[date, list[DailyFlow]] = defaultdict(list)
    for flow in flows:
        by_day[flow.day].append(flow)
    budgets_by_month: dict[tuple[int, int], list[Budget]] = defaultdict(list)
    for budget in budgets:
        budgets_by_month[(budget.year, budget.month)].append(budget)

    sections: dict[date, FinanceSection] = {}
    wanted_set = set(wanted)
    day = wanted[0].replace(day=1)
    # Running month-to-date sums: currency -> [income, expense, count], category -> spent.
    running: dict[str, list] = {}
    spent: dict[int, Decimal] = {}
    while day <= wanted[-1]:
        if day.day == 1:
            running, spent = {}, {}
        for flow in by_day.get(day, ()):
            sums = running.setdefault(flow.currency, [ZERO, ZERO, 0])
            sums[0 if flow.type == "Income" else 1] += flow.amount
            sums[2] += flow.count
            if flow.type != "Income" and flow.category_id is not None:
                spent[flow.category_id] = spent.get(flow.category_id, ZERO) + flow.amount
        if day in wanted_set:
            sections[day] = FinanceSection(
                as_of=day,
                currency=currency,
                totals={c: CurrencyTotals(*sums) for c, sums in running.items()},
                alerts=budget_alerts(day, budgets_by_month.get((day.year, day.month), ()), spent),
            )
        day += timedelta(days=1)
    return sections
