"""The bills the person already planned (their expense calendar), as the month-end forecast of
a day reads them. Pure functions over the rows the finance reader unpacks (primary currency
only, positive amounts: sources/finance/sql/planned_expenses.sql).

  * Known as of D: a row created on or before D. `created_at` is the person's wall clock
    without a zone (their sheet's sync writes it in their time zone), so its date is taken
    as written. A row without `created_at`, or dated after today, exists now and nothing
    says since when: it is known as of today only.
  * Planned as of D: a known row with `expense_date` after D and within D's month. Each row
    is one bill on one date; `frequency` describes the sheet's line and is not expanded
    (expanding it would invent bills the person did not write down).
  * `is_paid` has no history: set in place when paid, it says the bill is paid now, never
    when. So it is read for today only: a paid row dated later this month is already among
    the month's transactions and is not planned again. A past day ignores it and counts the
    row as planned until its date, as if paid on its date. Every past day is therefore the
    same whenever it is computed or backfilled; only today's reading differs. (A bill paid
    early is counted twice on the past days between its payment and its date: nothing in
    the rows says when it was paid.)
  * No double count through the pace: the rest of the month spends at the 30-day pace of
    *unplanned* spending. The known rows dated within D-29..D (paid, as planned, on their
    dates: they are in spending_30d) and, today, the paid rows dated later this month are
    taken out of spending_30d (never below 0) before it is projected; the bills still to
    come are added as themselves.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from twin_pipeline.core.finance.section import days_in_month
from twin_pipeline.core.sections import ZERO, iso, money

SPENDING_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """One row of expense_calendar in the primary currency (the SQL's column order)."""

    name: str
    expense_date: date
    amount: Decimal
    created_on: date | None  # the date of created_at as written (the person's wall clock)
    is_paid: bool


@dataclass(frozen=True, slots=True)
class PlannedExpenses:
    """The planned bills of one day, and the planned spending inside its 30-day pace."""

    remaining: tuple[CalendarRow, ...]
    in_pace: Decimal  # planned amounts already spent within the 30-day window

    @property
    def remaining_total(self) -> Decimal:
        return sum((row.amount for row in self.remaining), ZERO)

    def to_json(self) -> list[dict]:
        return [
            {"name": row.name, "expense_date": iso(row.expense_date), "amount": money(row.amount)}
            for row in self.remaining
        ]


@dataclass(frozen=True)
class ExpenseCalendar:
    """The person's expense calendar as one read found it; `unavailable` says why it could
    not be read (then the forecasts are made without it)."""

    rows: tuple[CalendarRow, ...] = ()
    today: date | None = None
    unavailable: str | None = None

    @classmethod
    def read(cls, rows: Iterable[CalendarRow], today: date) -> ExpenseCalendar:
        return cls(tuple(sorted(rows, key=lambda r: (r.expense_date, r.name))), today)

    @cached_property
    def _dates(self) -> list[date]:
        return [row.expense_date for row in self.rows]

    def known_from(self, row: CalendarRow) -> date:
        """The first day the row is known on: a row with no creation date, or one after today,
        exists now and nothing says since when."""
        if row.created_on is None or row.created_on > self.today:
            return self.today
        return row.created_on

    def as_of(self, day: date) -> PlannedExpenses | None:
        """The planned bills of `day` (None when the calendar could not be read)."""
        if self.unavailable is not None:
            return None
        today, dates = day == self.today, self._dates
        month_end = day.replace(day=days_in_month(day))
        later = self.rows[bisect_right(dates, day):bisect_right(dates, month_end)]
        window = self.rows[bisect_left(dates, day - timedelta(days=SPENDING_WINDOW_DAYS - 1)):bisect_right(dates, day)]
        known_later = [row for row in later if self.known_from(row) <= day]
        # is_paid has no history: only today's reading of it is true of the day.
        paid_early = [row for row in known_later if today and row.is_paid]
        spent = [*(row for row in window if self.known_from(row) <= day), *paid_early]
        return PlannedExpenses(
            tuple(row for row in known_later if row not in paid_early),
            sum((row.amount for row in spent), ZERO),
        )


NOT_READ = ExpenseCalendar(unavailable="the expense calendar was not read")


def calendar_read_window(first_day: date, last_day: date) -> tuple[date, date]:
    """The expense dates the forecasts of first_day..last_day read: the 30-day windows, and
    the rest of the last day's month."""
    return first_day - timedelta(days=SPENDING_WINDOW_DAYS - 1), last_day.replace(day=days_in_month(last_day))


def calendar_stale_days(changed: date, later: date | None, today: date) -> set[date]:
    """The days a calendar row dated `changed` reaches: planned on the days of its month
    before it, in the 30-day pace of the 30 days from it."""
    first, last = changed.replace(day=1), changed + timedelta(days=SPENDING_WINDOW_DAYS - 1)
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}
