"""Fast tests of the forecast reviews: each rule on crafted states, with the answers worked
out by hand; nothing scored before its outcome day; Fixed budgets paid, not over. No database."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from twin_pipeline.core.finance.section import Budget, DailyFlow
from twin_pipeline.core.forecast_review import (
    READ_BACK_DAYS,
    review_forecasts,
    review_line,
    review_reach,
    score,
    summarize,
    with_outcome_days,
)
from twin_pipeline.core.finance.forecast import finance_forecasts
from twin_pipeline.core.summary import forecast_line

D = Decimal


def finance_state(day: date, *, projected=None, mtd_net=0.0, budgets=(), status="ok", currency="PLN") -> dict:
    return {"as_of": day.isoformat(), "status": status, "currency": currency, "mtd_net": mtd_net,
            "forecast": {"currency": currency, "month_end_net_projected": projected, "budgets": list(budgets)}}


def budget(status: str, runs_out_on: str | None, budget_id: str = "b1", path: str | None = "Food > Groceries") -> dict:
    return {"budget_id": budget_id, "category_path": path, "status": status, "runs_out_on": runs_out_on}


def test_accuracy_is_one_minus_the_relative_error_rounded_half_away_from_zero():
    # predicted 1,100, actual 1,000: error +100, 100 * (1 - 100 / 1,000) = 90.
    assert score("month_end_net", "PLN", date(2026, 3, 1), date(2026, 3, 31), D("1100"), D("1000")).accuracy_pct == 90
    # predicted -500 against -400: error -100, 1 - 100/400 = 75 %.
    review = score("month_end_net", "PLN", date(2026, 3, 1), date(2026, 3, 31), D("-500"), D("-400"))
    assert (review.error, review.accuracy_pct) == (D("-100"), D("75.00"))
    # 1 - 1/3 = 66.666...: 66.67; 1 - 1/8 = 87.5 exactly; a miss of 3x the actual: -200 %.
    assert score("weight_28d", "", date(2026, 3, 1), date(2026, 3, 29), D("4"), D("3")).accuracy_pct == D("66.67")
    assert score("weight_28d", "", date(2026, 3, 1), date(2026, 3, 29), D("9"), D("8")).accuracy_pct == D("87.50")
    assert score("weight_28d", "", date(2026, 3, 1), date(2026, 3, 29), D("30"), D("10")).accuracy_pct == D("-100.00")
    # An actual of 0: error kept, accuracy null with the reason.
    zero = score("month_end_net", "PLN", date(2026, 3, 1), date(2026, 3, 31), D("50"), D("0"))
    assert (zero.error, zero.accuracy_pct, zero.reason) == (D("50"), None, "the actual is 0")


def test_month_end_net_against_the_last_days_mtd_net_scored_on_that_day_only():
    finance = {
        date(2026, 2, 10): finance_state(date(2026, 2, 10), projected=1200.0),
        date(2026, 2, 27): finance_state(date(2026, 2, 27), projected=950.5, mtd_net=700.0),
        date(2026, 2, 28): finance_state(date(2026, 2, 28), projected=1000.0, mtd_net=1000.0),
    }
    reviews = review_forecasts([date(2026, 2, 28)], finance, {}, {})
    # The 28th's own forecast is made on its outcome day (zero horizon): not scored.
    assert [(r.made_on, r.predicted, r.actual, r.error, r.accuracy_pct) for r in reviews] == [
        (date(2026, 2, 10), D("1200.0"), D("1000.0"), D("200.0"), D("80.00")),  # 1 - 200/1000
        (date(2026, 2, 27), D("950.5"), D("1000.0"), D("-49.5"), D("95.05")),  # 1 - 49.5/1000
    ]
    assert {r.subject for r in reviews} == {"PLN"}
    # A range that stops on the 27th scores none of February's month-end forecasts, and an
    # unavailable month end scores nothing.
    assert review_forecasts([date(2026, 2, 27)], finance, {}, {}) == []
    finance[date(2026, 2, 28)] = {"as_of": "2026-02-28", "status": "unavailable"}
    assert review_forecasts([date(2026, 2, 28)], finance, {}, {}) == []


def test_budget_run_out_in_days_lasts_and_never_are_the_next_months_first_day():
    end = date(2026, 3, 31)
    made = date(2026, 3, 10)
    finance = {
        made: finance_state(made, budgets=[
            budget("runs_out", "2026-03-25", "b1", "Food > Groceries"),
            budget("lasts", None, "b2", "Food > Coffee"),
            budget("runs_out", "2026-03-20", "b3", "Home > Household"),
            budget("over", "2026-03-05", "b4", "Transport > Fuel"),  # already over: nothing to forecast
            budget("paid", None, "b5", "Home > Rent"),  # Fixed: paid once, no pace
        ]),
        end: finance_state(end, budgets=[
            budget("over", "2026-03-22", "b1", "Food > Groceries"),  # reached 3 days before the 25th
            budget("lasts", None, "b2", "Food > Coffee"),  # never: lasts was right
            budget("lasts", None, "b3", "Home > Household"),  # never reached: 1 Apr
            budget("over", "2026-03-05", "b4", "Transport > Fuel"),
            budget("paid", None, "b5", "Home > Rent"),
        ]),
    }
    scored = review_forecasts([end], finance, {}, {})
    # The month's last day forecasts on its outcome day (zero horizon): not scored.
    assert [r for r in scored if r.made_on == end] == []
    reviews = {r.subject: r for r in scored if r.made_on == made}
    assert set(reviews) == {"Food > Groceries", "Food > Coffee", "Home > Household"}
    groceries = reviews["Food > Groceries"]
    # predicted 25 - 10 = 15 days, actual 22 - 10 = 12: error +3, 1 - 3/12 = 75 %.
    assert (groceries.predicted, groceries.actual, groceries.error, groceries.accuracy_pct) == (15, 12, 3, 75)
    # lasts (1 Apr) and never (1 Apr): 22 days each, exact.
    assert (reviews["Food > Coffee"].error, reviews["Food > Coffee"].accuracy_pct) == (0, 100)
    # 20 Mar (10 days) against 1 Apr (22 days): error -12, 1 - 12/22 = 45.45 %.
    household = reviews["Home > Household"]
    assert (household.predicted, household.actual, household.error, household.accuracy_pct) == (10, 22, -12, D("45.45"))
    assert {r.outcome_on for r in reviews.values()} == {end}


def health_state(day: date, weight: float | None, measured_on: date | None, trend: float | None) -> dict:
    body = {"bodyweight_kg": weight, "measurement_date": measured_on and measured_on.isoformat()}
    return {"as_of": day.isoformat(), "status": "ok", "body_composition": body,
            "trends": {"weight_trend_kg_per_week": trend}}


def test_weight_28d_is_todays_weight_plus_four_weeks_of_trend_against_the_weight_28_days_on():
    made = date(2026, 1, 20)
    outcome = made + timedelta(days=28)  # 17 Feb
    health = {
        made: health_state(made, 82.4, made, -0.35),
        outcome: health_state(outcome, 81.2, date(2026, 2, 15), -0.2),
    }
    (review,) = review_forecasts([outcome], {}, health, {})
    # 82.4 + 4 * -0.35 = 81.0 against 81.2: error -0.2, 1 - 0.2/81.2 = 99.75 %.
    assert (review.kind, review.subject, review.predicted, review.actual) == ("weight_28d", "", D("81.00"), D("81.2"))
    assert (review.error, review.accuracy_pct, review.made_on) == (D("-0.20"), D("99.75"), made)
    # The reading as of D+28 must be dated after D+20 (9 Feb): one from the 9th is too old.
    health[outcome] = health_state(outcome, 81.2, date(2026, 2, 9), None)
    assert review_forecasts([outcome], {}, health, {}) == []
    health[outcome] = health_state(outcome, 81.2, date(2026, 2, 10), None)
    assert len(review_forecasts([outcome], {}, health, {})) == 1
    # No trend on D: no forecast to score.
    health[made] = health_state(made, 82.4, made, None)
    assert review_forecasts([outcome], {}, health, {}) == []


def pantry_state(day: date, low: list[str], forecasts: dict[str, str | None], status: str = "ok") -> dict:
    categories = [{"category": c, "reaches_threshold_on": on} for c, on in forecasts.items()]
    return {"as_of": day.isoformat(), "status": status, "low_stock": low, "forecast": {"categories": categories}}


def test_pantry_threshold_scored_on_the_day_reached_or_14_days_after_the_predicted_day():
    made = date(2026, 3, 1)
    pantry = {made: pantry_state(made, [], {"Coffee": "2026-03-11", "Rice": "2026-03-05", "Tea": "2026-04-15"})}
    for n in range(1, 40):
        day = made + timedelta(days=n)
        pantry[day] = pantry_state(day, ["Coffee"] if day >= date(2026, 3, 9) else [], {})
    days = [made + timedelta(days=n) for n in range(40)]
    reviews = {r.subject: r for r in review_forecasts(days, {}, {}, pantry)}
    coffee = reviews["Coffee"]
    # Predicted the 11th (10 days), low since the 9th (8 days): error +2, 1 - 2/8 = 75 %, scored the 9th.
    assert (coffee.outcome_on, coffee.predicted, coffee.actual, coffee.error, coffee.accuracy_pct) == (
        date(2026, 3, 9), 10, 8, 2, 75)
    # Rice never got low: scored on 5 Mar + 14 = the 19th, no actual.
    rice = reviews["Rice"]
    assert (rice.outcome_on, rice.actual, rice.accuracy_pct) == (date(2026, 3, 19), None, None)
    assert rice.reason == "not at or below the threshold by 2026-03-19"
    # Tea: 45 days ahead, beyond the 28 scored.
    assert "Tea" not in reviews
    # A run ending the 8th scores neither; nothing is scored before its outcome day.
    assert review_forecasts(days[:8], {}, {}, pantry) == []


def test_each_review_reads_only_states_up_to_its_outcome_day():
    made, end = date(2026, 4, 10), date(2026, 4, 30)
    finance = {made: finance_state(made, projected=500.0), end: finance_state(end, mtd_net=400.0)}
    before = review_forecasts([end], finance, {}, {})
    # A state after the outcome day (May) changes nothing about April's reviews.
    finance[date(2026, 5, 3)] = finance_state(date(2026, 5, 3), projected=9.0, mtd_net=1.0)
    assert review_forecasts([end], finance, {}, {}) == before
    assert before[0].accuracy_pct == 75  # 1 - 100/400


def test_the_outcome_days_a_restated_day_reaches():
    assert review_reach(date(2026, 3, 1)) == date(2026, 4, 12)  # D + 42 beyond the month's end
    assert review_reach(date(2026, 1, 1)) == date(2026, 2, 12)
    today = date(2026, 3, 20)
    assert with_outcome_days({date(2026, 3, 1)}, today) == {date(2026, 3, 1) + timedelta(days=n) for n in range(20)}
    assert max(with_outcome_days({date(2026, 1, 5), date(2026, 1, 6)}, today)) == date(2026, 2, 17)
    assert READ_BACK_DAYS == 42


def test_summary_and_the_line_on_the_first():
    made, scored_on = date(2026, 10, 3), date(2026, 10, 31)

    def row(kind: str, accuracy: str | None, error: str | None, in_range: bool | None, subject: str = "PLN",
            outcome_on: date = scored_on) -> dict:
        return {"kind": kind, "subject": subject, "made_on": made, "outcome_on": outcome_on,
                "accuracy_pct": None if accuracy is None else D(accuracy),
                "error": None if error is None else D(error), "in_range": in_range}

    rows = [
        row("month_end_net", "90", "100", True),
        row("month_end_net", "70", "-300", False),
        row("month_end_net", "-250", "700", True),  # far off: the median does not feel it
        row("month_end_net", None, "50", None),  # actual 0, made without a range
        row("month_end_net", "10", "900", False, outcome_on=made),  # zero horizon: not counted
        row("pantry_threshold", None, None, False, "Rice"),  # never reached
        row("pantry_threshold", "85", "1", True, "Rice"),
        row("pantry_threshold", "50", "-2", True, "Rice"),
    ]
    summary = summarize(rows)
    month_end = summary["month_end_net"]
    assert (month_end.count, month_end.scored, month_end.currency) == (4, 3, "PLN")
    assert month_end.mean_absolute_error == D("287.50")  # (100 + 300 + 700 + 50) / 4
    assert month_end.median_accuracy_pct == D("70.00")  # of -250, 70, 90
    assert (month_end.ranged, month_end.in_range, month_end.coverage_pct) == (3, 2, D("66.67"))
    pantry = summary["pantry_threshold"]
    # Days are judged in days: no accuracy in their summary, coverage 2 of 3.
    assert (pantry.median_accuracy_pct, pantry.mean_absolute_error, pantry.coverage_pct) == (None, D("1.50"), D("66.67"))
    assert review_line(date(2026, 10, 1), summary) == (
        "🎯 October's forecasts: month end ±288 PLN, 67 % in range, median 70 % · pantry ±1.5 days, 67 % in range"
    )
    assert review_line(date(2026, 11, 1), summarize([])) is None


def fixed_rent(amount: str = "3000") -> Budget:
    return Budget("b-rent", 2026, 3, 9, "Home > Rent", D(amount), 100, "Critical", "Fixed")


def test_a_fixed_budget_is_paid_not_over_and_never_runs_out():
    def rent_on(day: date, paid: str) -> dict:
        flows = [DailyFlow(date(2026, 3, 1), "PLN", "Expense", 9, D(paid), 1)]
        (runout,) = finance_forecasts([day], flows, [fixed_rent()], "PLN")[day].to_json()["budgets"]
        return runout

    # Paid in full on the 1st: paid, not over (a Variable budget would be over since the 1st).
    assert {k: rent_on(date(2026, 3, 3), "3000")[k] for k in ("status", "runs_out_on", "runs_out_on_reason")} == {
        "status": "paid", "runs_out_on": None, "runs_out_on_reason": "fixed budget paid in full on 2026-03-01"}
    # 2,900 of 3,000 by the 3rd: today's rule says "runs out on the 4th"; a lump sum is due instead.
    assert rent_on(date(2026, 3, 3), "2900")["status"] == "due"
    states = {"finance": {"forecast": {"month_end_net_projected": None, "currency": "PLN",
                                       "budgets": [rent_on(date(2026, 3, 3), "2900")]}}}
    assert forecast_line(states) is None
    variable = Budget("b-rent", 2026, 3, 9, "Home > Rent", D("3000"), 100, "Critical", "Variable")
    flows = [DailyFlow(date(2026, 3, 1), "PLN", "Expense", 9, D("2900"), 1)]
    (runout,) = finance_forecasts([date(2026, 3, 3)], flows, [variable], "PLN")[date(2026, 3, 3)].budgets
    assert (runout.status, runout.runs_out_on) == ("runs_out", date(2026, 3, 4))


@pytest.mark.parametrize("budget_type", [None, "Flexible"])
def test_variable_and_flexible_budgets_keep_todays_rule(budget_type):
    budget_ = Budget("b", 2026, 3, 7, "Food > Groceries", D("1000"), 80, "High", budget_type)
    flows = [DailyFlow(date(2026, 3, 2), "PLN", "Expense", 7, D("1000"), 1)]
    (runout,) = finance_forecasts([date(2026, 3, 5)], flows, [budget_], "PLN")[date(2026, 3, 5)].budgets
    assert (runout.status, runout.runs_out_on) == ("over", date(2026, 3, 2))
