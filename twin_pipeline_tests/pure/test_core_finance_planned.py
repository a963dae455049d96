"""The bills already planned (the expense calendar) in the month-end forecast, on crafted rows:
which rows are planned as of D, is_paid read for today only, and the 30-day pace of unplanned
spending. Every expected value is worked out by hand beside it."""

from datetime import date
from decimal import Decimal

import pytest

from twin_pipeline.core.finance.forecast import finance_forecasts
from twin_pipeline.core.finance.planned import CalendarRow, ExpenseCalendar, calendar_read_window, calendar_stale_days
from twin_pipeline_tests.crafted_rows import STEADY, days_between, expense, income

D = date(2026, 3, 10)  # 21 days left in March


def row(name: str, on: date, amount: str, created: date | None = date(2026, 1, 1), paid: bool = False) -> CalendarRow:
    return CalendarRow(name, on, Decimal(amount), created, paid)


# 100 a day from January (STEADY), the salary of 5,000 on 25 February, and the calendar's
# bills paid on their days: Netflix 49 on 5 February and 5 March, insurance 1,650 on 15 March.
FLOWS = [
    *STEADY,
    income(date(2026, 2, 25), "5000"),
    expense(date(2026, 2, 5), "49"),
    expense(date(2026, 3, 5), "49"),
    expense(date(2026, 3, 15), "1650"),
]
CALENDAR = [
    row("Netflix", date(2026, 2, 5), "49"),  # before the 30 days (9 Feb..10 Mar)
    row("Netflix", date(2026, 3, 5), "49"),  # inside the 30 days: in the pace
    row("Car insurance", date(2026, 3, 15), "1650", created=date(2026, 2, 20)),  # planned
    row("Income tax", date(2026, 3, 20), "800", created=date(2026, 3, 12)),  # written down after D
    row("Netflix", date(2026, 4, 5), "49"),  # next month
]


def forecast_on(day: date, calendar: ExpenseCalendar):
    return finance_forecasts([day], FLOWS, [], "PLN", calendar)[day]


def test_the_bills_planned_after_d_within_its_month_are_subtracted_from_the_month_end():
    document = forecast_on(D, ExpenseCalendar.read(CALENDAR, today=date(2026, 12, 1))).to_json()
    # Only the insurance: Netflix of 5 March has passed, the tax was written down on 12 March,
    # April's Netflix is next month.
    assert document["planned_expenses"] == [{"name": "Car insurance", "expense_date": "2026-03-15", "amount": 1650.0}]
    assert document["planned_expenses_remaining"] == 1650.0
    assert document["planned_expenses_reason"] is None
    # Month to date: 10 x 100 + 49 = 1,049. The last 30 days: 30 x 100 + 49 = 3,049, of which
    # 49 planned (Netflix, 5 March): the unplanned pace 3,000 x 21 / 30 = 2,100.
    # 1,049 + 2,100 + 1,650 = 4,799; income max(0, 5,000): 5,000 - 4,799 = 201.
    assert document["spending_30d"] == 3049.0
    assert document["spending_30d_planned"] == 49.0
    assert document["projected_expense"] == 4799.0
    assert document["month_end_net_projected"] == 201.0


def test_without_the_calendar_the_forecast_is_as_before_with_a_reason():
    reason = "no expense_calendar table in the finance database: month end without planned expenses"
    document = forecast_on(D, ExpenseCalendar(unavailable=reason)).to_json()
    # 1,049 + 3,049 x 21 / 30 = 1,049 + 2,134.30 = 3,183.30; 5,000 - 3,183.30 = 1,816.70.
    assert document["projected_expense"] == 3183.3
    assert document["month_end_net_projected"] == 1816.7
    assert (document["planned_expenses"], document["planned_expenses_remaining"]) == (None, None)
    assert document["planned_expenses_reason"] == reason
    assert document["planned_expenses_remaining_reason"] == reason
    assert document["spending_30d_planned"] is None
    # An empty calendar is read and says so: nothing planned, the same figures.
    empty = forecast_on(D, ExpenseCalendar.read([], today=D)).to_json()
    assert (empty["planned_expenses"], empty["planned_expenses_remaining"], empty["planned_expenses_reason"]) == ([], 0.0, None)
    assert empty["month_end_net_projected"] == 1816.7


def test_the_month_end_is_not_counted_twice_across_a_planned_bill():
    """The insurance seen before, on and after its day: before, it is planned; from its day
    it is in the month's transactions and out of the pace; the month end stays put where
    the old forecast jumped by the pace's share of it."""
    calendar = ExpenseCalendar.read(CALENDAR, today=date(2026, 12, 1))
    without = ExpenseCalendar(unavailable="not there")
    nets = {day: forecast_on(day, calendar).to_json()["month_end_net_projected"] for day in (D, date(2026, 3, 16))}
    olds = {day: forecast_on(day, without).to_json()["month_end_net_projected"] for day in (D, date(2026, 3, 16))}
    # 16 March, 15 days left: month to date 16 x 100 + 49 + 1,650 = 3,299. The tax (20 March,
    # written on the 12th) is planned: 800. The 30 days (15 Feb..16 Mar): 3,000 + 49 + 1,650,
    # of which 1,699 planned: pace 3,000 x 15 / 30 = 1,500. 3,299 + 1,500 + 800 = 5,599: 5,000 - 5,599 = -599.
    assert nets[date(2026, 3, 16)] == -599.0
    # Without the calendar: 3,299 + 4,699 x 15 / 30 = 3,299 + 2,349.50 = 5,648.50: -648.50; and
    # on 10 March it had not seen the insurance at all (1,816.70): a swing of 2,465.20 against 800.
    assert olds == {D: 1816.7, date(2026, 3, 16): -648.5}
    assert nets[D] - nets[date(2026, 3, 16)] == 800.0  # only the tax, written down in between


def test_is_paid_is_read_for_today_only():
    paid_early = [row("Car insurance", date(2026, 3, 15), "1650", paid=True)]
    flows = [*STEADY, income(date(2026, 2, 25), "5000"), expense(D, "1650")]  # paid on D, 5 days early
    today = finance_forecasts([D], flows, [], "PLN", ExpenseCalendar.read(paid_early, today=D))[D].to_json()
    # Today: the paid row is in the month's transactions (10 x 100 + 1,650 = 2,650), not planned
    # again, and out of the pace: (3,000 + 1,650 - 1,650) x 21 / 30 = 2,100. 5,000 - 4,750 = 250.
    assert today["planned_expenses"] == []
    assert today["spending_30d_planned"] == 1650.0
    assert today["month_end_net_projected"] == 250.0
    # The same day recomputed later: is_paid says nothing about when, so the row is planned
    # as if paid on its date; the early payment is then counted again, in the pace too:
    # 2,650 + 4,650 x 21 / 30 + 1,650 = 2,650 + 3,255 + 1,650 = 7,555.
    later = finance_forecasts([D], flows, [], "PLN", ExpenseCalendar.read(paid_early, today=date(2026, 4, 1)))[D]
    assert later.to_json()["planned_expenses_remaining"] == 1650.0
    assert later.projected_expense == Decimal("7555.00")


@pytest.mark.parametrize(
    "created, known_on",
    [
        (date(2026, 3, 10), date(2026, 3, 10)),  # written down on D: planned on D
        (date(2026, 3, 11), date(2026, 3, 11)),  # the day after: not on D
        (None, date(2026, 3, 12)),  # no created_at: exists now (today, 12 March), known today only
        (date(2026, 5, 1), date(2026, 3, 12)),  # created "after" today (a clock off): known today only
    ],
)
def test_a_row_is_planned_from_the_day_it_was_written_down(created, known_on):
    calendar = ExpenseCalendar.read([row("Dentist", date(2026, 3, 25), "300", created=created)], today=date(2026, 3, 12))
    days = days_between(date(2026, 3, 8), date(2026, 3, 12))
    forecasts = finance_forecasts(days, FLOWS, [], "PLN", calendar)
    planned = {day for day in days if forecasts[day].to_json()["planned_expenses_remaining"] == 300.0}
    assert planned == {day for day in days if day >= known_on}


def test_the_last_day_of_a_month_has_nothing_left_to_plan_and_a_range_equals_single_days():
    calendar = ExpenseCalendar.read(CALENDAR, today=date(2026, 12, 1))
    days = days_between(date(2026, 3, 1), date(2026, 3, 31))
    ranged = finance_forecasts(days, FLOWS, [], "PLN", calendar)
    assert ranged[date(2026, 3, 31)].to_json()["planned_expenses"] == []
    assert ranged[date(2026, 3, 14)].to_json()["planned_expenses_remaining"] == 2450.0  # insurance + tax
    assert ranged[date(2026, 3, 15)].to_json()["planned_expenses_remaining"] == 800.0  # its own day: spent
    for day in (date(2026, 3, 1), D, date(2026, 3, 20)):
        assert finance_forecasts([day], FLOWS, [], "PLN", calendar)[day].to_json() == ranged[day].to_json()


def test_the_pace_never_goes_below_zero():
    # Nothing unplanned in the last 30 days but a bill planned larger than what was spent.
    flows = [income(date(2026, 2, 25), "5000"), expense(date(2026, 3, 5), "40")]
    calendar = ExpenseCalendar.read([row("Deposit", date(2026, 3, 5), "100")], today=date(2026, 12, 1))
    forecast = finance_forecasts([D], flows, [], "PLN", calendar)[D]
    assert forecast.projected_expense == Decimal("40.00")  # 40 + max(40 - 100, 0) x 21 / 30 + 0


@pytest.mark.parametrize(
    "changed, first, last",
    [
        (date(2026, 3, 15), date(2026, 3, 1), date(2026, 4, 13)),  # its month before it, 30 days from it
        (date(2026, 1, 31), date(2026, 1, 1), date(2026, 3, 1)),  # 31 Jan + 29 = 1 Mar
        (date(2024, 2, 1), date(2024, 2, 1), date(2024, 3, 1)),  # leap February: 1 Feb + 29 = 1 Mar
    ],
)
def test_a_changed_row_restates_its_month_before_it_and_the_30_days_from_it(changed, first, last):
    stale = calendar_stale_days(changed, None, date(2030, 1, 1))
    assert (min(stale), max(stale), len(stale)) == (first, last, (last - first).days + 1)


def test_the_read_window_covers_the_first_days_pace_and_the_last_days_month():
    assert calendar_read_window(date(2026, 3, 10), date(2026, 4, 2)) == (date(2026, 2, 9), date(2026, 4, 30))
    assert calendar_read_window(date(2024, 3, 1), date(2024, 3, 1)) == (date(2024, 2, 1), date(2024, 3, 31))


def test_rows_in_the_calendar_after_the_read_days_do_not_leak():
    """Rows dated after D's month, or written down after D, leave D's forecast as it was."""
    early = ExpenseCalendar.read(CALENDAR[:3], today=date(2026, 12, 1))
    full = ExpenseCalendar.read([*CALENDAR, row("Holiday", date(2026, 4, 1), "3000")], today=date(2026, 12, 1))
    assert forecast_on(D, early).to_json() == forecast_on(D, full).to_json()


def test_the_briefing_and_finance_text_list_the_bills_still_to_come():
    from twin_pipeline.core.briefing import finance_lines
    from twin_pipeline.core.summary import month_end_text, planned_line

    calendar = ExpenseCalendar.read(
        [*CALENDAR, row("*Dentist*", date(2026, 3, 25), "300"), row("Gym", date(2026, 3, 31), "1234.5")],
        today=date(2026, 12, 1),
    )
    forecast = forecast_on(date(2026, 3, 14), calendar).to_json()
    section = {"status": "ok", "currency": "PLN", "mtd_net": -1449.0, "mtd_income": 0.0, "mtd_expense": 1449.0,
               "alerts": [], "forecast": forecast}
    # Four bills: the insurance (15th), the tax (20th, written down on the 12th), the dentist, the
    # gym; three shown. 1,650 + 800 + 300 + 1,234.50 = 3,984.50. Markup in a name is shown as written.
    listed = ("Car insurance 1,650.00 on the 15th, Income tax 800.00 on the 20th, \\*Dentist\\* 300.00 on the 25th +1 "
              "(3,984.50 PLN this month)")
    assert planned_line(section) == "🗓️ Planned: " + listed
    assert finance_lines(section)[-1] == "  • Planned: " + listed
    # Nothing planned, or no calendar: no line, the texts as they were.
    nothing = {**section, "forecast": forecast_on(date(2026, 3, 31), calendar).to_json()}
    unread = {**section, "forecast": forecast_on(D, ExpenseCalendar(unavailable="not there")).to_json()}
    for quiet in (nothing, unread):
        assert planned_line(quiet) is None
        month_end = month_end_text(quiet["forecast"])
        assert finance_lines(quiet) == ["💰 Finance", "  • Month to date: -1,449.00 PLN (income 0.00, expenses 1,449.00)",
                                        *([] if month_end is None else [f"  • {month_end}"]),
                                        "  • Budget: no alerts"]
    assert month_end_text(nothing["forecast"]) == "Month end +201 PLN"
