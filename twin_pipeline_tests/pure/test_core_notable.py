"""What is notable on a day (core/notable.py), against baselines and z-scores worked by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from twin_pipeline.core.notable import (
    WatchedMetric,
    baseline,
    metric_value,
    notable_day,
    notable_days,
    notice_text,
    out_of_norm,
    push_candidates,
    push_due,
    status_line,
)

DAY = date(2026, 3, 14)  # a Saturday
READINESS = WatchedMetric("health.readiness", "biometrics.readiness_score", "Readiness", resolution=1,
                          measured_on="biometrics.measurement_date")
SPENDING = WatchedMetric("finance.spending", "mtd_expense", "Spending today", resolution=0.01, money=True,
                         month_to_date=True, weekly=True, side="above")


def window(values: list[float], day: date = DAY) -> dict[date, float]:
    """values[0] on day-28 ... values[-1] on day-1."""
    return {day - timedelta(days=len(values) - i): v for i, v in enumerate(values)}


def readiness_norm() -> dict[date, float]:
    # median 80; deviations fourteen 0 and fourteen 2: MAD 1, spread 1.4826
    return window([80] * 14 + [78] * 7 + [82] * 7)


def test_baseline_median_mad_and_z_worked_by_hand():
    norm = baseline(READINESS, DAY, readiness_norm())
    assert (norm.median, norm.mad, norm.days) == (80, 1, 28)
    assert norm.spread == pytest.approx(1.482602, abs=1e-6)
    assert norm.z(52) == pytest.approx(-18.885713, abs=1e-6)
    assert norm.z(75) == pytest.approx(-3.3725, abs=1e-4)


def test_fewer_than_fourteen_known_values_give_no_baseline():
    values = {d: v for d, v in readiness_norm().items() if d.day % 2 == 0}
    assert len(values) == 14 and baseline(READINESS, DAY, values) is not None
    values.pop(min(values))
    assert baseline(READINESS, DAY, values) is None


def test_start_beyond_three_end_only_within_two():
    values = readiness_norm()
    assert out_of_norm(READINESS, DAY, {**values, DAY: 77}, None, None) is None  # z -2.02: not started
    started = out_of_norm(READINESS, DAY, {**values, DAY: 75}, None, None)  # z -3.37
    assert started.text == "⚠️ Readiness 75 (usually 80)"
    assert started.baseline == {"median": 80, "mad": 1, "days": 28}
    active = {"key": "health.readiness", "kind": "out_of_norm", "value": 75, "text": started.text,
              "baseline": started.baseline, "started_on": DAY.isoformat()}
    assert out_of_norm(READINESS, DAY, {**values, DAY: 77}, active, None) is not None  # z -2.02: lasts
    assert out_of_norm(READINESS, DAY, {**values, DAY: 78}, active, None) is None  # z -1.35: ends


def test_a_metric_notable_on_one_side_only():
    values = readiness_norm()  # median 80, spread 1.4826
    below = WatchedMetric("health.readiness", "biometrics.readiness_score", "Readiness", resolution=1, side="below")
    assert out_of_norm(below, DAY, {**values, DAY: 85}, None, None) is None  # z +3.37: a better night
    assert out_of_norm(below, DAY, {**values, DAY: 75}, None, None).value == 75  # z -3.37
    assert out_of_norm(READINESS, DAY, {**values, DAY: 85}, None, None).value == 85  # both sides


def test_mad_of_zero_falls_back_to_the_mean_deviation_then_the_resolution():
    # twenty 80s and eight 81s: MAD 0; mean deviation 8/28 * 1.2533 = 0.358 < the resolution 1
    values = window([80] * 20 + [81] * 8)
    norm = baseline(READINESS, DAY, values)
    assert (norm.median, norm.mad, norm.spread) == (80, 0, 1)
    assert out_of_norm(READINESS, DAY, {**values, DAY: 83}, None, None) is None  # z 3
    assert out_of_norm(READINESS, DAY, {**values, DAY: 84}, None, None) is not None  # z 4
    hrv = WatchedMetric("health.hrv", "biometrics.hrv_ms", "HRV", resolution=0.01, unit=" ms")
    spread_values = window([50.0] * 20 + [51.0] * 8)
    assert baseline(hrv, DAY, spread_values).spread == pytest.approx(8 / 28 * 1.2533141, abs=1e-6)


def test_weekly_metric_compares_with_the_same_weekdays():
    # Saturdays 300, other days 100; the first two weeks +5, the last two -5: each weekday's
    # median is its base, every residual is 5 away: MAD 5, spread 7.413
    values = {}
    for back in range(28, 0, -1):
        day = DAY - timedelta(days=back)
        values[day] = (300 if day.weekday() == 5 else 100) + (5 if back > 14 else -5)
    norm = baseline(SPENDING, DAY, values)
    assert (norm.median, norm.mad) == (300, 5)
    assert norm.spread == pytest.approx(7.413011, abs=1e-6)
    assert out_of_norm(SPENDING, DAY, {**values, DAY: 300}, None, "PLN") is None  # a usual Saturday
    assert out_of_norm(SPENDING, DAY, {**values, DAY: 200}, None, "PLN") is None  # z -13.5: less is no news
    found = out_of_norm(SPENDING, DAY, {**values, DAY: 340}, None, "PLN")  # z 5.4
    assert found.text == "⚠️ Spending today 340 PLN (usually 300 PLN on Saturdays)"
    # a Saturday's 300 on the Friday before: its window's Fridays are 95, 105, 105
    friday = DAY - timedelta(days=1)
    friday_values = {**values, friday: 300}
    assert baseline(SPENDING, friday, friday_values).median == 105
    assert out_of_norm(SPENDING, friday, friday_values, None, "PLN").text == (
        "⚠️ Spending today 300 PLN (usually 105 PLN on Fridays)")


def test_a_trending_metric_is_judged_against_its_line():
    weight = WatchedMetric("health.weight", "w", "Weight", resolution=0.1, places=1, unit=" kg", trend=True)
    # a steady cut of 0.1 kg a day, the days alternately 0.2 kg above and below the line
    values = {DAY - timedelta(days=back): 80 + 0.1 * back + (0.2 if back % 2 else -0.2) for back in range(28, 0, -1)}
    norm = baseline(weight, DAY, values)
    assert norm.median == pytest.approx(80.0, abs=1e-9)  # the line on the day, not the window's 81.4
    assert norm.spread == pytest.approx(0.2 * 1.482602, abs=1e-6)
    assert out_of_norm(weight, DAY, {**values, DAY: 80.4}, None, None) is None  # z 1.35 on the cut
    found = out_of_norm(weight, DAY, {**values, DAY: 82.0}, None, None)  # 2 kg up: z 6.7
    assert found.text == "⚠️ Weight 82.0 kg (usually 80.0 kg)"
    flat = WatchedMetric("health.weight", "w", "Weight", resolution=0.1)
    assert out_of_norm(flat, DAY, {**values, DAY: 82.0}, None, None) is None  # against the median: z 0.74


def test_month_to_date_metric_is_the_day_increase():
    finance = {"status": "ok", "mtd_expense": 1250.5}
    assert metric_value(SPENDING, date(2026, 3, 1), finance, {"status": "ok", "mtd_expense": 9000}) == 1250.5
    assert metric_value(SPENDING, date(2026, 3, 2), finance, {"status": "ok", "mtd_expense": 1000}) == 250.5
    assert metric_value(SPENDING, date(2026, 3, 2), finance, None) is None
    stale = {"status": "ok", "biometrics": {"readiness_score": 70, "measurement_date": "2026-03-01"}}
    assert metric_value(READINESS, date(2026, 3, 2), stale, None) is None  # last reading, not the day's


def health(day: date, readiness: float) -> dict:
    return {"status": "ok", "biometrics": {"readiness_score": readiness, "measurement_date": day.isoformat()}}


def test_a_condition_is_new_once_and_carries_its_start():
    start = DAY - timedelta(days=40)
    days = [start + timedelta(days=i) for i in range(43)]  # up to DAY + 2
    documents = {day: {"health": health(day, 80 + (day.toordinal() % 3) - 1)} for day in days}
    for day in (DAY, DAY + timedelta(days=1)):
        documents[day] = {"health": health(day, 55)}
    documents[DAY + timedelta(days=2)] = {"health": health(DAY + timedelta(days=2), 80)}
    found = notable_days(days[29:], start, [READINESS], documents, [])
    assert found[DAY - timedelta(days=1)] == []
    first, second = found[DAY][0], found[DAY + timedelta(days=1)][0]
    assert (first["new"], first["started_on"], first["value"]) == (True, DAY.isoformat(), 55)
    assert first["text"] == "⚠️ Readiness 55 (usually 80)"
    assert (second["new"], second["started_on"]) == (False, DAY.isoformat())
    assert found[DAY + timedelta(days=2)] == []


def test_nothing_notable_or_new_while_the_norm_is_learnt():
    first_day = DAY - timedelta(days=27)
    documents = {first_day + timedelta(days=i): {"health": health(first_day + timedelta(days=i), 80)} for i in range(27)}
    documents[DAY] = {"health": health(DAY, 20), "pantry": {"status": "ok", "low_stock": ["Rice"]}}
    items = notable_day(DAY, first_day, [READINESS], documents, [])
    assert [(i["key"], i["new"]) for i in items] == [("pantry.low.Rice", False)]


def finance(budgets=(), planned=()) -> dict:
    return {"status": "ok", "currency": "PLN", "forecast": {"budgets": list(budgets), "planned_expenses": list(planned)}}


def test_needs_action_each_once_when_it_starts():
    first_day = DAY - timedelta(days=100)
    groceries = {"budget_id": "B-2026-03-FOOD", "category_path": "Food > Groceries", "status": "runs_out",
                 "runs_out_on": "2026-03-27"}
    later = {**groceries, "budget_id": "B-2026-03-FUN", "runs_out_on": "2026-04-02"}
    insurance = {"name": "Car insurance", "expense_date": "2026-03-15", "amount": 1200}
    goals = [{"goal_code": "G-1", "name": "Marathon", "status": "Active", "target_date": date(2026, 3, 13)},
             {"goal_code": "G-2", "name": "Done", "status": "Completed", "target_date": date(2026, 3, 1)}]
    documents = {DAY: {"finance": finance([groceries, later], [insurance]),
                       "pantry": {"status": "ok", "low_stock": ["Rice"], "expiring_soon": ["Milk"], "expiry_window_days": 3}}}
    items = notable_day(DAY, first_day, [], documents, [], goals)
    assert {i["key"]: i["text"] for i in items} == {
        "finance.budget.B-2026-03-FOOD": "⚠️ Groceries budget runs out by the 27th",
        "finance.planned.Car insurance.2026-03-15": "⚠️ Tomorrow: Car insurance 1,200.00 PLN",
        "pantry.low.Rice": "⚠️ Rice is running low",
        "pantry.expiring.Milk": "⚠️ Milk expires within 3 days",
        "goals.G-1": "⚠️ G-1 Marathon is past its target (2026-03-13)",
    }
    assert all(i["new"] and i["kind"] == "needs_action" for i in items)
    next_day = DAY + timedelta(days=1)
    documents[next_day] = {"finance": finance([groceries]), "pantry": {"status": "ok", "low_stock": ["Rice"]}}
    following = notable_day(next_day, first_day, [], documents, items, goals)
    assert [(i["key"], i["new"], i["started_on"]) for i in following] == [
        ("finance.budget.B-2026-03-FOOD", False, DAY.isoformat()),
        ("pantry.low.Rice", False, DAY.isoformat()),
        ("goals.G-1", False, DAY.isoformat()),
    ]
    assert notice_text(following) is None and status_line(following) is None
    assert status_line(items).startswith("⚠️ Groceries budget runs out by the 27th · Tomorrow: Car insurance")
    assert notice_text(items).splitlines()[0] == "⚠️ Groceries budget runs out by the 27th"


def test_a_budget_forecast_to_run_out_stays_notable_until_its_month_ends():
    first_day = DAY - timedelta(days=100)
    groceries = {"budget_id": "B-2026-03-FOOD", "category_path": "Food > Groceries", "status": "runs_out",
                 "runs_out_on": "2026-03-30"}
    lasts = {**groceries, "status": "lasts", "runs_out_on": None}
    wavering = [groceries, lasts, groceries, lasts]  # the 14th to the 17th
    documents = {DAY + timedelta(days=i): {"finance": finance([budget])} for i, budget in enumerate(wavering)}
    found = notable_days(sorted(documents), first_day, [], documents, [])
    assert [[(i["key"], i["new"], i["started_on"]) for i in found[day]] for day in sorted(found)] == [
        [("finance.budget.B-2026-03-FOOD", new, DAY.isoformat())] for new in (True, False, False, False)]
    assert found[DAY + timedelta(days=1)][0]["text"] == "⚠️ Groceries budget runs out by the 30th"
    # A new month: the carried item ends with March, April's budget starts its own.
    april = date(2026, 4, 1)
    documents = {april: {"finance": finance([{**lasts, "budget_id": "B-2026-04-FOOD"}])}}
    assert notable_day(april, first_day, [], documents, found[DAY + timedelta(days=3)]) == []


def item(key: str, kind: str, started_on: date, new: bool = False) -> dict:
    return {"key": key, "kind": kind, "started_on": started_on.isoformat(), "new": new, "value": None,
            "baseline": None, "text": f"⚠️ {key}"}


def test_the_push_owes_what_started_in_the_last_two_weeks_after_the_norm_was_learnt():
    first_day = DAY - timedelta(days=40)  # the norm is learnt from DAY - 12 on
    items = [item("pantry.low.Rice", "needs_action", DAY - timedelta(days=13)),
             item("pantry.low.Oats", "needs_action", DAY - timedelta(days=12)),
             item("pantry.low.Salt", "needs_action", DAY - timedelta(days=20)),
             item("health.hrv", "out_of_norm", DAY, new=True)]
    assert [i["key"] for i in push_candidates(DAY, items, first_day)] == ["pantry.low.Oats", "health.hrv"]
    # Long learnt: what started 14 days ago or more is no longer owed (the briefing lists it).
    items.append(item("pantry.low.Tea", "needs_action", DAY - timedelta(days=14)))
    assert [i["key"] for i in push_candidates(DAY, items, DAY - timedelta(days=100))] == [
        "pantry.low.Rice", "pantry.low.Oats", "health.hrv"]
    later_start = DAY - timedelta(days=20)  # learnt from DAY + 8: nothing is owed yet
    assert push_candidates(DAY, items, later_start) == []


def test_needs_action_waits_a_week_for_the_next_push_unless_named_to_go_at_once():
    rice = item("pantry.low.Rice", "needs_action", DAY - timedelta(days=6))
    insurance = item("finance.planned.Car insurance.2026-03-15", "needs_action", DAY, new=True)
    assert not push_due(DAY, [rice, insurance])
    assert push_due(DAY + timedelta(days=1), [rice, insurance])  # Rice has waited 7 days
    assert push_due(DAY, [rice, insurance], at_once=("finance.planned",))
    assert not push_due(DAY, [rice, insurance], at_once=("finance.budget", "goals"))
    assert push_due(DAY, [rice, item("health.readiness", "out_of_norm", DAY - timedelta(days=1))])
    assert not push_due(DAY, [])


def test_the_robust_line_and_the_mad_worked_by_hand():
    from twin_pipeline.core.notable import median_absolute_deviation, theil_sen

    # Slopes of the six pairs: 2, 0.5, 4/3, -1, 1, 3; their median (1 + 4/3) / 2 = 7/6;
    # intercept median(y) - slope * median(x) = 2.5 - 7/6 * 1.5 = 0.75.
    slope, intercept = theil_sen(np.array([1.0, 3.0, 2.0, 5.0]), np.array([0.0, 1.0, 2.0, 3.0]))
    assert slope == pytest.approx(7 / 6) and intercept == pytest.approx(0.75)
    # Deviations from the median 2.5: 1.5, 0.5, 0.5, 2.5; their median 1.0.
    assert median_absolute_deviation(np.array([1.0, 3.0, 2.0, 5.0])) == 1.0
