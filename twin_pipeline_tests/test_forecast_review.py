"""forecast_review in a real store on demo data: scored on the outcome day and never before,
the figures the rules give from the stored states, append-only (a rerun writes nothing, a
correction adds rows and keeps the old), per-day metadata and the tolerance check."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from dagster import AssetKey, DagsterInstance
from sqlalchemy import text

from twin_pipeline.demo import load_demo_data
from twin_pipeline.migrations import migrate
from twin_pipeline.reader import TwinReader
from twin_pipeline_tests.conftest import Sources, execute, materialize_days, states_of

FEB_END = date(2026, 2, 28)


def review_rows(sources, **where) -> list[dict]:
    clause = " AND ".join(f"{column} = :{column}" for column in where) or "true"
    with sources.twin.connect() as conn:
        return [dict(row) for row in conn.execute(text(
            f"SELECT * FROM twin_forecast_review WHERE {clause} ORDER BY made_on, kind, subject, created_at"
        ), where).mappings()]


@dataclass
class Scored:
    """A store scored on demo data from 1 Jan to 10 Mar 2026, in the two runs a person makes."""

    sources: Sources
    through_20th: list[dict]  # the review rows once the first run stopped on 20 Feb
    instance: DagsterInstance  # the second run's (21 Feb to 10 Mar), with its per-day metadata


def score_to_march_10(sources: Sources) -> Scored:
    migrate(sources.pantry, "pantry_history")
    load_demo_data(sources.finance, sources.training, sources.pantry, days=150, seed=7, end=date(2026, 3, 31))
    materialize_days(sources, date(2026, 1, 1), date(2026, 2, 20))
    through_20th = review_rows(sources)
    instance = DagsterInstance.ephemeral()
    materialize_days(sources, date(2026, 2, 21), date(2026, 3, 10), instance=instance)
    return Scored(sources, through_20th, instance)


@pytest.fixture(scope="module")
def scored(sources) -> Scored:
    """Read, never changed, by the tests that take it (the correction has a store of its own)."""
    return score_to_march_10(sources)


@pytest.fixture
def scored_apart(own_sources) -> Scored:
    """A scored store of its own, for a test that changes a source."""
    return score_to_march_10(own_sources)


def test_a_run_that_stops_on_the_20th_scores_none_of_the_months_month_end_forecasts(scored):
    rows = scored.through_20th
    assert rows, "January's month end, weights and pantry days are known by 20 Feb"
    assert max(row["outcome_on"] for row in rows) <= date(2026, 2, 20)
    assert not [row for row in rows if row["kind"] == "month_end_net" and row["made_on"] >= date(2026, 2, 1)]
    january = [row for row in rows if row["kind"] == "month_end_net"]
    # Made on 1..30 January: the forecast of the 31st is made on its outcome day, not scored.
    assert {row["outcome_on"] for row in january} == {date(2026, 1, 31)} and len(january) == 30


def test_month_end_forecasts_scored_on_the_last_day_from_the_stored_states(scored):
    demo, instance = scored.sources, scored.instance
    states = states_of(demo, [date(2026, 2, 1) + timedelta(days=n) for n in range(28)])
    rows = review_rows(demo, kind="month_end_net", outcome_on=FEB_END)
    assert [row["made_on"] for row in rows] == [date(2026, 2, 1) + timedelta(days=n) for n in range(27)]
    actual = Decimal(str(states[("finance", "2026-02-28")]["mtd_net"]))
    for row in rows:
        predicted = Decimal(str(states[("finance", row["made_on"].isoformat())]["forecast"]["month_end_net_projected"]))
        error = predicted - actual
        assert (row["subject"], row["predicted"], row["actual"], row["error"]) == ("PLN", predicted, actual, error)
        assert row["accuracy_pct"] == (100 - 100 * abs(error) / abs(actual)).quantize(Decimal("0.01"))
    # The day's metadata says what it scored.
    scored = instance.get_latest_materialization_event(AssetKey("forecast_review"))
    assert scored is not None
    events = instance.fetch_materializations(AssetKey("forecast_review"), limit=100).records
    by_day = {e.asset_materialization.partition: e.asset_materialization.metadata for e in events}
    assert by_day["2026-02-28"]["month_end_net"].value == 27
    assert by_day["2026-02-28"]["scored"].value == len(review_rows(demo, outcome_on=FEB_END))
    assert by_day["2026-02-27"].get("month_end_net") is None


def test_a_long_range_scored_in_blocks_of_outcome_days_scores_the_same(scored, monkeypatch):
    # Each block reads only the states its reviews may read (READ_BACK_DAYS back): blocks of 5
    # outcome days find exactly the forecasts the earlier whole-range runs scored, and add no row.
    from twin_pipeline.defs import forecast_review

    demo = scored.sources
    before, first, last = review_rows(demo), date(2026, 1, 1), date(2026, 3, 10)
    produced = []

    def spy(*args):
        found = real(*args)
        produced.extend(found)
        return found

    real = forecast_review.review_forecasts
    monkeypatch.setattr(forecast_review, "review_forecasts", spy)
    monkeypatch.setattr(forecast_review, "OUTCOME_DAYS_PER_BLOCK", 5)
    materialize_days(demo, first, last)
    assert review_rows(demo) == before
    scored = {(r["kind"], r["subject"], r["made_on"], r["outcome_on"]) for r in before if first <= r["outcome_on"] <= last}
    assert scored and {(r.kind, r.subject, r.made_on, r.outcome_on) for r in produced} == scored


def test_a_rerun_writes_nothing_and_a_correction_adds_rows_and_keeps_the_old(scored_apart):
    demo = scored_apart.sources
    before = review_rows(demo)
    result = materialize_days(demo, date(2026, 2, 21), date(2026, 3, 10))
    assert review_rows(demo) == before
    checks = result.get_asset_check_evaluations()
    assert [c.check_name for c in checks if c.asset_key == AssetKey("forecast_review")] == ["forecasts_within_tolerance"]

    # 100 PLN spent late on the 28th: every February month-end forecast's actual is 100 lower.
    execute(demo.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, "
            "merchant_source, category_id) VALUES ('LATE-1', '2026-02-28', 'Expense', 100, 'PLN', 'test', NULL)")
    materialize_days(demo, FEB_END)
    month_end = review_rows(demo, kind="month_end_net", outcome_on=FEB_END)
    assert len(month_end) == 2 * 27
    for made_on in {row["made_on"] for row in month_end}:
        old, new = [row for row in month_end if row["made_on"] == made_on]
        assert new["actual"] == old["actual"] - 100 and new["created_at"] > old["created_at"]
    # Nothing else on that day changed (the budgets' days did not: the category is none).
    assert len(review_rows(demo)) == len(before) + 27

    frame = TwinReader(engine=demo.twin).frame("forecast_review", "2026-02-01", "2026-02-28")
    february = frame[frame["kind"] == "month_end_net"]
    assert len(february) == 27 and (february["actual"] == float(month_end[-1]["actual"])).all()


def test_the_api_answers_rows_and_a_summary_get_and_post_with_the_key(scored):
    demo = scored.sources
    from twin_pipeline_tests.conftest import LocalClient

    from twin_pipeline.api import create_app

    token = "a-long-random-token"
    client = LocalClient(create_app(TwinReader(demo.finance_url), token=token, recheck_seconds=0))
    key = {"X-API-KEY": token}
    params = {"kind": "month_end_net", "start": "2026-02-01", "end": "2026-02-28"}
    assert client.get("/forecasts/review", params=params).status_code == 401
    body = client.get("/forecasts/review", params=params, headers=key).json()
    assert client.post("/forecasts/review", params=params, headers=key).json() == body
    rows = body["rows"]
    assert len(rows) == 27 and {row["outcome_on"] for row in rows} == {"2026-02-28"}
    accuracies = [Decimal(str(row["accuracy_pct"])) for row in rows]
    summary = body["summary"]["month_end_net"]
    assert summary["count"] == 27 and summary["threshold_pct"] == 80
    assert Decimal(str(summary["mean_accuracy_pct"])) == (sum(accuracies) / 27).quantize(Decimal("0.01"))
    assert Decimal(str(summary["median_accuracy_pct"])) == sorted(accuracies)[13]
    assert summary["within_threshold"] == sum(1 for a in accuracies if a >= 80)
    assert body["report"].startswith("Forecasts made from 2026-02-01 to 2026-02-28: 27 scored")
    # Every kind by default, over the whole history.
    assert set(client.get("/forecasts/review", headers=key).json()["summary"]) >= {"month_end_net", "budget_run_out"}
    for bad in ({"kind": "lottery"}, {"start": "2026-02-30"}, {"start": "2026-03-01", "end": "2026-02-01"}):
        answer = client.get("/forecasts/review", params=bad, headers=key)
        assert answer.status_code == 422 and answer.json()["report"].startswith("❌ Error:")


def test_the_dashboard_shows_month_end_accuracy_by_day_of_month_and_the_runout_errors(scored):
    demo = scored.sources
    from twin_pipeline_tests.conftest import LocalClient

    from twin_pipeline.api import create_app

    client = LocalClient(create_app(TwinReader(demo.finance_url), recheck_seconds=0))
    forecasts = client.get("/dashboard/data", params={"range": "all", "date": "2026-03-10"}).json()["data"]["forecasts"]
    current = {}
    for row in review_rows(demo):
        current[(row["kind"], row["subject"], row["made_on"])] = row  # oldest first: the newest stays
    month_end = sorted((r for r in current.values() if r["kind"] == "month_end_net" and r["outcome_on"] > r["made_on"]),
                       key=lambda r: r["made_on"])
    by_day: dict[int, list[Decimal]] = {}
    for row in month_end:
        by_day.setdefault(row["made_on"].day, []).append(row["accuracy_pct"])
    assert forecasts["day_of_month"] == sorted(by_day)
    # The lower median of each day of the month's accuracies.
    assert forecasts["month_end_accuracy_pct"] == [
        float(sorted(by_day[d])[(len(by_day[d]) - 1) // 2]) for d in sorted(by_day)]
    assert forecasts["threshold_pct"] == 80
    # The band: each projection, its range and its outcome, by the day it was made.
    band = forecasts["month_end_band"]
    assert band["made_on"] == [r["made_on"].isoformat() for r in month_end]
    assert band["predicted"] == [float(r["predicted"]) for r in month_end]
    assert band["actual"] == [float(r["actual"]) for r in month_end]
    assert band["low"] == [None if r["range_low"] is None else float(r["range_low"]) for r in month_end]
    assert forecasts["by_kind"]["month_end_net"]["count"] == sum(
        1 for r in current.values() if r["kind"] == "month_end_net" and r["made_on"] < r["outcome_on"] <= date(2026, 3, 10))
    runouts = {r["category_path"]: r for r in forecasts["runouts"]}
    errors = [r["error"] for r in current.values() if r["kind"] == "budget_run_out" and r["subject"] in runouts]
    assert sum(r["scored"] for r in runouts.values()) == len(errors) > 0
    assert [r["mean_absolute_error_days"] for r in forecasts["runouts"]] == sorted(
        (r["mean_absolute_error_days"] for r in forecasts["runouts"]), reverse=True)


def test_reviews_keep_any_subject_and_compare_by_value(sources):
    from twin_pipeline.core.forecast_review import Review
    from twin_pipeline.store.person import resolve_person
    from twin_pipeline.store.reviews import write_reviews

    odd = Review("pantry_threshold", 'Rice, "white" \\ {1} crème ✓', date(2021, 1, 1), date(2021, 1, 9), Decimal("10"),
                 Decimal("8"), Decimal("2"), Decimal("75.00"), None)
    with sources.twin.begin() as conn:
        person = resolve_person(conn, None)
        assert write_reviews(conn, person, [odd]) == 1
        # The same figures spelled otherwise (75 against 75.00) are the same review.
        assert write_reviews(conn, person, [odd._replace(accuracy_pct=Decimal("75"))]) == 0
        assert write_reviews(conn, person, [odd._replace(actual=Decimal("9"), error=Decimal("1"), accuracy_pct=Decimal("88.89"))]) == 1
        # A null and a reason with quotes, braces and a backslash go through whole.
        missing = odd._replace(made_on=date(2021, 1, 2), actual=None, error=None, accuracy_pct=None,
                               reason='not "reached" {by} \\ 2021-01-16, NULL')
        assert write_reviews(conn, person, [missing]) == 1
    (first, second) = review_rows(sources, made_on=date(2021, 1, 1))
    assert (first["subject"], first["actual"], second["actual"]) == (odd.subject, 8, 9)
    (none,) = review_rows(sources, made_on=date(2021, 1, 2))
    assert (none["actual"], none["error"], none["accuracy_pct"], none["accuracy_reason"]) == (
        None, None, None, missing.reason)


def test_the_sums_added_up_in_the_database_give_the_summaries_of_the_rows(scored):
    demo = scored.sources
    # The status line on the 1st and the tolerance check read review_totals.sql; the API and
    # the frame summarize rows in Python: both must say the same, to the cent.
    from twin_pipeline.core.forecast_review import review_line, summarize
    from twin_pipeline.store.person import resolve_person
    from twin_pipeline.store.reviews import review_totals, reviews_between

    with demo.twin.begin() as conn:
        person = resolve_person(conn, None)
        rows = reviews_between(conn, person)
        by_month = review_totals(conn, person, by_month=True)
        window = review_totals(conn, person, by_month=False, made_from=date(2026, 1, 15),
                               outcome_from=date(2026, 2, 1), outcome_to=date(2026, 2, 28)).get(None)
    months = sorted({row["outcome_on"].replace(day=1) for row in rows})
    assert len(months) >= 2
    for month in months:
        in_month = [row for row in rows if row["outcome_on"].replace(day=1) == month]
        assert by_month[month] == summarize(in_month)
    chosen = [row for row in rows
              if row["made_on"] >= date(2026, 1, 15) and date(2026, 2, 1) <= row["outcome_on"] <= date(2026, 2, 28)]
    assert window == summarize(chosen) and window["month_end_net"].count == 27
    february = summarize([row for row in rows if row["outcome_on"].replace(day=1) == date(2026, 2, 1)])
    line = review_line(date(2026, 2, 1), february)
    assert line and line.startswith("🎯 February's forecasts: month end ")
    with demo.twin.connect() as conn:
        (march_first,) = conn.execute(text(
            "SELECT summary_text FROM twin_daily_summary WHERE as_of = '2026-03-01'"
        )).one()
    assert line in march_first


def test_each_state_carries_ranges_from_the_errors_known_on_its_day_and_reviews_judge_them(scored):
    # The state of 5 March: the month end 26 days away and the weight 28 days away, each
    # ranged on the errors of the same kind and horizon bucket scored by 5 March (recomputed
    # here from the review rows): ranks floor(0.1 (n + 1)) and ceil(0.9 (n + 1)) of n >= 12.
    import math

    from twin_pipeline.core.forecast_ranges import bucket

    demo = scored.sources  # scored from 1 Jan to 10 Mar
    day = date(2026, 3, 5)
    states = states_of(demo, [day])
    with demo.twin.connect() as conn:
        rows = [dict(r) for r in conn.execute(text(
            "SELECT * FROM twin_forecast_review_current WHERE outcome_on <= :d AND outcome_on > made_on"),
            {"d": day}).mappings()]

    def expected(kind: str, horizon: int, point: Decimal) -> dict | None:
        errors = sorted(r["actual"] - r["predicted"] for r in rows if r["kind"] == kind and bucket(
            kind, (r["outcome_on"] - r["made_on"]).days if kind == "month_end_net" else 28) == bucket(kind, horizon))
        n = len(errors)
        if n < 12:
            return None
        low, high = errors[max(1, math.floor(0.1 * (n + 1))) - 1], errors[min(n, math.ceil(0.9 * (n + 1))) - 1]
        return {"low": float(point + low), "high": float(point + high), "level_pct": 80, "errors": n}

    finance = states[("finance", day.isoformat())]["forecast"]
    month_end = expected("month_end_net", 26, Decimal(str(finance["month_end_net_projected"])))
    assert finance["month_end_net_range"] == month_end
    assert (month_end is None) == (finance["month_end_net_range_reason"] is not None)
    health = states[("health", day.isoformat())]
    body = health["body_composition"]
    point = (Decimal(str(body["bodyweight_kg"])) + 4 * Decimal(str(health["trends"]["weight_trend_kg_per_week"]))
             ).quantize(Decimal("0.01"))
    weight = expected("weight_28d", 28, point)
    assert weight is not None and health["trends"]["weight_28d_range"] == {
        **weight, "low": round(weight["low"], 2), "high": round(weight["high"], 2)}
    # Every review made with a range keeps the range its state gave, in days after the day
    # made for a day, and in_range says whether the actual fell inside it.
    ranged = [r for r in review_rows(demo) if r["range_low"] is not None]
    assert {r["kind"] for r in ranged} >= {"budget_run_out", "pantry_threshold"}
    states = states_of(demo, sorted({r["made_on"] for r in ranged}))
    for r in ranged:
        made_on = r["made_on"].isoformat()
        if r["kind"] == "budget_run_out":
            budgets = states[("finance", made_on)]["forecast"]["budgets"]
            made = next(b["runs_out_range"] for b in budgets if (b["category_path"] or b["budget_id"]) == r["subject"])
        elif r["kind"] == "pantry_threshold":
            categories = states[("pantry", made_on)]["forecast"]["categories"]
            made = next(c["reaches_threshold_range"] for c in categories if c["category"] == r["subject"])
        else:
            continue
        assert (r["range_low"], r["range_high"]) == (
            (date.fromisoformat(made["earliest"]) - r["made_on"]).days, (date.fromisoformat(made["latest"]) - r["made_on"]).days)
        if r["actual"] is not None:
            assert r["in_range"] == (r["range_low"] <= r["actual"] <= r["range_high"])
        else:  # not low by the threshold day + 14: held when the range reaches past it
            assert r["in_range"] == (r["range_high"] > r["predicted"] + 14)


def test_the_tolerance_check_warns_on_ranges_that_did_not_hold_or_a_median_below_the_bar():
    from twin_pipeline.core.forecast_review import KindTotals, summaries
    from twin_pipeline.defs.forecast_review import tolerance_check

    def totals(kind: str, median: str, ranged: int, held: int) -> KindTotals:
        return KindTotals(kind, 100, 100, Decimal(-5000), 100, Decimal(100), 50, Decimal(median), ranged, held, None)

    good = summaries([totals("month_end_net", "85", 100, 80), totals("pantry_threshold", "10", 100, 66)])
    result = tolerance_check(good, date(2026, 3, 10))
    # A pantry median of 10 % does not count (days are judged in days), nor the mean of -50 %.
    assert result.passed and result.metadata["below_threshold"].value == "none"
    assert result.metadata["month_end_net_coverage_pct"].value == 80.0
    assert result.metadata["month_end_net_median_accuracy_pct"].value == 85.0
    held_too_rarely = summaries([totals("month_end_net", "85", 100, 64), totals("weight_28d", "84", 10, 9)])
    result = tolerance_check(held_too_rarely, date(2026, 3, 10))
    assert not result.passed and result.metadata["below_threshold"].value == "month_end_net, weight_28d"
