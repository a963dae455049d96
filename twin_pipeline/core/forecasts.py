"""Trends and forecasts as of a day: where the month's money, the body and the pantry are heading.

Pure functions over the rows the readers already unpack. A value as of D uses only rows
dated up to D (pantry: versions valid before the end of D in the person's time zone), and
a value that cannot be computed is null beside a short `<key>_reason`. The rules:

Finance (`forecast`, in the primary currency; other currencies are neither converted nor projected)
  * days_remaining = days_in_month - day_of_month.
  * spending_30d = Expense in D-29..D; spending_prev_30d = Expense in D-59..D-30;
    spending_change_pct = round((spending_30d - spending_prev_30d) * 100 / spending_prev_30d, 2),
    null when spending_prev_30d is 0.
  * projected_income = max(mtd_income, previous calendar month's income): income is never
    extrapolated by pace (a salary arrives once a month), and a salary not yet paid this
    month is expected as large as last month's.
  * projected_expense = round(mtd_expense + spending_30d * days_remaining / 30, 2): the rest of
    the month spends at the pace of the last 30 days, not of the month so far, so a rent
    paid on the 1st is spread over a month instead of multiplied by the days in it.
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

Health (`trends`)
  * weight_trend_kg_per_week = round(7 * least-squares slope, 2) of bodyweight_kg against
    the day, over the measurements in D-27..D; null with fewer than 3, and null when two
    consecutive ones change by more than 5 kg a day (implausible; counted).
  * workouts_per_week_4w = workouts in D-27..D / 4.
  * weekly_target_streak: weeks are Monday..Sunday. D's own week counts when its workouts up to
    D already reach TWIN_WEEKLY_WORKOUT_TARGET (a week in progress that has not reached it
    yet breaks nothing); from there (or from the week before) back, the number of
    consecutive weeks each reaching the target, capped at 52 (`weekly_target_streak_capped`),
    so any day needs at most 52 weeks of workouts before its own week.

Pantry (`forecast`, per category in the pantry at the end of D)
  * The window is the 28 local days D-27..D: from local midnight starting D-27 to local
    midnight ending D in TWIN_TIMEZONE (a DST day is 23 or 25 hours; a day is a day).
  * consumed_28d = sum of the decreases of current_quantity between consecutive versions
    of the category whose change happened in the window (increases are restocks and are
    ignored; a change with an unknown quantity on either side counts 0);
    consumption_per_day = round(consumed_28d / 28, 2).
  * reaches_threshold_on = D + ceil((quantity - critical_threshold) * 28 / consumed_28d) days;
    null when already at or below the threshold, nothing was consumed, or either is unknown.
  * Null for every category when the history capture starts after D-28 (it must know the
    quantity at the window's start), or for one category not in the pantry at the window's
    start (added, or deleted and added again, inside it); null for a category with a
    negative quantity in the window (counted).
"""

from __future__ import annotations

import bisect
import calendar
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar, Literal

from twin_pipeline.core.finance import FIXED, ZERO, Budget, DailyFlow
from twin_pipeline.core.health import Measurement, WorkoutDay
from twin_pipeline.core.pantry import PantryVersion
from twin_pipeline.core.sections import iso, money, numeric_div, round2

SPENDING_WINDOW_DAYS = 30
TREND_WINDOW_DAYS = 28
MIN_WEIGHT_POINTS = 3
MAX_WEIGHT_CHANGE_KG_PER_DAY = Decimal(5)
STREAK_CAP_WEEKS = 52
PANTRY_WINDOW_DAYS = 28

# The plausible_values metadata keys the forecasts' bad inputs count under.
WEIGHT_CHANGE_CHECK = "implausible_weight_changes"
NEGATIVE_QUANTITY_CHECK = "negative_quantities_in_forecast_window"


@dataclass(frozen=True, slots=True)
class Implausible:
    """An input that made a forecast null, named so that the same row seen from many days
    counts once."""

    check: str
    what: str


def _with_reason(key: str, value: object, reason: str | None) -> dict:
    return {key: value, f"{key}_reason": None if value is not None else reason}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month_start(day: date) -> date:
    return _month_start(_month_start(day) - timedelta(days=1))


def _days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _ceil_div(dividend: Decimal, divisor: Decimal) -> int:
    """ceil(dividend / divisor) exactly, for positive operands: Decimal's divmod is exact, where
    a float or a rounded quotient could put a day one off at an exact multiple."""
    whole, rest = divmod(dividend, divisor)
    return int(whole) + (1 if rest else 0)


# Finance


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
            **_with_reason("runs_out_on", iso(self.runs_out_on), self.reason),
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
    runs_out_day = _ceil_div(budget.amount * day.day, actual)
    if runs_out_day <= _days_in_month(day):
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

    checks: ClassVar[tuple[str, ...]] = ()
    implausible: ClassVar[frozenset[Implausible]] = frozenset()

    @property
    def days_remaining(self) -> int:
        return _days_in_month(self.as_of) - self.as_of.day

    @property
    def projected_income(self) -> Decimal | None:
        return max(self.mtd_income, self.previous_month_income) if self.has_flows else None

    @property
    def projected_expense(self) -> Decimal | None:
        if not self.has_flows:
            return None
        rest = numeric_div(self.spending_30d * self.days_remaining, SPENDING_WINDOW_DAYS)
        return round2(self.mtd_expense + rest)

    @property
    def month_end_net_projected(self) -> Decimal | None:
        return None if not self.has_flows else self.projected_income - self.projected_expense

    @property
    def spending_change_pct(self) -> Decimal | None:
        if self.spending_prev_30d == 0:
            return None
        return round2(numeric_div((self.spending_30d - self.spending_prev_30d) * 100, self.spending_prev_30d))

    def to_json(self) -> dict:
        no_flows = f"no {self.currency} income or expense since {iso(finance_lookback_start(self.as_of))}"
        return {
            "currency": self.currency,
            **_with_reason("month_end_net_projected", money(self.month_end_net_projected), no_flows),
            "projected_income": money(self.projected_income),
            "projected_expense": money(self.projected_expense),
            "days_remaining": self.days_remaining,
            "spending_30d": money(self.spending_30d),
            "spending_prev_30d": money(self.spending_prev_30d),
            **_with_reason(
                "spending_change_pct", money(self.spending_change_pct), "nothing spent in the 30 days before"
            ),
            "budgets": [runout.to_json() for runout in self.budgets],
        }


def finance_forecasts(
    days: Iterable[date], flows: Iterable[DailyFlow], budgets: Iterable[Budget], currency: str
) -> dict[date, FinanceForecast]:
    """The finance forecast of each day, from the flows from finance_lookback_start(first day)
    to the last day and the budgets of the days' months. One walk over the calendar."""
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
            )
        day += timedelta(days=1)
    return forecasts


# Health


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def health_lookback_start(first_day: date) -> date:
    """The earliest workout date the trends of first_day and later days read: the 52 weeks
    before first_day's week (the streak's cap). Measurements are read from
    first_day - 27 (TREND_WINDOW_DAYS - 1)."""
    return monday_of(first_day) - timedelta(weeks=STREAK_CAP_WEEKS)


@dataclass(frozen=True, slots=True)
class HealthTrends:
    as_of: date
    weight_trend_kg_per_week: Decimal | None
    weight_trend_reason: str | None
    weight_measurements_28d: int
    workouts_28d: int
    weekly_target: int
    weekly_target_streak: int | None
    implausible: frozenset[Implausible] = frozenset()

    checks: ClassVar[tuple[str, ...]] = (WEIGHT_CHANGE_CHECK,)

    @property
    def workouts_per_week_4w(self) -> Decimal:
        return Decimal(self.workouts_28d) / 4

    def to_json(self) -> dict:
        return {
            **_with_reason("weight_trend_kg_per_week", money(self.weight_trend_kg_per_week), self.weight_trend_reason),
            "weight_measurements_28d": self.weight_measurements_28d,
            "workouts_per_week_4w": money(self.workouts_per_week_4w),
            "weekly_target": self.weekly_target,
            **_with_reason(
                "weekly_target_streak", self.weekly_target_streak, "TWIN_WEEKLY_WORKOUT_TARGET is below 1"
            ),
            "weekly_target_streak_capped": self.weekly_target_streak == STREAK_CAP_WEEKS,
        }


def weight_trend(
    day: date, measurements: Iterable[Measurement]
) -> tuple[Decimal | None, str | None, frozenset[Implausible]]:
    """(kg a week, reason when null, implausible inputs) over the measurements in D-27..D."""
    first = day - timedelta(days=TREND_WINDOW_DAYS - 1)
    points = sorted(
        (m.measurement_date, m.bodyweight_kg)
        for m in measurements
        if first <= m.measurement_date <= day and m.bodyweight_kg is not None
    )
    jumps = frozenset(
        Implausible(WEIGHT_CHANGE_CHECK, f"{iso(d1)} {w1} kg -> {iso(d2)} {w2} kg")
        for (d1, w1), (d2, w2) in zip(points, points[1:])
        if abs(w2 - w1) > MAX_WEIGHT_CHANGE_KG_PER_DAY * (d2 - d1).days
    )
    if jumps:
        shown = min(jumps, key=lambda j: j.what).what
        return None, f"implausible weight change ({shown}, over 5 kg a day)", jumps
    if len(points) < MIN_WEIGHT_POINTS:
        return None, f"fewer than {MIN_WEIGHT_POINTS} measurements in {TREND_WINDOW_DAYS} days", jumps
    n = len(points)
    xs = [(d - day).days for d, _ in points]
    ys = [w for _, w in points]
    sum_x, sum_y = sum(xs), sum(ys)
    slope_numerator = n * sum(x * y for x, y in zip(xs, ys)) - sum_x * sum_y
    slope_denominator = n * sum(x * x for x in xs) - sum_x * sum_x  # > 0: dates are distinct
    return round2(numeric_div(7 * slope_numerator, slope_denominator)), None, jumps


def health_trends(
    days: Iterable[date],
    workouts: Iterable[WorkoutDay],
    measurements: Iterable[Measurement],
    weekly_target: int,
) -> dict[date, HealthTrends]:
    """The health trends of each day, from the workouts from health_lookback_start(first day)
    and the measurements from first day - 27, both through the last day."""
    per_day: dict[date, int] = defaultdict(int)
    for workout in workouts:
        per_day[workout.day] += workout.workouts
    workout_dates = sorted(per_day)
    cumulative = [0]
    for workout_day in workout_dates:
        cumulative.append(cumulative[-1] + per_day[workout_day])

    def workouts_between(first: date, through: date) -> int:
        return cumulative[bisect.bisect_right(workout_dates, through)] - cumulative[
            bisect.bisect_left(workout_dates, first)
        ]

    ordered = sorted(measurements, key=lambda m: m.measurement_date)
    measurement_dates = [m.measurement_date for m in ordered]

    trends = {}
    for day in sorted(set(days)):
        first = day - timedelta(days=TREND_WINDOW_DAYS - 1)
        window = ordered[bisect.bisect_left(measurement_dates, first) : bisect.bisect_right(measurement_dates, day)]
        slope, reason, implausible = weight_trend(day, window)
        trends[day] = HealthTrends(
            as_of=day,
            weight_trend_kg_per_week=slope,
            weight_trend_reason=reason,
            weight_measurements_28d=sum(1 for m in window if m.bodyweight_kg is not None),
            workouts_28d=workouts_between(first, day),
            weekly_target=weekly_target,
            weekly_target_streak=_streak(day, weekly_target, workouts_between),
            implausible=implausible,
        )
    return trends


def _streak(day: date, target: int, workouts_between: Callable[[date, date], int]) -> int | None:
    if target < 1:
        return None
    week = monday_of(day)
    streak = 0
    # D's week counts only once it reaches the target, and only with its days up to D.
    if workouts_between(week, day) >= target:
        streak = 1
    week -= timedelta(weeks=1)
    while streak < STREAK_CAP_WEEKS and workouts_between(week, week + timedelta(days=6)) >= target:
        streak += 1
        week -= timedelta(weeks=1)
    return streak


# Pantry


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant the person's day begins (local midnight; the day before ends there)."""
    return datetime.combine(day, time(0), zone).astimezone(timezone.utc)


def pantry_history_needed_from(first_day: date, zone: tzinfo) -> datetime:
    """The earliest instant the pantry forecasts of first_day and later days need versions
    alive at: the start of first_day - 27."""
    return day_start(first_day - timedelta(days=PANTRY_WINDOW_DAYS - 1), zone)


@dataclass(frozen=True, slots=True)
class CategoryForecast:
    category: str
    consumed_28d: Decimal | None
    consumption_reason: str | None
    reaches_threshold_on: date | None
    reaches_threshold_reason: str | None

    @property
    def consumption_per_day(self) -> Decimal | None:
        return None if self.consumed_28d is None else numeric_div(self.consumed_28d, PANTRY_WINDOW_DAYS)

    def to_json(self) -> dict:
        consumed, per_day = (None, None) if self.consumed_28d is None else _consumption_json(str(self.consumed_28d))
        return {
            "category": self.category,
            "consumed_28d": consumed,
            **_with_reason("consumption_per_day", per_day, self.consumption_reason),
            **_with_reason("reaches_threshold_on", iso(self.reaches_threshold_on), self.reaches_threshold_reason),
        }


@lru_cache(maxsize=4096)
def _consumption_json(consumed: str) -> tuple[float, float]:
    """consumed_28d and consumption_per_day as JSON numbers. The same few sums recur over
    categories and days (a year's pantry forecast asks about 18,000 times), and the exact
    division is the costly part; keyed on the text, which keeps the numeric's scale."""
    value = Decimal(consumed)
    return money(value), money(numeric_div(value, PANTRY_WINDOW_DAYS))


@dataclass(frozen=True, slots=True)
class PantryForecast:
    as_of: date
    categories: tuple[CategoryForecast, ...] | None
    reason: str | None = None
    implausible: frozenset[Implausible] = frozenset()

    checks: ClassVar[tuple[str, ...]] = (NEGATIVE_QUANTITY_CHECK,)

    def to_json(self) -> dict:
        categories = None if self.categories is None else [c.to_json() for c in self.categories]
        return {"window_days": PANTRY_WINDOW_DAYS, **_with_reason("categories", categories, self.reason)}


@dataclass(frozen=True, slots=True)
class _CategoryHistory:
    """One category's versions in time order, with running sums of the decreases."""

    versions: list[PantryVersion]
    starts: list[datetime]  # valid_from in UTC
    consumed: list[Decimal]  # consumed[j]: the decreases into versions 1..j
    negatives: list[int]  # negatives[j]: versions 0..j-1 with a negative quantity

    @classmethod
    def of(cls, versions: list[PantryVersion]) -> _CategoryHistory:
        # By instant: aware datetimes sharing a zone compare by wall clock, which the hour
        # repeated when DST ends would get wrong.
        versions = sorted(versions, key=lambda v: v.valid_from.astimezone(timezone.utc))
        consumed = [ZERO]
        for before, after in zip(versions, versions[1:]):
            q0, q1 = before.item.current_quantity, after.item.current_quantity
            drop = q0 - q1 if q0 is not None and q1 is not None and q1 < q0 else ZERO
            consumed.append(consumed[-1] + drop)
        negatives = [0]
        for version in versions:
            quantity = version.item.current_quantity
            negatives.append(negatives[-1] + (quantity is not None and quantity < 0))
        return cls(versions, [v.valid_from.astimezone(timezone.utc) for v in versions], consumed, negatives)


def _category_forecast(
    day: date, history: _CategoryHistory, start: datetime, end: datetime, zone: tzinfo
) -> tuple[CategoryForecast, frozenset[Implausible]] | None:
    """One category's forecast and the implausible inputs it met, or None when the category
    is not in the pantry at the end of D."""
    last = bisect.bisect_left(history.starts, end) - 1  # the version alive at the end of D, if any
    if last < 0:
        return None
    current = history.versions[last]
    if current.valid_to is not None and current.valid_to < end:
        return None  # deleted before the end of D
    item = current.item
    opening = bisect.bisect_left(history.starts, start) - 1  # the version alive at the window's start
    deleted_at = history.versions[opening].valid_to if opening >= 0 else None
    if deleted_at is not None and deleted_at < start:
        opening = -1  # deleted before the window: a read bounded at its start would not see it

    def forecast(
        consumed: Decimal | None, reason: str | None, on: date | None = None, on_reason: str | None = None
    ) -> CategoryForecast:
        return CategoryForecast(item.category, consumed, reason, on, on_reason)

    if opening < 0:
        added = history.versions[bisect.bisect_left(history.starts, start)].valid_from.astimezone(zone).date()
        reason = f"in the pantry only since {iso(added)}; {PANTRY_WINDOW_DAYS} days needed"
        return forecast(None, reason, None, reason), frozenset()
    if history.negatives[last + 1] > history.negatives[opening]:
        negative = [
            v
            for v in history.versions[opening : last + 1]
            if v.item.current_quantity is not None and v.item.current_quantity < 0
        ]
        found = frozenset(
            Implausible(NEGATIVE_QUANTITY_CHECK, f"{item.category} {v.item.current_quantity} from {v.valid_from}")
            for v in negative
        )
        reason = f"negative quantity {negative[0].item.current_quantity} in the window"
        return forecast(None, reason, None, reason), found
    consumed = history.consumed[last] - history.consumed[opening]
    quantity, threshold = item.current_quantity, item.critical_threshold
    if threshold is None:
        return forecast(consumed, None, None, "no critical threshold"), frozenset()
    if quantity is None:
        return forecast(consumed, None, None, "quantity unknown"), frozenset()
    if quantity <= threshold:
        return forecast(consumed, None, None, "already at or below the threshold"), frozenset()
    if consumed <= 0:
        return forecast(consumed, None, None, f"nothing consumed in {PANTRY_WINDOW_DAYS} days"), frozenset()
    days_left = _ceil_div((quantity - threshold) * PANTRY_WINDOW_DAYS, consumed)
    return forecast(consumed, None, day + timedelta(days=days_left)), frozenset()


def pantry_forecasts(
    days: Iterable[date], versions: Iterable[PantryVersion], history_starts: date | None, zone: tzinfo
) -> dict[date, PantryForecast]:
    """The pantry forecast of each day, from the history versions alive at some instant from
    pantry_history_needed_from(first day) to the end of the last day. history_starts is the
    first day the capture reconstructs (the local date of captured_since), None when the
    capture is not installed."""
    by_category: dict[str, list[PantryVersion]] = defaultdict(list)
    for version in versions:
        by_category[version.item.category].append(version)
    histories = {category: _CategoryHistory.of(found) for category, found in sorted(by_category.items())}

    forecasts = {}
    for day in sorted(set(days)):
        if history_starts is None:
            reason = f"pantry history capture not installed; {PANTRY_WINDOW_DAYS} days of it needed"
        elif day - timedelta(days=PANTRY_WINDOW_DAYS) < history_starts:
            reason = f"pantry history starts on {iso(history_starts)}; {PANTRY_WINDOW_DAYS} days needed"
        else:
            reason = None
        if reason is not None:
            forecasts[day] = PantryForecast(day, None, reason)
            continue
        start = day_start(day - timedelta(days=PANTRY_WINDOW_DAYS - 1), zone)
        end = day_start(day + timedelta(days=1), zone)
        categories, implausible = [], set()
        for history in histories.values():
            found = _category_forecast(day, history, start, end, zone)
            if found is not None:
                categories.append(found[0])
                implausible |= found[1]
        forecasts[day] = PantryForecast(day, tuple(categories), None, frozenset(implausible))
    return forecasts


def forecast_reach(table: str, changed: date) -> date:
    """The last day whose forecasts read a row of `table` dated `changed` (the sensor restates
    changed..this day, beside the section's own rule in core/changes.py)."""
    if table == "finance.transactions":
        # The two 30-day windows, and "last month's income" of every day of the next month.
        next_month = _month_start(_month_start(changed) + timedelta(days=31))
        next_month_end = next_month.replace(day=_days_in_month(next_month))
        return max(changed + timedelta(days=2 * SPENDING_WINDOW_DAYS - 1), next_month_end)
    if table == "finance.budgets":
        return _month_start(changed).replace(day=_days_in_month(changed))
    if table == "training.workouts":
        # The streak of any day reads the 52 weeks before its own.
        return monday_of(changed) + timedelta(weeks=STREAK_CAP_WEEKS, days=6)
    if table == "training.measurements":
        return changed + timedelta(days=TREND_WINDOW_DAYS - 1)
    if table == "pantry.history":
        return changed + timedelta(days=PANTRY_WINDOW_DAYS - 1)
    raise ValueError(f"no forecast reach for source table {table!r}")


def forecast_problems(forecasts: Iterable[FinanceForecast | HealthTrends | PantryForecast]) -> dict[str, int]:
    """The implausible inputs the forecasts met, each counted once however many days it
    touched, under its plausible_values metadata key (0 for each key these forecasts have)."""
    counts: Counter[str] = Counter()
    seen: set[Implausible] = set()
    for forecast in forecasts:
        for check in forecast.checks:
            counts.setdefault(check, 0)
        for problem in forecast.implausible - seen:
            counts[problem.check] += 1
            seen.add(problem)
    return dict(counts)
