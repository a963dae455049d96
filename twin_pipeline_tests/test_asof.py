"""History you can trust: every value as of its day, and a range run equal to single-day runs."""

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from twin_pipeline.demo import load_demo_data
from twin_pipeline.migrations import migrate
from twin_pipeline_tests.conftest import count_state_rows, execute, materialize_days, settings_for_tests, states_of

END = date(2024, 11, 15)  # 400 days: a leap day, both 2024 DST changes, many month ends
START = END - timedelta(days=399)
WARSAW = ZoneInfo("Europe/Warsaw")


@pytest.fixture(scope="module")
def demo(sources):
    migrate(sources.pantry, "pantry_history")
    load_demo_data(sources.finance, sources.training, sources.pantry, days=400, seed=11, end=END,
                   biometrics=sources.health)
    return sources


def _truncate_store(sources):
    execute(sources.twin, "TRUNCATE digital_twin_updates, twin_section_day, twin_source_section_day, twin_daily_summary")


def test_a_range_run_equals_single_day_runs(demo):
    """Sixty days restated in one range run equal each day computed alone: every day by the
    sources' one-day read (what a single-day run's assets read), and a sample of the days
    also as real single-day Dagster runs, end to end through the store."""
    import json

    from twin_pipeline.sources.live import sections_of_day

    first = START + timedelta(days=random.Random(2024).randrange(0, 400 - 60))
    days = [first + timedelta(days=i) for i in range(60)]
    _truncate_store(demo)
    materialize_days(demo, days[0], days[-1])
    ranged = states_of(demo, days)
    assert len(ranged) == 3 * 60
    assert all(doc["status"] != "unavailable" for doc in ranged.values())  # pantry from its history

    settings = settings_for_tests(FINANCE_DATABASE_URL=demo.finance_url, TRAINING_DATABASE_URL=demo.training_url,
                                  PANTRY_DATABASE_URL=demo.pantry_url, HEALTH_DATABASE_URL=demo.health_url)
    alone = {}
    for day in days:
        # Each source's one-day read, health composed from training and biometrics as a run does.
        for entity, document in sections_of_day(settings, day).items():
            alone[(entity, day.isoformat())] = json.loads(json.dumps(document))  # as stored: JSON
    # The ranges are not read from the sources: twin_state calibrates them on the stored record.
    assert alone == without_ranges(ranged)

    # Each sampled day run alone, on the record the range run stored, computes the same state,
    # ranges included: nothing new is written.
    sample = [days[0], days[-1], *random.Random(7).sample(days[1:-1], 3)]
    rows = count_state_rows(demo)
    for day in sample:
        materialize_days(demo, day)
    assert count_state_rows(demo) == rows
    assert states_of(demo, days) == ranged
    assert all("month_end_net_range_reason" in doc["forecast"] for (entity, _), doc in ranged.items() if entity == "finance")

    # And on an empty store, end to end through the store (with a record of their own, so
    # without ranges to compare).
    _truncate_store(demo)
    for day in sample:
        materialize_days(demo, day)
    assert without_ranges(states_of(demo, sample)) == without_ranges(
        {key: doc for key, doc in ranged.items() if date.fromisoformat(key[1]) in sample})


def without_ranges(value):
    """States without the forecasts' ranges (`*_range`, `*_range_reason`), at every depth."""
    if isinstance(value, dict):
        return {key: without_ranges(inner) for key, inner in value.items()
                if not (isinstance(key, str) and key.endswith(("_range", "_range_reason")))}
    if isinstance(value, list):
        return [without_ranges(inner) for inner in value]
    return value


def test_rows_dated_after_the_day_never_leak_into_it(demo):
    day = date(2024, 6, 12)
    materialize_days(demo, day)
    before = count_state_rows(demo, day)
    later = day + timedelta(days=1)
    execute(
        demo.finance,
        "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, merchant_source, category_id) "
        "SELECT 'LEAK', :d, 'Expense', 999.99, 'PLN', 'test', category_id FROM categories WHERE category_type = 'Expense' LIMIT 1",
        {"d": later},
    )
    execute(
        demo.training,
        "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) VALUES (:d, 150, 40) "
        "ON CONFLICT (measurement_date) DO UPDATE SET bodyweight_kg = 150",
        {"d": later},
    )
    execute(
        demo.training,
        "INSERT INTO workouts (workout_date, template_id, duration_min) "
        "SELECT :d, template_id, 30 FROM workout_templates WHERE template_id NOT IN "
        "(SELECT template_id FROM workouts WHERE workout_date = :d) LIMIT 1",
        {"d": later},
    )
    materialize_days(demo, day)
    assert count_state_rows(demo, day) == before


def test_a_backdated_correction_restates_exactly_the_days_that_depend_on_it(demo):
    days = [date(2024, 9, 20) + timedelta(days=i) for i in range(20)]  # 20 Sep .. 9 Oct
    materialize_days(demo, days[0], days[-1])
    before = {day: count_state_rows(demo, day) for day in days}
    before_october = states_of(demo, [date(2024, 10, 9)])[("finance", "2024-10-09")]
    with demo.finance.connect() as conn:
        transaction_id = conn.execute(
            text("SELECT transaction_id FROM transactions WHERE transaction_date = '2024-09-24' AND type = 'Expense' LIMIT 1")
        ).scalar_one()
    execute(demo.finance, "UPDATE transactions SET amount = amount + 100 WHERE transaction_id = :t", {"t": transaction_id})
    materialize_days(demo, days[0], days[-1])
    added = {day: count_state_rows(demo, day) - before[day] for day in days}
    # Month-to-date figures from the 24th to the end of September change, and the finance
    # forecasts of every later day (its 30-day spending windows); the days before do not.
    assert added == {day: 1 if date(2024, 9, 24) <= day else 0 for day in days}
    changed = states_of(demo, [date(2024, 10, 9)])[("finance", "2024-10-09")]
    assert changed["mtd_expense"] == before_october["mtd_expense"]  # October's own month is untouched
    assert changed["forecast"]["spending_30d"] == round(before_october["forecast"]["spending_30d"] + 100, 2)


def test_month_ends_leap_day_and_dst_days_have_their_own_state(demo):
    days = [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2024, 3, 31), date(2024, 10, 27)]
    for day in days:
        materialize_days(demo, day)
    states = states_of(demo, days)
    for day in days:
        for entity in ("finance", "health", "pantry"):
            assert states[(entity, day.isoformat())]["as_of"] == day.isoformat()
    leap = states[("finance", "2024-02-29")]
    assert all(alert["days_remaining"] == 0 and alert["daily_limit_remaining"] is None for alert in leap["alerts"])
    with demo.finance.connect() as conn:
        march_first = conn.execute(
            text(
                "SELECT COALESCE(sum(CASE type WHEN 'Income' THEN amount ELSE -amount END), 0) FROM transactions "
                "WHERE transaction_date = '2024-03-01' AND currency = 'PLN' AND type IN ('Income', 'Expense')"
            )
        ).scalar_one()
    assert states[("finance", "2024-03-01")]["mtd_net"] == float(march_first)  # the month starts afresh


def test_pantry_days_end_at_local_midnight_even_on_the_25_hour_day(demo):
    def at(day: date, hour: int, minute: int) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=WARSAW)

    change, restock = at(date(2024, 10, 27), 23, 30), at(date(2024, 10, 28), 0, 30)
    execute(
        demo.pantry,
        "INSERT INTO pantry_inventory_history (category, current_quantity, critical_threshold, valid_from, valid_to) "
        "VALUES ('ZZ test', 5, 1, :a, :b), ('ZZ test', 0, 1, :b, :c), ('ZZ test', 5, 1, :c, :d)",
        {"a": at(START, 8, 0), "b": change, "c": restock, "d": at(END, 8, 0)},
    )
    days = [date(2024, 10, 26), date(2024, 10, 27), date(2024, 10, 28)]
    materialize_days(demo, days[0], days[-1])
    states = states_of(demo, days)
    assert ["ZZ test" in states[("pantry", d.isoformat())]["low_stock"] for d in days] == [False, True, False]


def test_without_the_capture_a_past_pantry_day_is_unavailable_and_says_from_when(sources, pg_server):
    from twin_pipeline_tests.conftest import create_sources

    bare = create_sources(pg_server, "asof_bare", sources.twin_home)
    try:
        yesterday = datetime.now(WARSAW).date() - timedelta(days=1)
        materialize_days(bare, yesterday)
        pantry = states_of(bare, [yesterday])[("pantry", yesterday.isoformat())]
        assert pantry["status"] == "unavailable"
        today = datetime.now(WARSAW).date().isoformat()
        assert f"the first day that can be reconstructed is {today}" in pantry["error"]
    finally:
        bare.dispose()


def test_the_capture_trigger_keeps_every_version(sources, pg_server):
    from twin_pipeline_tests.conftest import create_sources

    captured = create_sources(pg_server, "asof_trigger", sources.twin_home)
    try:
        execute(captured.pantry, "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold) VALUES ('Rice', 3, 1)")
        migrate(captured.pantry, "pantry_history")  # seeds the current row
        execute(captured.pantry, "UPDATE pantry_inventory SET current_quantity = 0.5 WHERE category = 'Rice'")
        execute(captured.pantry, "INSERT INTO pantry_inventory (category, current_quantity) VALUES ('Eggs', 10)")
        execute(captured.pantry, "DELETE FROM pantry_inventory WHERE category = 'Eggs'")
        with captured.pantry.connect() as conn:
            versions = conn.execute(
                text(
                    "SELECT category, current_quantity::float, valid_to IS NULL FROM pantry_inventory_history "
                    "ORDER BY history_id"
                )
            ).all()
        assert versions == [("Rice", 3.0, False), ("Rice", 0.5, True), ("Eggs", 10.0, False)]
    finally:
        captured.dispose()
