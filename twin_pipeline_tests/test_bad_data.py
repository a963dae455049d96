"""Bad rows in databases without the contract's constraints: each handled by a rule of
docs/operations.md ("Bad data") or reported by a check, none crashing a run."""

from datetime import timedelta

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import text

from twin_pipeline_tests.conftest import create_sources, daily_assets, execute, states_of, today

TODAY = today()
D = TODAY - timedelta(days=1) if TODAY.day > 1 else TODAY

DROP_CONSTRAINTS = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
             WHERE connamespace = 'public'::regnamespace AND contype IN ('c', 'f', 'p', 'u')
             AND conrelid IN (SELECT oid FROM pg_class WHERE relispartition IS FALSE)
             AND conrelid::regclass::text NOT LIKE 'twin\_%' AND conrelid::regclass::text <> 'person'
             AND conrelid::regclass::text <> 'digital_twin_updates'  -- the twin store shares the finance database
             ORDER BY contype = 'p'  -- foreign keys before the keys they reference
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I CASCADE', r.tbl, r.conname);
    END LOOP;
END $$
"""


@pytest.fixture(scope="module")
def messy(sources, pg_server):
    messy = create_sources(pg_server, "bad_data", sources.twin_home)
    for engine in (messy.finance, messy.training, messy.pantry):
        execute(engine, DROP_CONSTRAINTS)
    execute(messy.finance, "ALTER TABLE transactions ALTER COLUMN amount TYPE numeric")  # no precision limit
    month = D.replace(day=1)
    execute(messy.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Food 🍎', '*Snacks* <b>', 'Expense'), (2, 'Income', 'Salary', 'Income')")
    execute(
        messy.finance,
        "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, merchant_source, category_id) "
        "VALUES (:i, :d, :t, :a, :c, 'x', :k)",
        [
            {"i": "S", "d": month, "t": "Income", "a": 5000, "c": "PLN", "k": 2},
            {"i": "S", "d": month, "t": "Income", "a": 5000, "c": "PLN", "k": 2},  # the same key twice
            {"i": "N", "d": month, "t": "Expense", "a": None, "c": "PLN", "k": 1},  # no amount
            {"i": "M", "d": month, "t": "Expense", "a": -50, "c": "PLN", "k": 1},  # negative
            {"i": "C", "d": month, "t": "Expense", "a": 100, "c": None, "k": 1},  # no currency
            {"i": "Z", "d": month, "t": "Expense", "a": 10, "c": "zł", "k": 1},  # not a currency code
            {"i": "L", "d": month, "t": "Income", "a": 900000000000, "c": "PLN", "k": 2},  # very large
            {"i": "F", "d": TODAY + timedelta(days=10), "t": "Expense", "a": 77, "c": "PLN", "k": 1},  # future
        ],
    )
    execute(messy.finance, "INSERT INTO budgets (budget_id, budget_year, budget_month, type, category_id, "
            "budget_amount, alert_threshold, priority, is_active) VALUES ('B1', :y, :m, 'Expense', 1, 50, 80, 'High', true)",
            {"y": D.year, "m": D.month})
    execute(messy.training, "INSERT INTO workouts (workout_date, template_id) VALUES (:d, 'A'), (:d, 'A')", {"d": D})
    execute(
        messy.training,
        "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) VALUES (:j, 120, NULL), (:a, 80, 20), "
        "(:b, 0, NULL), (:c, 900, 80), (:d, 81, 80)",
        # 120 kg, then 80 kg two days later: within 40..200, but 20 kg a day is no body's change.
        {"j": D - timedelta(days=5), "a": D - timedelta(days=3), "b": D - timedelta(days=2),
         "c": D - timedelta(days=1), "d": D},
    )
    execute(messy.pantry, "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold, updated_at) "
            "VALUES ('Rice 🍚', -3, 1, now()), ('`code`', NULL, 2, now()), ('Milk', 5, NULL, now())")
    result = materialize(
        daily_assets(), resources=messy.resources(), tags={
            "dagster/asset_partition_range_start": D.isoformat(), "dagster/asset_partition_range_end": TODAY.isoformat(),
        }, instance=DagsterInstance.ephemeral(),
    )
    yield messy, result
    messy.dispose()


def test_no_bad_row_crashes_a_run(messy):
    assert messy[1].success


def test_money_rules_duplicates_once_no_amount_left_out_currency_defaulted(messy):
    twin, _ = messy
    finance = states_of(twin, [D])[("finance", D.isoformat())]
    assert finance["status"] == "ok"
    assert finance["mtd_income"] == 900000005000.0  # the duplicate key once, the large amount kept
    assert finance["mtd_expense"] == 100.0  # no amount and negative left out; no currency = PLN
    assert finance["by_currency"]["ZŁ"]["mtd_expense"] == 10.0  # reported as written, and flagged


def test_body_rules_impossible_weights_ignored_impossible_body_fat_unknown(messy):
    twin, _ = messy
    health = states_of(twin, [D])[("health", D.isoformat())]
    assert health["body_composition"] == {
        "measurement_date": D.isoformat(), "bodyweight_kg": 81.0, "bodyfat_pct": None, "lean_mass_kg": None,
        "weight_change_kg": 1.0, "weight_trend": "GAINING",  # against 80 kg, skipping 0 and 900
        "source": "measurements",
    }
    assert health["workouts_last_7_days"] == 1  # the same workout twice is one
    # The 120 -> 80 kg jump makes the 28-day trend null with a reason, never a wild slope.
    assert health["trends"]["weight_trend_kg_per_week"] is None
    assert "implausible weight change" in health["trends"]["weight_trend_kg_per_week_reason"]


def test_pantry_negative_is_none_left_unknown_quantity_is_not_low(messy):
    twin, _ = messy
    pantry = states_of(twin, [TODAY])[("pantry", TODAY.isoformat())]
    assert pantry["low_stock"] == ["Rice 🍚"]


def test_names_are_shown_literally_in_the_summary(messy):
    twin, _ = messy
    with twin.twin.connect() as conn:
        summary = conn.execute(
            text("SELECT summary_text FROM twin_daily_summary WHERE as_of = :d"), {"d": TODAY}
        ).scalar()
    assert "(Food 🍎 > \\*Snacks\\* \\<b>)" in summary
    assert "low stock (Rice 🍚)" in summary


def test_checks_report_what_the_rules_handled(messy):
    _, result = messy
    found = {
        (e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()
    }
    finance = found[("finance", "plausible_values")]
    assert not finance.passed
    assert {k: v.value for k, v in finance.metadata.items()} == {
        "non_positive_amounts": 2, "unknown_types": 0, "unknown_currencies": 1, "very_large_amounts": 1,
        "future_dated": 1, "duplicate_keys": 1,
    }
    training = found[("training", "plausible_values")]
    assert {k: v.value for k, v in training.metadata.items()} == {
        "weight_out_of_range": 2, "bodyfat_out_of_range": 2, "future_dated": 0, "implausible_weight_changes": 1,
    }
    pantry = found[("pantry", "plausible_values")]
    assert {k: v.value for k, v in pantry.metadata.items()} == {
        "negative_quantities": 1, "missing_quantities": 1, "missing_thresholds": 1,
        "negative_quantities_in_forecast_window": 0,  # no history capture here: no forecast window
    }
    assert found[("finance", "reconciles_with_source")].passed
    assert found[("pantry", "fresh")].passed and found[("training", "fresh")].passed
