"""The finance forecast as of a day: where the month's money is heading, and when each budget runs out.

Pure functions over the rows the finance reader already unpacks, in the primary currency
(other currencies are neither converted nor projected). A value as of D uses only rows dated
up to D, and a value that cannot be computed is null beside a short `<key>_reason`:

  * days_remaining = days_in_month - day_of_month.
  * spending_30d = Expense in D-29..D; spending_prev_30d = Expense in D-59..D-30;
    spending_change_pct = round((spending_30d - spending_prev_30d) * 100 / spending_prev_30d, 2),
    null when spending_prev_30d is 0.
  * projected_income = max(mtd_income, previous calendar month's income): income is never
    extrapolated by pace (a salary arrives once a month), and a salary not yet paid this
    month is expected as large as last month's.
  * projected_expense = round(mtd_expense + max(spending_30d - spending_30d_planned, 0)
    * days_remaining / 30 + planned_expenses_remaining, 2): the rest of the month spends at
    the pace of the last 30 days, not of the month so far, so a rent paid on the 1st is
    spread over a month instead of multiplied by the days in it; the bills of the person's
    expense calendar still to come this month are added as themselves, and the planned ones
    already paid within the 30 days are taken out of the pace (core/finance/planned.py).
    Without the calendar (not there, or not readable) both are 0 and planned_expenses is
    null beside its reason.
  * month_end_net_projected = projected_income - projected_expense; null when the primary
    currency has no Income or Expense at all from finance_lookback_start(D) to D.
  * budgets: each active Expense budget of D's month with an amount > 0 (the alerts' budgets),
    actual = its category's Expense from the 1st to D in every currency (as the alerts):
    `over` when actual >= amount, runs_out_on = the day the month's cumulative spend first
    reached it; else at the month-to-date pace (actual / day_of_month a day) it reaches the
    amount on day n = ceil(amount * day_of_month / actual): `runs_out` on that day when
    n <= days_in_month, otherwise `lasts` (runs_out_on null; also when nothing is spent yet).
    A `Fixed` budget (budget_type; rent) is a lump sum paid once, never spent at a pace:
    `paid` when actual >= amount, else `due` (runs_out_on null for both).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar, Literal

from twin_pipeline.core.finance.planned import NOT_READ, SPENDING_WINDOW_DAYS, ExpenseCalendar, PlannedExpenses
from twin_pipeline.core.finance.section import FIXED, Budget, DailyFlow, days_in_month
from twin_pipeline.core.forecasting import Implausible, ceil_div, with_reason
from twin_pipeline.core.sections import ZERO, iso, money, numeric_div, round2


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month_start(day: date) -> date:
    return _month_start(_month_start(day) - timedelta(days=1))


def finance_lookback_start(first_day: date) -> date:
    """The earliest transaction date the forecasts of first_day and later days read: the
    60 days ending first_day (30 against the 30 before) and the whole previous month."""
    return min(first_day - timedelta(days=2 * SPENDING_WINDOW_DAYS - 1), _previous_month_start(first_day))


@dataclass(frozen=True, slots=True)
class BudgetRunout:
    budget_id: str
    category_path: str | None
    budget_amount: Decimal
    actual_amount: Decimal
    status: Literal["over", "runs_out", "lasts", "paid", "due"]
    runs_out_on: date | None
    reason: str | None = None

    def to_json(self) -> dict:
        return {
            "budget_id": self.budget_id,
            "category_path": self.category_path,
            "budget_amount": money(self.budget_amount),
            "actual_amount": money(self.actual_amount),
            "status": self.status,
            **with_reason("runs_out_on", iso(self.runs_out_on), self.reason),
        }


def budget_runout(day: date, budget: Budget, actual: Decimal, reached_on: date | None) -> BudgetRunout:
    """Where one budget of D's month stands at the month-to-date pace; reached_on is the day
    the month's cumulative spend first reached the amount (None if it has not)."""

    def runout(status: str, on: date | None, reason: str | None = None) -> BudgetRunout:
        return BudgetRunout(budget.budget_id, budget.category_path, budget.amount, actual, status, on, reason)

    if budget.budget_type == FIXED:
        # A lump sum (rent) reaching its amount is the bill paid, not an overspend, and a
        # part of it paid early says nothing about a pace.
        if actual >= budget.amount:
            return runout("paid", None, f"fixed budget paid in full on {iso(reached_on)}")
        return runout("due", None, "fixed budget not paid in full yet (paid once, not at a pace)")
    if actual >= budget.amount:
        return runout("over", reached_on)
    if actual <= 0:
        return runout("lasts", None, "nothing spent this month yet")
    runs_out_day = ceil_div(budget.amount * day.day, actual)
    if runs_out_day <= days_in_month(day):
        return runout("runs_out", day.replace(day=runs_out_day))
    return runout("lasts", None, "lasts the month at this pace")


@dataclass(frozen=True, slots=True)
class FinanceForecast:
    as_of: date
    currency: str
    mtd_income: Decimal
    mtd_expense: Decimal
    previous_month_income: Decimal
    spending_30d: Decimal
    spending_prev_30d: Decimal
    has_flows: bool
    budgets: tuple[BudgetRunout, ...] = ()
    planned: PlannedExpenses | None = None  # None: the expense calendar could not be read
    planned_reason: str | None = None

    checks: ClassVar[tuple[str, ...]] = ()
    implausible: ClassVar[frozenset[Implausible]] = frozenset()

    @property
    def days_remaining(self) -> int:
        return days_in_month(self.as_of) - self.as_of.day

    @property
    def projected_income(self) -> Decimal | None:
        return max(self.mtd_income, self.previous_month_income) if self.has_flows else None

    @property
    def projected_expense(self) -> Decimal | None:
        if not self.has_flows:
            return None
        planned = self.planned or PlannedExpenses((), ZERO)
        pace = max(self.spending_30d - planned.in_pace, ZERO)
        rest = numeric_div(pace * self.days_remaining, SPENDING_WINDOW_DAYS)
        return round2(self.mtd_expense + rest + planned.remaining_total)

    @property
    def month_end_net_projected(self) -> Decimal | None:
        return None if not self.has_flows else self.projected_income - self.projected_expense

    @property
    def spending_change_pct(self) -> Decimal | None:
        if self.spending_prev_30d == 0:
            return None
        return round2(numeric_div((self.spending_30d - self.spending_prev_30d) * 100, self.spending_prev_30d))

    def _planned_json(self) -> dict:
        planned, reason = self.planned, self.planned_reason
        return {
            **with_reason("planned_expenses", None if planned is None else planned.to_json(), reason),
            **with_reason(
                "planned_expenses_remaining", None if planned is None else money(planned.remaining_total), reason
            ),
            "spending_30d_planned": None if planned is None else money(planned.in_pace),
        }

    def to_json(self) -> dict:
        no_flows = f"no {self.currency} income or expense since {iso(finance_lookback_start(self.as_of))}"
        return {
            "currency": self.currency,
            **with_reason("month_end_net_projected", money(self.month_end_net_projected), no_flows),
            "projected_income": money(self.projected_income),
            "projected_expense": money(self.projected_expense),
            "days_remaining": self.days_remaining,
            "spending_30d": money(self.spending_30d),
            "spending_prev_30d": money(self.spending_prev_30d),
            **with_reason(
                "spending_change_pct", money(self.spending_change_pct), "nothing spent in the 30 days before"
            ),
            "budgets": [runout.to_json() for runout in self.budgets],
            **self._planned_json(),
        }


def finance_forecasts(
    days: Iterable[date],
    flows: Iterable[DailyFlow],
    budgets: Iterable[Budget],
    currency: str,
    calendar: ExpenseCalendar = NOT_READ,
) -> dict[date, FinanceForecast]:
    """The finance forecast of each day, from the flows from finance_lookback_start(first day)
    to the last day, the budgets of the days' months and the expense calendar's rows dated
    within calendar_read_window(first day, last day). One walk over the calendar."""
    wanted = sorted(set(days))
    if not wanted:
        return {}
    start, last = finance_lookback_start(wanted[0]), wanted[-1]
    span = (last - start).days + 1
    income, expense = [ZERO] * span, [ZERO] * span
    spent_by_day: dict[date, list[tuple[int, Decimal]]] = defaultdict(list)
    for flow in flows:
        if not start <= flow.day <= last:
            continue
        if flow.currency == currency:
            (income if flow.type == "Income" else expense)[(flow.day - start).days] += flow.amount
        if flow.type != "Income" and flow.category_id is not None:
            spent_by_day[flow.day].append((flow.category_id, flow.amount))
    # Running sums: the total of days start..start+i-1 is at position i (flowing: days with money moved).
    income_sum, expense_sum, flowing = [ZERO], [ZERO], [0]
    for i in range(span):
        income_sum.append(income_sum[-1] + income[i])
        expense_sum.append(expense_sum[-1] + expense[i])
        flowing.append(flowing[-1] + (income[i] != 0 or expense[i] != 0))

    def total(sums: list, first: date, through: date) -> Decimal:
        return sums[(through - start).days + 1] - sums[(first - start).days]

    budgets_by_month: dict[tuple[int, int], list[Budget]] = defaultdict(list)
    for budget in budgets:
        if budget.amount > 0:
            budgets_by_month[(budget.year, budget.month)].append(budget)

    forecasts = {}
    wanted_set = set(wanted)
    day = _month_start(wanted[0])
    spent: dict[int, Decimal] = {}
    reached: dict[str, date] = {}
    while day <= last:
        if day.day == 1:
            spent, reached = {}, {}
        month_budgets = budgets_by_month.get((day.year, day.month), ())
        for category_id, amount in spent_by_day.get(day, ()):
            spent[category_id] = spent.get(category_id, ZERO) + amount
        for budget in month_budgets:
            if budget.budget_id not in reached and spent.get(budget.category_id, ZERO) >= budget.amount:
                reached[budget.budget_id] = day
        if day in wanted_set:
            runouts = [
                budget_runout(day, b, spent.get(b.category_id, ZERO), reached.get(b.budget_id))
                for b in month_budgets
            ]
            runouts.sort(key=lambda r: (r.runs_out_on is None, r.runs_out_on or day, r.budget_id))
            window_start = day - timedelta(days=SPENDING_WINDOW_DAYS - 1)
            previous_start = window_start - timedelta(days=SPENDING_WINDOW_DAYS)
            previous_month = _previous_month_start(day)
            lookback = finance_lookback_start(day)
            forecasts[day] = FinanceForecast(
                as_of=day,
                currency=currency,
                mtd_income=total(income_sum, _month_start(day), day),
                mtd_expense=total(expense_sum, _month_start(day), day),
                previous_month_income=total(income_sum, previous_month, _month_start(day) - timedelta(days=1)),
                spending_30d=total(expense_sum, window_start, day),
                spending_prev_30d=total(expense_sum, previous_start, window_start - timedelta(days=1)),
                has_flows=total(flowing, lookback, day) > 0,
                budgets=tuple(runouts),
                planned=calendar.as_of(day),
                planned_reason=calendar.unavailable,
            )
        day += timedelta(days=1)
    return forecasts


def transaction_forecast_reach(changed: date) -> date:
    """The last day whose forecast reads a transaction dated `changed`: the two 30-day windows,
    and "last month's income" of every day of the next month."""
    next_month = _month_start(_month_start(changed) + timedelta(days=31))
    next_month_end = next_month.replace(day=days_in_month(next_month))
    return max(changed + timedelta(days=2 * SPENDING_WINDOW_DAYS - 1), next_month_end)


def budget_forecast_reach(changed: date) -> date:
    """The last day whose forecast reads a budget of `changed`'s month: that month's end."""
    return changed.replace(day=days_in_month(changed))
