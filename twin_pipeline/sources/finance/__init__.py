"""autonomous_finance: month-to-date money and the month's budget alerts as of each day."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Connection

from twin_pipeline.core.changes import rest_of_month, with_reach
from twin_pipeline.core.finance.forecast import (
    budget_forecast_reach,
    finance_forecasts,
    finance_lookback_start,
    transaction_forecast_reach,
)
from twin_pipeline.core.finance.planned import (
    CalendarRow,
    ExpenseCalendar,
    calendar_read_window,
    calendar_stale_days,
)
from twin_pipeline.core.finance.section import Budget, DailyFlow, finance_sections
from twin_pipeline.core.forecasting import implausible_counts
from twin_pipeline.core.notable import WatchedMetric
from twin_pipeline.core.sections import round2
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources.contract import ContractObject, contract_gaps
from twin_pipeline.sources.spec import CheckOutcome, SourceRead, SourceSpec, WatchedTable, Window


# The person's planned expenses (CONTRACT.md): optional, so not `used` (a database without it
# is only reported by the contract check, and the forecasts are made without it).
EXPENSE_CALENDAR = ContractObject(
    "table", "expense_calendar", ("name", "expense_date", "amount", "currency", "is_paid", "created_at"))


def windows(days: list[date], settings: TwinSettings, calendar_read: bool = True) -> list[Window]:
    last = days[-1].isoformat()
    found = [
        ("finance.transactions", finance_lookback_start(days[0]).isoformat(), last),
        ("finance.budgets", days[0].replace(day=1).isoformat(), last),
    ]
    if calendar_read:
        first_planned, last_planned = calendar_read_window(days[0], days[-1])
        found.append(("finance.expense_calendar", first_planned.isoformat(), last_planned.isoformat()))
    return found


def calendar_unavailable(spec: SourceSpec, conn: Connection) -> str | None:
    """Why the expense calendar cannot be read (None when it can), checked before reading so
    that a missing grant never fails the snapshot's transaction."""
    present, readable = conn.execute(spec.sql("expense_calendar_readable")).one()
    if not present:
        return "no expense_calendar table in the finance database: month end without planned expenses"
    missing = [gap.description for gap in contract_gaps(conn, (EXPENSE_CALENDAR,))]
    if missing:
        return f"the finance database's expense_calendar lacks {', '.join(missing)}: month end without planned expenses"
    if not readable:
        return (
            "the finance login may not read expense_calendar (grant SELECT on it, sql/roles/twin_reader.sql): "
            "month end without planned expenses"
        )
    return None


def read(spec: SourceSpec, conn: Connection, days: list[date], settings: TwinSettings) -> SourceRead:
    # Columns come in the dataclasses' field order (see the .sql files).
    bounds = {"start": days[0], "end": days[-1]}
    lookback = {"lookback": finance_lookback_start(days[0]), "currency": settings.currency}
    flows = [DailyFlow(*row) for row in conn.execute(spec.sql("daily_flows"), {**bounds, **lookback})]
    budgets = [Budget(*row) for row in conn.execute(spec.sql("budgets"), bounds)]
    unavailable = calendar_unavailable(spec, conn)
    if unavailable is None:
        first_planned, last_planned = calendar_read_window(days[0], days[-1])
        planned = conn.execute(
            spec.sql("planned_expenses"), {"first": first_planned, "last": last_planned, "currency": settings.currency}
        )
        calendar = ExpenseCalendar.read((CalendarRow(*row) for row in planned), settings.today())
    else:
        calendar = ExpenseCalendar(unavailable=unavailable)
    sections = finance_sections(days, flows, budgets, settings.currency)
    forecasts = finance_forecasts(days, flows, budgets, settings.currency, calendar)
    return SourceRead(
        [{**sections[day].to_json(), "forecast": forecasts[day].to_json()} for day in days],
        len(flows) + len(budgets) + len(calendar.rows),
        spec.fingerprints(conn, windows(days, settings, calendar_read=unavailable is None), settings.timezone),
        implausible_counts(forecasts.values()),
    )


def reconcile(spec: SourceSpec, conn: Connection, documents: list[dict], settings: TwinSettings) -> CheckOutcome:
    """Sum the month straight from the source (SQL) and compare with the last day's section
    (Python over daily flows): two code paths that must agree."""
    last = documents[-1]
    rows = conn.execute(spec.sql("checks/month_totals"), {"day": last["as_of"], "currency": settings.currency})
    source = {c: (float(round2(i)), float(round2(e))) for c, i, e in rows}
    twin = last.get("by_currency") or {last["currency"]: last}
    computed = {c: (t["mtd_income"], t["mtd_expense"]) for c, t in twin.items() if t["mtd_income"] or t["mtd_expense"]}
    mismatches = {c: (computed.get(c), source.get(c)) for c in set(source) | set(computed) if computed.get(c) != source.get(c)}
    return CheckOutcome(
        "reconciles_with_source",
        not mismatches,
        {"as_of": last["as_of"], "mismatches (twin, source)": json.dumps(mismatches) if mismatches else "none"},
    )


SPEC = SourceSpec(
    name="finance",
    entity_type="finance",
    database="autonomous_finance",
    package=__name__,
    description=(
        "Money as of each day: month-to-date income, spending and net per currency "
        "(Transfers excluded) and the budget alerts of that month as they read on that day, "
        "from autonomous_finance."
    ),
    contract=(
        ContractObject("table", "categories", ("category_id", "category_name", "subcategory_name", "category_type"), True),
        ContractObject(
            "table", "transactions",
            ("transaction_id", "transaction_date", "type", "amount", "currency", "category_id", "updated_at"), True,
        ),
        ContractObject(
            "table", "budgets",
            ("budget_id", "budget_year", "budget_month", "type", "category_id", "budget_amount",
             "alert_threshold", "priority", "is_active", "budget_type"), True,
        ),
        ContractObject("table", "accounts"),
        ContractObject("table", "merchants"),
        ContractObject("function", "get_current_budget_alerts"),
        EXPENSE_CALENDAR,
    ),
    watched=(
        # To month end for the month-to-date sums, and on for the forecasts' 30-day windows and
        # the next month's "last month's income".
        WatchedTable("finance.transactions", ("transactions",),
                     with_reach(rest_of_month, transaction_forecast_reach)),
        # A budget bucket is its month's first day: a change restates that whole month (the
        # budgets' runouts read no further).
        WatchedTable("finance.budgets", ("budgets", "categories"), with_reach(rest_of_month, budget_forecast_reach)),
        # A planned bill dated X: planned on the days of X's month before it, and inside the
        # 30-day pace of the 30 days from X.
        WatchedTable("finance.expense_calendar", ("expense_calendar",), calendar_stale_days),
    ),
    read=read,
    windows=windows,
    plotted=("mtd_net", "mtd_income", "mtd_expense", "active_budget_alerts",
             "forecast.month_end_net_projected", "forecast.spending_30d", "forecast.spending_change_pct"),
    # The day's spending: the month-to-date expense's increase, against the same weekdays
    # (rent, the weekend's shop); only more than usual is news.
    watched_metrics=(
        WatchedMetric("finance.spending", "mtd_expense", "Spending today", resolution=0.01, money=True,
                      month_to_date=True, weekly=True, side="above"),
    ),
    migrations={"finance": "migrations"},
    reconcile=reconcile,
    reconcile_description="The last day's month-to-date income and expense equal the source's own totals, to the cent.",
)
