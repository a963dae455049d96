"""Every day of a range run carries its own metadata in Dagster (its figures, its text, what
was written), exactly as a single-day run of that day does."""

from __future__ import annotations

from datetime import date, timedelta

from dagster import AssetKey, DagsterInstance
from dagster._core.event_api import AssetRecordsFilter

from twin_pipeline_tests.conftest import execute, materialize_days

FIRST = date(2025, 5, 1)
DAYS = [FIRST + timedelta(days=i) for i in range(4)]


def _metadata(instance, asset: str, day: date) -> dict:
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[day.isoformat()]), limit=1
    ).records
    assert records, f"no materialization of {asset} for {day}"
    return {key: value.value for key, value in records[0].asset_materialization.metadata.items()}


def test_each_day_of_a_range_run_has_its_own_figures_and_text(sources):
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
                             "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Work', 'Salary', 'Income')")
    for i, day in enumerate(DAYS):  # 10, 20, 30, 40 PLN of groceries, one purchase a day
        execute(sources.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, "
                                 "merchant_source, category_id) VALUES (:id, :d, 'Expense', :a, 'PLN', 'shop', 1)",
                {"id": f"T{i}", "d": day, "a": 10 * (i + 1)})
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg) VALUES (:a, 80), (:b, 79.5)",
            {"a": DAYS[0], "b": DAYS[2]})
    with DagsterInstance.ephemeral() as instance:
        materialize_days(sources, DAYS[0], DAYS[-1], instance=instance)
        # Month to date, each day its own: -10, -30, -60, -100.
        assert [_metadata(instance, "finance", day)["mtd_net"] for day in DAYS] == [-10.0, -30.0, -60.0, -100.0]
        assert [_metadata(instance, "training", day)["bodyweight_kg"] for day in DAYS] == [80.0, 80.0, 79.5, 79.5]
        for day, spent in zip(DAYS, ("-10.00", "-30.00", "-60.00", "-100.00")):
            summary = _metadata(instance, "daily_summary", day)
            assert summary["summary_text"].startswith(f"📊 AUTONOMOUS LIVING STATUS · {day.isoformat()}")
            assert f"💰 Finance: {spent} PLN MTD" in summary["summary_text"]
            written = _metadata(instance, "twin_state", day)
            assert written["finance_written"] == "new" and written["rows_written"] == 3
            # The run's counts are still there, on every day.
            assert _metadata(instance, "finance", day)["run_days"] == 4
        # A second run of the range writes nothing new, and says so for each day.
        materialize_days(sources, DAYS[0], DAYS[-1], instance=instance)
        assert {_metadata(instance, "twin_state", day)["finance_written"] for day in DAYS} == {"unchanged"}
        assert {_metadata(instance, "twin_state", day)["rows_written"] for day in DAYS} == {0}
