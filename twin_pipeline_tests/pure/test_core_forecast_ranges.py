"""The forecasts' 80 % ranges: conformal ranks (amounts) or the shortest run of ranked
errors (days) over the comparable errors known as of D, the 9-month window, the horizon
buckets, and the patches a day's state gets."""

from datetime import date, timedelta
from decimal import Decimal as D

from twin_pipeline.core.forecast_ranges import (
    HORIZON_BUCKETS,
    MAX_ERRORS,
    MIN_ERRORS,
    ErrorRecord,
    bucket,
    finance_patch,
    forecast_ranges,
    health_patch,
    pantry_patch,
    signed_error,
    window_start,
)
from twin_pipeline.core.forecast_review import Review, score


def month_end_reviews(errors: list[int], outcome_on: date, made_on: date) -> list[Review]:
    """Month-end forecasts of 1,000 made on `made_on`, whose actual was 1,000 + error."""
    return [score("month_end_net", "PLN", made_on, outcome_on, D(1000), D(1000 + e)) for e in errors]


def run_out_reviews(errors: list[int], outcome_on: date = date(2026, 3, 31)) -> list[Review]:
    """Run-out forecasts made 10 days ahead, each reached 10 + error days after it was made."""
    made_on = outcome_on - timedelta(days=21)
    return [score("budget_run_out", "Food", made_on, outcome_on, D(10), D(10 + e)) for e in errors]


def test_the_window_is_nine_calendar_months_and_the_buckets_cover_every_scored_horizon():
    assert window_start(date(2026, 12, 31)) == date(2026, 3, 31)
    # Nine months before 30 November is February's last day, in a leap year its 29th.
    assert window_start(date(2026, 11, 30)) == date(2026, 2, 28)
    assert window_start(date(2024, 11, 30)) == date(2024, 2, 29)
    assert window_start(date(2026, 1, 15)) == date(2025, 4, 15)
    # A horizon of 0 is never scored; each kind's last bucket ends where its forecasts end.
    assert {kind: bucket(kind, 0) for kind in HORIZON_BUCKETS} == dict.fromkeys(HORIZON_BUCKETS)
    assert bucket("month_end_net", 1) == 0 and bucket("month_end_net", 30) == len(HORIZON_BUCKETS["month_end_net"]) - 1
    assert bucket("pantry_threshold", 29) is None and bucket("weight_28d", 28) == 0
    assert bucket("month_end_net", 7) != bucket("month_end_net", 25)


def test_the_range_is_the_conformal_ranks_of_the_errors_known_as_of_d():
    record = ErrorRecord()
    march_end = date(2026, 3, 31)
    # Eleven errors scored on 31 March at 5 days ahead: too few for a range on that day.
    record.add(month_end_reviews(list(range(-50, 60, 10)), march_end, march_end - timedelta(days=5)))
    assert record.bounds("month_end_net", 5, march_end) == (None, 11)
    record.add(month_end_reviews([400], march_end, march_end - timedelta(days=5)))
    # Twelve: ranks floor(0.1 x 13) = 1 and ceil(0.9 x 13) = 12, the smallest and the largest.
    assert record.bounds("month_end_net", 5, march_end) == ((D("-50"), D("400")), MIN_ERRORS)
    # Not known the day before the outcome day (nothing from the future), and another horizon
    # bucket is not comparable.
    assert record.bounds("month_end_net", 5, march_end - timedelta(days=1)) == (None, 0)
    assert record.bounds("month_end_net", 25, march_end) == (None, 0)
    # Nine months on, still in the window; a day later, out of it.
    assert record.bounds("month_end_net", 5, date(2026, 12, 30))[1] == 12
    assert record.bounds("month_end_net", 5, date(2026, 12, 31)) == (None, 0)
    # 99 errors 1..99: ranks floor(10) = 10 and ceil(90) = 90.
    many = ErrorRecord()
    many.add(month_end_reviews(list(range(1, 100)), march_end, march_end - timedelta(days=5)))
    assert many.bounds("month_end_net", 5, march_end) == ((D("10"), D("90")), 99)
    # Of 600, the 500 most recent: the 100 of a day earlier are left out.
    recent = ErrorRecord()
    recent.add(month_end_reviews([10_000] * 100, march_end - timedelta(days=1), march_end - timedelta(days=6)))
    recent.add(month_end_reviews(list(range(500)), march_end, march_end - timedelta(days=5)))
    assert recent.bounds("month_end_net", 5, march_end) == ((D("49"), D("450")), MAX_ERRORS)


def test_a_day_range_is_the_shortest_run_of_errors_holding_eighty_percent():
    # Of 12 errors, a run holds k = ceil(0.8 x 13) = 11. Eleven exact run-outs: [0, 0].
    exact = ErrorRecord()
    exact.add(run_out_reviews([0] * 11 + [5]))
    assert exact.bounds("budget_run_out", 10, date(2026, 3, 31)) == ((D("0"), D("0")), 12)
    # Ten exact and a day late: 0..1 (1 day wide) beats 0..5.
    late = ErrorRecord()
    late.add(run_out_reviews([0] * 10 + [1, 5]))
    assert late.bounds("budget_run_out", 10, date(2026, 3, 31)) == ((D("0"), D("1")), 12)
    # Equally narrow runs, -4..+2 and -3..+3 (6 days): the one centred on 0.
    centred = ErrorRecord()
    centred.add(run_out_reviews([-4, -3, *[0] * 8, 2, 3]))
    assert centred.bounds("budget_run_out", 10, date(2026, 3, 31)) == ((D("-3"), D("3")), 12)
    # Centred as near (-4..+1 and -1..+4, 5 days): the lower one.
    level = ErrorRecord()
    level.add(run_out_reviews([-4, -1, *[0] * 8, 1, 4]))
    assert level.bounds("budget_run_out", 10, date(2026, 3, 31)) == ((D("-4"), D("1")), 12)
    # An amount keeps the equal-tailed ranks 1 and 12 on the same errors.
    amount = ErrorRecord()
    amount.add(month_end_reviews([-4, -3, *[0] * 8, 2, 3], date(2026, 3, 31), date(2026, 3, 21)))
    assert amount.bounds("month_end_net", 10, date(2026, 3, 31)) == ((D("-4"), D("3")), 12)


def test_a_pantry_range_reaches_the_censored_fifteenth_day_and_drops_the_early_tail():
    day = date(2026, 4, 10)
    made_on = date(2026, 3, 1)
    # 20 errors at 10 days ahead: ten not low by the threshold day + 14 (+15), ten from -9 to +3.
    reviews = [score("pantry_threshold", "Rice", made_on, made_on + timedelta(days=10 + e), D(10), D(10 + e))
               for e in (-9, -5, -3, -2, -1, 0, 0, 1, 2, 3)]
    reviews += [score("pantry_threshold", "Rice", made_on, made_on + timedelta(days=24), D(10), None, "not reached")] * 10
    record = ErrorRecord()
    record.add(sorted(reviews, key=lambda review: review.outcome_on))
    # k = ceil(0.8 x 21) = 17: the runs start at -9, -5, -3, -2 and all end at +15; -2..+15
    # is the narrowest (17 days), where the equal-tailed ranks 2 and 19 give -5..+15.
    assert record.bounds("pantry_threshold", 10, day) == ((D("-2"), D("15")), 20)
    patch = pantry_patch(record, day, {"forecast": {"categories": [
        {"category": "Rice", "reaches_threshold_on": "2026-04-20"}]}})
    assert patch["Rice"] == {"reaches_threshold_range": {
        "earliest": "2026-04-18", "latest": "2026-05-05", "level_pct": 80, "errors": 20},
        "reaches_threshold_range_reason": None}


def test_a_pantry_category_not_low_in_time_counts_as_low_on_the_fifteenth_day_after():
    missed = score("pantry_threshold", "Rice", date(2026, 3, 1), date(2026, 3, 25), D(10), None, "not reached")
    assert signed_error(missed) == 15
    late = score("pantry_threshold", "Rice", date(2026, 3, 1), date(2026, 3, 14), D(10), D(13))
    assert signed_error(late) == 3


def test_the_patches_of_a_day_range_its_points_and_say_why_not():
    day = date(2026, 4, 10)
    record = ErrorRecord()
    # Month-end errors -300..+200 at 19 days ahead, in the bucket of the 20 days left on 10 April.
    record.add(month_end_reviews([-300, -200, -100, -50, 0, 0, 10, 20, 50, 100, 150, 200],
                                 date(2026, 3, 31), date(2026, 3, 12)))
    # Run-out errors in days at 10 days ahead, -4..+6: the shortest run of 11 is -4..+4
    # (8 days wide; -3..+6 is 9).
    record.add(run_out_reviews([-4, -3, -2, -1, 0, 0, 0, 1, 2, 3, 4, 6]))
    document = {"status": "ok", "forecast": {"month_end_net_projected": -165.0, "budgets": [
        {"budget_id": "b1", "status": "runs_out", "runs_out_on": "2026-04-20"},
        {"budget_id": "b2", "status": "over", "runs_out_on": "2026-04-02"},
        {"budget_id": "b3", "status": "runs_out", "runs_out_on": "2026-04-13"},  # 3 days ahead: no errors there
    ]}}
    patch = finance_patch(record, day, document)
    assert patch["month_end_net_range"] == {"low": -465.0, "high": 35.0, "level_pct": 80, "errors": 12}
    assert patch["month_end_net_range_reason"] is None
    assert patch["budgets"]["b1"] == {
        "runs_out_range": {"earliest": "2026-04-16", "latest": "2026-04-24", "level_pct": 80, "errors": 12},
        "runs_out_range_reason": None}
    assert patch["budgets"]["b2"] == {"runs_out_range": None, "runs_out_range_reason": "over: no run-out day to range"}
    assert patch["budgets"]["b3"]["runs_out_range"] is None
    assert patch["budgets"]["b3"]["runs_out_range_reason"].startswith("0 comparable forecast(s)")
    # On the month's last day the month end is known: no range, and why.
    last = finance_patch(record, date(2026, 4, 30), document)
    assert (last["month_end_net_range"], last["month_end_net_range_reason"]) == (
        None, "the month ends today: its net is known")
    # A day range never starts before tomorrow, and a run-out never after the next month's 1st.
    late = finance_patch(record, date(2026, 4, 21), {"forecast": {"month_end_net_projected": None, "budgets": [
        {"budget_id": "b1", "status": "lasts", "runs_out_on": None}]}})
    assert late["month_end_net_range"] is None
    assert late["budgets"]["b1"]["runs_out_range"]["latest"] == "2026-05-01"
    assert health_patch(record, day, {"trends": {"weight_trend_kg_per_week": None}, "body_composition": {}}) == {
        "weight_28d_range": None, "weight_28d_range_reason": "no 28-day weight forecast (no weight or no trend)"}
    pantry = pantry_patch(record, day, {"forecast": {"categories": [
        {"category": "Rice", "reaches_threshold_on": None},
        {"category": "Oil", "reaches_threshold_on": "2026-06-01"},
    ]}})
    assert pantry["Rice"]["reaches_threshold_range_reason"] == "no day to reach the threshold is forecast"
    assert pantry["Oil"]["reaches_threshold_range_reason"].startswith("more than 28 days ahead")


def finance_state(day: date, projected: float, mtd_net: float) -> dict:
    return {"as_of": day.isoformat(), "status": "ok", "currency": "PLN", "mtd_net": mtd_net,
            "forecast": {"currency": "PLN", "month_end_net_projected": projected, "budgets": []}}


def test_a_run_ranges_each_day_on_the_errors_scored_up_to_it_block_by_block():
    # Fourteen months of forecasts 100 too high, made 20 and 19 days before their month's end
    # (one horizon bucket): the first range appears once six month ends (twelve errors) are
    # known, and reads nothing later.
    finance: dict[date, dict] = {}
    month = date(2025, 1, 1)
    for _ in range(14):
        end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for ahead in (20, 19):
            finance[end - timedelta(days=ahead)] = finance_state(end - timedelta(days=ahead), 1100.0, 0.0)
        finance[end] = finance_state(end, 900.0, 1000.0)
        month = end + timedelta(days=1)
    read = []

    def read_states(first: date, last: date) -> dict:
        read.append((first, last))
        return {"finance": {d: s for d, s in finance.items() if first <= d <= last}, "health": {}, "pantry": {}}

    run = sorted(finance)
    patches = forecast_ranges(read_states, run)["finance"]
    ranged = [d for d in run if patches[d.isoformat()]["month_end_net_range"] is not None]
    # The 6th month end (June 2025) brings the twelfth error, all -100.
    assert ranged[0] == date(2025, 7, 11)
    assert patches["2025-07-11"]["month_end_net_range"] == {"low": 1000.0, "high": 1000.0, "level_pct": 80, "errors": 12}
    assert patches["2025-06-11"]["month_end_net_range_reason"].startswith("10 comparable forecast(s)")
    # On 8 February 2026 the window (8 May 2025, 8 February 2026] holds May's to January's
    # month ends: nine, eighteen errors.
    assert patches["2026-02-08"]["month_end_net_range"]["errors"] == 18
    assert max(last for _, last in read) == max(run)



def test_a_patch_goes_where_attach_ranges_sets_it():
    from twin_pipeline.core.forecast_ranges import apply_patch

    month_end = {"low": -900.0, "high": 400.0, "level_pct": 80, "errors": 40}
    finance = {"status": "ok", "forecast": {"month_end_net_projected": -165.0, "budgets": [
        {"budget_id": "FOOD", "runs_out_on": "2026-12-27"}, {"budget_id": "FUEL", "runs_out_on": None}]}}
    patch = {"month_end_net_range": month_end, "month_end_net_range_reason": None,
             "budgets": {"FOOD": {"runs_out_range": {"earliest": "2026-12-26", "latest": "2026-12-29"},
                                  "runs_out_range_reason": None}}}
    assert apply_patch("finance", finance, patch) == {"status": "ok", "forecast": {
        "month_end_net_projected": -165.0, "month_end_net_range": month_end, "month_end_net_range_reason": None,
        "budgets": [{"budget_id": "FOOD", "runs_out_on": "2026-12-27",
                     "runs_out_range": {"earliest": "2026-12-26", "latest": "2026-12-29"},
                     "runs_out_range_reason": None},
                    {"budget_id": "FUEL", "runs_out_on": None}]}}
    health = {"status": "ok", "trends": {"weight_trend_kg_per_week": -0.2}}
    weight = {"weight_28d_range": None, "weight_28d_range_reason": "3 comparable forecast(s)"}
    assert apply_patch("health", health, weight) == {"status": "ok", "trends": {
        "weight_trend_kg_per_week": -0.2, **weight}}
    pantry = {"status": "ok", "forecast": {"categories": [{"category": "Rice"}, {"category": "Oil"}]}}
    rice = {"reaches_threshold_range": {"earliest": "2026-12-08"}, "reaches_threshold_range_reason": None}
    assert apply_patch("pantry", pantry, {"Rice": rice})["forecast"]["categories"] == [
        {"category": "Rice", **rice}, {"category": "Oil"}]
    # An unavailable section, or none of the objects the patch goes into: left as it is.
    assert apply_patch("finance", {"status": "unavailable"}, patch) == {"status": "unavailable"}
    assert apply_patch("health", {"status": "ok"}, weight) == {"status": "ok"}
