"""source_change_sensor on real PostgreSQL: inserts, updates and deletes, today and in the past,
on each of the clock's days (conftest `clock`): the restated days never pass today. (With the
daemon of `dg dev` running it: test_dagster_dev.py.)"""

import json
from datetime import date, timedelta

import pytest
from dagster import DagsterInstance, build_sensor_context

from twin_pipeline.core.forecast_review import review_reach
from twin_pipeline.defs.sensors import build_source_change_sensor
from twin_pipeline.migrations import migrate
from twin_pipeline.defs.resources import PostgresDatabase
from twin_pipeline_tests.conftest import materialize_days, settings_for_tests, sources_at_clock, write

source_change_sensor = build_source_change_sensor(settings_for_tests())


def first_of_last_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.fixture(scope="module")
def twin(pg_server, clock, tmp_path_factory):
    """Sources written from the first of last month to the clock's today, and the twin of
    those days; databases of their own per clock."""
    yield from sources_at_clock(pg_server, clock, tmp_path_factory, "sensor", fill)


@pytest.fixture
def days(twin, frozen_today):
    """(the first of last month, today) at the clock of this run, frozen during the test."""
    return first_of_last_month(frozen_today), frozen_today


def fill(sources, today: date):
    """Transactions every day, a workout every third, a weight every second, from the first
    of last month to today; then the twin of those days (a run follows, not a sensor: nothing to wait for)."""
    start = first_of_last_month(today)
    migrate(sources.pantry, "pantry_history")
    write(sources.finance_url, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
          "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')", counted=False)
    write(sources.finance_url,
          "INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
          "SELECT 'T' || i, CAST(:start AS date) + i, CASE WHEN i % 10 = 0 THEN 'Income' ELSE 'Expense' END, "
          "10 + i, 'shop', CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END FROM generate_series(0, :n) AS i",
          {"start": start, "n": (today - start).days}, counted=False)
    write(sources.training_url, "INSERT INTO workout_templates (template_id, template_name, workout_type) "
          "VALUES ('A', 'Full', 'HIT Full Body')", counted=False)
    write(sources.training_url,
          "INSERT INTO workouts (workout_date, template_id, duration_min) "
          "SELECT CAST(:start AS date) + i, 'A', 30 FROM generate_series(0, :n, 3) AS i",
          {"start": start, "n": (today - start).days}, counted=False)
    write(sources.training_url,
          "INSERT INTO measurements (measurement_date, bodyweight_kg) "
          "SELECT CAST(:start AS date) + i, 80 + i % 3 FROM generate_series(0, :n, 2) AS i",
          {"start": start, "n": (today - start).days}, counted=False)
    write(sources.pantry_url, "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold) "
          "VALUES ('Rice', 5, 1), ('Eggs', 2, 4)", counted=False)
    materialize_days(sources, start, today)
    return sources


def evaluate(sources, cursor=None, **overrides):
    resources = {**sources.resources(), **overrides}
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor, resources=resources)
        result = source_change_sensor(context)
    return result


def ranges(result) -> list[tuple[str, str]]:
    return [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
    ]


def settle(twin, result):
    """Run what the sensor asked for, as the daemon would."""
    for first, last in ranges(result):
        materialize_days(twin, date.fromisoformat(first), date.fromisoformat(last))


def test_no_change_is_a_skip_with_a_reason(twin, frozen_today):
    result = evaluate(twin)
    assert result.run_requests == []
    assert "no change the twin depends on" in result.skip_reason.skip_message
    again = evaluate(twin, cursor=result.cursor)  # the counters have not moved: nothing read
    assert again.skip_reason.skip_message == "no source table changed since the last check"


def test_a_row_logged_today_refreshes_today_only(twin, days):
    start, today = days
    cursor = evaluate(twin).cursor
    write(twin.finance_url, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
          "merchant_source, category_id) VALUES ('NOW', :d, 'Expense', 12.5, 'bakery', 1)", {"d": today})
    result = evaluate(twin, cursor=cursor)
    assert ranges(result) == [(today.isoformat(), today.isoformat())]
    assert result.run_requests[0].tags["twin/changed_sources"] == "finance.transactions"
    settle(twin, result)
    assert evaluate(twin).run_requests == []


def test_a_past_update_restates_that_day_to_the_end_of_its_month_and_the_forecasts_reading_it(twin, days):
    start, today = days
    cursor = evaluate(twin).cursor
    changed = start + timedelta(days=9)
    write(twin.finance_url, "UPDATE transactions SET amount = amount + 1 WHERE transaction_date = :d", {"d": changed})
    result = evaluate(twin, cursor=cursor)
    # Month-to-date to month end; the 30-day spending windows 59 days on, and "last month's
    # income" through the end of the next month: here that reaches today.
    reach = max(changed + timedelta(days=59), (changed.replace(day=28) + timedelta(days=35)).replace(day=1) - timedelta(days=1))
    # And the outcome days those states can change (forecast_review): 42 days on, or month end.
    assert ranges(result) == [(changed.isoformat(), min(review_reach(min(reach, today)), today).isoformat())]
    replay = evaluate(twin, cursor=cursor)  # the same change, evaluated again
    assert [r.run_key for r in replay.run_requests] == [r.run_key for r in result.run_requests]
    settle(twin, result)
    assert evaluate(twin, cursor=cursor).run_requests == []


def test_a_planned_bill_added_moved_or_paid_restates_the_days_it_reaches(twin, days):
    start, today = days
    due = start + timedelta(days=12)  # in last month
    bill = "INSERT INTO expense_calendar (transaction_id, name, amount, expense_date, created_at) VALUES ('EXP-1', 'Insurance', 900, :d, :c)"

    def reach(*dates: date) -> tuple[str, str]:
        # Planned on the days of its month before its date, in the 30-day pace from it; and the
        # outcome days those states can change; never past today.
        first = min(d.replace(day=1) for d in dates)
        return first.isoformat(), min(review_reach(min(max(dates) + timedelta(days=29), today)), today).isoformat()

    cursor = evaluate(twin).cursor
    write(twin.finance_url, bill, {"d": due, "c": start})
    added = evaluate(twin, cursor=cursor)
    assert ranges(added) == [reach(due)]
    assert added.run_requests[0].tags["twin/changed_sources"] == "finance.expense_calendar"
    settle(twin, added)
    moved_to = today
    write(twin.finance_url, "UPDATE expense_calendar SET expense_date = :d WHERE transaction_id = 'EXP-1'", {"d": moved_to})
    moved = evaluate(twin, cursor=added.cursor)
    assert ranges(moved) == [reach(due, moved_to)]  # where it was, and where it is now
    settle(twin, moved)
    write(twin.finance_url, "UPDATE expense_calendar SET is_paid = true WHERE transaction_id = 'EXP-1'")
    paid = evaluate(twin, cursor=moved.cursor)
    assert ranges(paid) == [reach(moved_to)]
    settle(twin, paid)
    assert evaluate(twin).run_requests == []


def test_a_deleted_workout_restates_its_week_and_every_streak_reading_it(twin, days):
    start, today = days
    cursor = evaluate(twin).cursor
    deleted = start + timedelta(days=3)  # workouts every third day: the next is 3 days later
    write(twin.training_url, "DELETE FROM workouts WHERE workout_date = :d", {"d": deleted})
    result = evaluate(twin, cursor=cursor)
    # The 7-day count reaches a week on; the weekly-target streak of every day within 52 weeks.
    assert ranges(result) == [(deleted.isoformat(), today.isoformat())]
    settle(twin, result)


def test_a_corrected_weight_restates_the_days_of_its_28_day_trend(twin, days):
    start, today = days
    cursor = evaluate(twin).cursor
    corrected = start + timedelta(days=10)  # measured every second day
    write(twin.training_url, "UPDATE measurements SET bodyweight_kg = 79 WHERE measurement_date = :d", {"d": corrected})
    result = evaluate(twin, cursor=cursor)
    # The latest measurement until the second after it (3 days), inside the 28-day weight
    # trend; and the outcome days the restated states can change (42 days on, or month end);
    # never past today.
    assert ranges(result) == [(corrected.isoformat(), min(review_reach(corrected + timedelta(days=27)), today).isoformat())]
    settle(twin, result)


def test_a_change_while_a_run_is_pending_gets_its_own_run(twin, days):
    start, today = days
    cursor = evaluate(twin).cursor
    write(twin.pantry_url, "UPDATE pantry_inventory SET current_quantity = 1 WHERE category = 'Rice'")
    first = evaluate(twin, cursor=cursor)
    assert ranges(first) == [(today.isoformat(), today.isoformat())]
    # The run has not happened yet when the next change lands: a new key, not lost.
    write(twin.pantry_url, "UPDATE pantry_inventory SET current_quantity = 0 WHERE category = 'Rice'")
    second = evaluate(twin, cursor=first.cursor)
    assert ranges(second) == [(today.isoformat(), today.isoformat())]
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    settle(twin, second)
    assert evaluate(twin).run_requests == []


def test_a_down_source_is_a_skip_naming_the_database(twin, frozen_today):
    down = PostgresDatabase(role="training", url="postgresql://twin@127.0.0.1:1/autonomous_training",
                            twin_home=twin.twin_home)
    result = evaluate(twin, training_db=down)
    assert result.run_requests == []
    assert "training database unreachable at 127.0.0.1:1/autonomous_training" in result.skip_reason.skip_message
    state = json.loads(result.cursor)
    assert not any(name.startswith("training.") for name in state["counters"])  # resumes when back
    assert state["full_check_at"] is None  # a check with a database down is not a full check
