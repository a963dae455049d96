"""The dashboard's reads: history at a glance, one statement per chart over the whole
range, never one per day (a decade is ~11,000 rows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from twin_pipeline.store.schema import _filters, sql


def state_bounds(conn: Connection, person_id: str) -> tuple[str | None, str | None]:
    """The first and the newest day holding a state (None, None in an empty store)."""
    first, last = conn.execute(sql("dashboard_bounds"), _filters(person_id)).one()
    return first, last


@dataclass(frozen=True)
class DayRange:
    """The days first..last of a chart; `from_first_stored` / `to_last_stored`: the range
    starts on the store's first day / ends on its newest. The queries then leave that bound
    out: testing it reads `as_of` out of every (compressed) document before the document is
    read for its figures, which on a decade costs more than the rest of the query."""

    first: date
    last: date
    from_first_stored: bool = False
    to_last_stored: bool = False

    def params(self, person_id: str) -> dict:
        return {
            **_filters(person_id), "a": self.first.isoformat(), "b": self.last.isoformat(),
            "since": None if self.from_first_stored else self.first.isoformat(),
            "until": None if self.to_last_stored else self.last.isoformat(),
        }


def coverage(conn: Connection, person_id: str, days: DayRange) -> list[Mapping]:
    """Per entity over the days: days, stored, unavailable, degraded, first_missing,
    corrected_days, replaced_rows; then a row with entity None: the days corrected in any."""
    return list(conn.execute(sql("dashboard_coverage"), days.params(person_id)).mappings())


def monthly_net(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(month, as_of, currency, net) of each month touching the days: the month-to-date
    net of its last usable day; (month, None, None, None) for a month without one."""
    return [tuple(row) for row in conn.execute(sql("dashboard_cashflow"), days.params(person_id))]


def body_measurements(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(measured_on, bodyweight_kg, bodyfat_pct, 28-day average weight) of each measurement."""
    return [tuple(row) for row in conn.execute(sql("dashboard_weight"), days.params(person_id))]


def readiness_readings(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(measured_on, readiness_score, sleep_score, hrv_ms) of each watch reading the days' states report."""
    return [tuple(row) for row in conn.execute(sql("dashboard_readiness"), days.params(person_id))]


def workouts_per_week(conn: Connection, person_id: str, week_ends: list[date]) -> list[tuple[str, int | None]]:
    """(last day, workouts in the 7 days ending then) of each week; None without a state."""
    params = {**_filters(person_id), "week_ends": [d.isoformat() for d in week_ends]}
    return [tuple(row) for row in conn.execute(sql("dashboard_workouts"), params)]


def pantry_counts(conn: Connection, person_id: str, days: list[date]) -> list[tuple]:
    """(as_of, low stock, expiring soon, expired) of each day; Nones where none is known."""
    params = {**_filters(person_id), "days": [d.isoformat() for d in days]}
    return [tuple(row) for row in conn.execute(sql("dashboard_pantry"), params)]


def budgets_of_day(conn: Connection, person_id: str, as_of: date) -> list[Mapping]:
    """Each budget of the day's finance state: status (the state's), category_path,
    budget_amount, actual_amount, utilization_pct and alert_severity (None when it is not an
    alert); no row without a state that day, one with category_path None without budgets."""
    return list(conn.execute(sql("dashboard_budgets"), {**_filters(person_id), "d": as_of.isoformat()}).mappings())


def month_end_accuracy(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(day of month, median accuracy %, scored) of the month-end projections made in the days."""
    params = {"p": person_id, "a": days.first, "b": days.last}
    return [tuple(row) for row in conn.execute(sql("dashboard_month_end_accuracy"), params)]


def month_end_bands(conn: Connection, person_id: str, days: DayRange) -> list[Mapping]:
    """made_on, predicted, range_low, range_high, actual, in_range of each month-end
    projection made in the days and scored."""
    params = {"p": person_id, "a": days.first, "b": days.last}
    return list(conn.execute(sql("dashboard_month_end_bands"), params).mappings())


def runout_errors(conn: Connection, person_id: str, days: DayRange) -> list[Mapping]:
    """Per budget category: subject, mean_error_days, mean_absolute_error_days, scored, of
    the run-out forecasts made in the days."""
    params = {"p": person_id, "a": days.first, "b": days.last}
    return list(conn.execute(sql("dashboard_runout_error"), params).mappings())
