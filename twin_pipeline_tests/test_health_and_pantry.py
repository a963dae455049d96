"""Health and pantry as of a day, on crafted rows in a real PostgreSQL."""

from datetime import date, timedelta

import pytest

from twin_pipeline_tests.conftest import execute, materialize_days, states_of

D = date(2025, 6, 20)


@pytest.fixture(scope="module")
def health(sources):
    execute(
        sources.training,
        "INSERT INTO workout_templates (template_id, template_name, workout_type) VALUES "
        "('LOW', 'Lower', 'HIT Lower'), ('UP', 'Upper', 'HIT Upper')",
    )
    execute(
        sources.training,
        "INSERT INTO workouts (workout_date, template_id, duration_min) VALUES (:d, :t, 30)",
        [
            {"d": D - timedelta(days=10), "t": "LOW"},
            {"d": D - timedelta(days=6), "t": "UP"},
            {"d": D - timedelta(days=3), "t": "LOW"},
            {"d": D, "t": "LOW"},
            {"d": D, "t": "UP"},
            {"d": D + timedelta(days=1), "t": "UP"},  # after D: must not leak into D
        ],
    )
    execute(
        sources.training,
        "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) VALUES (:d, :w, :f)",
        [
            {"d": D - timedelta(days=5), "w": "80.00", "f": "20.00"},
            {"d": D - timedelta(days=2), "w": "80.80", "f": None},
            {"d": D + timedelta(days=1), "w": "70.00", "f": "10.00"},
        ],
    )
    days = [D - timedelta(days=12), D - timedelta(days=7), D - timedelta(days=3), D - timedelta(days=1), D]
    materialize_days(sources, days[0], D)
    return {day: states_of(sources, [day])[("health", day.isoformat())] for day in days}


def test_workouts_as_of_each_day(health):
    on_d = health[D]
    assert on_d["last_workout_date"] == D.isoformat()
    assert on_d["days_since_last_workout"] == 0
    assert on_d["workouts_last_7_days"] == 4  # D-6, D-3 and two on D; D-10 is outside, D+1 is after

    day_before = health[D - timedelta(days=1)]
    assert day_before["last_workout_date"] == (D - timedelta(days=3)).isoformat()
    assert day_before["days_since_last_workout"] == 2
    assert day_before["workouts_last_7_days"] == 2

    week_before = health[D - timedelta(days=7)]
    assert week_before["last_workout_date"] == (D - timedelta(days=10)).isoformat()
    assert week_before["workouts_last_7_days"] == 1


def test_body_composition_is_the_latest_on_or_before_the_day(health):
    on_d = health[D]["body_composition"]
    assert on_d == {
        "measurement_date": (D - timedelta(days=2)).isoformat(),
        "bodyweight_kg": 80.8,
        "bodyfat_pct": None,
        "lean_mass_kg": None,  # never the view's 20 % guess
        "weight_change_kg": 0.8,
        "weight_trend": "GAINING",
        "source": "measurements",  # no biometrics rows: training's table alone
    }
    earlier = health[D - timedelta(days=3)]["body_composition"]
    assert earlier["measurement_date"] == (D - timedelta(days=5)).isoformat()
    assert earlier["lean_mass_kg"] == 64.0
    assert health[D]["status"] == "ok"


def test_a_day_before_any_data_is_degraded_and_says_why(health):
    first = health[D - timedelta(days=12)]
    assert first["status"] == "degraded"
    assert first["body_composition"] is None and first["last_workout_date"] is None
    assert "no body measurement on or before" in first["error"]


@pytest.fixture(scope="module")
def pantry(sources, clock):
    """The inventory around the clock's today (each clock of the module replaces it)."""
    today = clock.today
    items = [
        ("Rice", "1", "2", None),  # low
        ("Eggs", "2", "2", None),  # low: at the threshold counts
        ("Flour", "0", None, None),  # no threshold: never low
        ("Milk", "5", "1", today + timedelta(days=3)),  # expiring soon (window edge)
        ("Salt", "5", "1", today),  # expiring soon (today)
        ("Pasta", "5", "1", today + timedelta(days=4)),  # outside the window
        ("Coffee", "5", "1", today - timedelta(days=1)),  # expired
    ]
    execute(sources.pantry, "DELETE FROM pantry_inventory")
    execute(
        sources.pantry,
        "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold, next_expiry) "
        "VALUES (:c, :q, :t, :e)",
        [{"c": c, "q": q, "t": t, "e": e} for c, q, t, e in items],
    )
    return sources


def test_pantry_thresholds_and_expiry_window_today(pantry, frozen_today):
    today = frozen_today
    materialize_days(pantry, today - timedelta(days=1), today)
    states = states_of(pantry, [today, today - timedelta(days=1)])
    pantry_state = states[("pantry", today.isoformat())]
    assert pantry_state["status"] == "ok"
    assert pantry_state["categories"] == 7
    assert (pantry_state["low_stock_count"], pantry_state["low_stock"]) == (2, ["Eggs", "Rice"])
    assert (pantry_state["expiring_soon_count"], pantry_state["expiring_soon"]) == (2, ["Milk", "Salt"])
    assert (pantry_state["expired_count"], pantry_state["expired"]) == (1, ["Coffee"])

    yesterday = states[("pantry", (today - timedelta(days=1)).isoformat())]
    assert yesterday["status"] == "unavailable"  # today's inventory is never labelled as a past day
    assert today.isoformat() in yesterday["error"]


def test_expiry_window_is_configurable(pantry, frozen_today):
    materialize_days(pantry, frozen_today, expiry_window_days=4)
    state = states_of(pantry, [frozen_today])[("pantry", frozen_today.isoformat())]
    assert state["expiring_soon"] == ["Milk", "Pasta", "Salt"]
