"""Fast tests of the change rules: which buckets changed, which days each change makes stale,
and how the stale days become runs. No database."""

from datetime import date, timedelta

import pytest

from twin_pipeline.core.changes import (
    CURRENT,
    affected_days,
    changed_buckets,
    contiguous_ranges,
    measurement_reach,
    rest_of_month,
    until_yesterday,
    workout_reach,
)
from twin_pipeline.sources import SOURCES

TODAY = date(2026, 3, 10)
EPOCH = date(2020, 1, 1)


BASE_RULES = {  # what each table's section reads, before the trends and forecasts
    "finance.transactions": rest_of_month, "finance.budgets": rest_of_month,
    "training.workouts": workout_reach, "training.measurements": measurement_reach,
    "pantry.history": until_yesterday, "pantry.inventory": until_yesterday,
}


def rule(table: str):
    """The section's own stale-days rule of a watched table (the spec also checks it watches it)."""
    SOURCES[table.split(".")[0]].watched_table(table)
    return BASE_RULES[table]


@pytest.mark.parametrize(
    "table, changed, last",
    [
        # 30-day spending windows reach 59 days on; "last month's income" the whole next month.
        ("finance.transactions", date(2025, 12, 10), date(2026, 2, 7)),
        ("finance.transactions", date(2026, 1, 5), date(2026, 3, 5)),
        ("finance.budgets", date(2026, 1, 1), date(2026, 1, 31)),
        # The streak reads 52 weeks back from any day's week: to the Sunday 52 weeks on.
        ("training.workouts", date(2025, 3, 5), date(2026, 3, 8)),
        ("training.measurements", date(2026, 2, 1), date(2026, 2, 28)),  # the 28-day weight trend
        ("pantry.history", date(2026, 2, 1), date(2026, 2, 28)),  # the 28-day consumption
    ],
)
def test_the_specs_rules_also_reach_as_far_as_the_forecasts_read(table, changed, last):
    spec_rule = SOURCES[table.split(".")[0]].watched_table(table).stale
    far_future = date(2030, 1, 1)
    got = affected_days(spec_rule, [changed.isoformat()], today=far_future, first_day=EPOCH, later={})
    assert max(got) >= last and min(got) == changed
    assert got >= days(changed, last)


def days(first: date, last: date) -> set[date]:
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


@pytest.mark.parametrize("table", ["finance.transactions", "finance.budgets"])
def test_a_finance_change_reaches_to_its_month_end(table):
    assert affected_days(rule(table), ["2026-02-27"], today=TODAY, first_day=EPOCH) == {date(2026, 2, 27), date(2026, 2, 28)}
    # A leap February ends on the 29th.
    assert affected_days(rule(table), ["2024-02-28"], today=TODAY, first_day=EPOCH) == {date(2024, 2, 28), date(2024, 2, 29)}
    # This month: up to today, not to the (future) month end.
    assert affected_days(rule(table), ["2026-03-08"], today=TODAY, first_day=EPOCH) == days(date(2026, 3, 8), TODAY)


def test_a_budget_month_bucket_restates_the_whole_month():
    assert affected_days(rule("finance.budgets"), ["2026-01-01"], today=TODAY, first_day=EPOCH) == days(
        date(2026, 1, 1), date(2026, 1, 31))


def test_days_before_the_first_day_are_never_returned():
    assert affected_days(rule("finance.transactions"), ["2026-02-20"], today=TODAY, first_day=date(2026, 2, 27)) == {
        date(2026, 2, 27), date(2026, 2, 28)}


def test_a_workout_change_reaches_a_week_or_until_the_next_workout():
    changed = "2026-03-01"
    # Next workout soon: the 7-day count still reads it through 03-07.
    assert affected_days(rule("training.workouts"), [changed], today=TODAY, first_day=EPOCH,
                         later={changed: date(2026, 3, 4)}) == days(date(2026, 3, 1), date(2026, 3, 7))
    # Next workout on 03-09: "last workout" reads it through 03-08.
    assert affected_days(rule("training.workouts"), [changed], today=date(2026, 3, 20), first_day=EPOCH,
                         later={changed: date(2026, 3, 9)}) == days(date(2026, 3, 1), date(2026, 3, 8))
    # No later workout: every day up to today.
    assert affected_days(rule("training.workouts"), [changed], today=TODAY, first_day=EPOCH,
                         later={changed: None}) == days(date(2026, 3, 1), TODAY)


def test_a_measurement_change_reaches_until_the_second_next_measurement():
    changed = "2026-03-02"
    assert affected_days(rule("training.measurements"), [changed], today=TODAY, first_day=EPOCH,
                         later={changed: date(2026, 3, 9)}) == days(date(2026, 3, 2), date(2026, 3, 8))
    assert affected_days(rule("training.measurements"), [changed], today=TODAY, first_day=EPOCH) == days(
        date(2026, 3, 2), TODAY)


def test_pantry_history_restates_past_days_and_the_live_pantry_only_today():
    assert affected_days(rule("pantry.history"), ["2026-03-05"], today=TODAY, first_day=EPOCH) == days(
        date(2026, 3, 5), date(2026, 3, 9))
    assert affected_days(rule("pantry.inventory"), [CURRENT], today=TODAY, first_day=EPOCH) == {TODAY}


def test_several_buckets_union_their_days():
    assert affected_days(rule("finance.transactions"), ["2026-01-30", "2026-02-27"], today=TODAY, first_day=EPOCH) == {
        date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 27), date(2026, 2, 28)}


def test_a_table_without_a_rule_is_an_error_naming_it():
    with pytest.raises(KeyError, match="finance.accounts"):
        rule("finance.accounts")


def test_changed_buckets_compare_fingerprints_from_the_covered_range_on():
    current = {"2026-02-27": "a", "2026-03-01": "b2", "2026-03-02": "c", CURRENT: "p2", "2026-03-04": "new"}
    stored = {"2026-02-27": "x", "2026-03-01": "b", "2026-03-02": "c", CURRENT: "p1", "2026-03-03": "gone"}
    # 02-27 differs but lies before the covered range; 03-02 is unchanged; 03-03 was deleted,
    # 03-04 inserted; the live pantry counts whatever the range.
    assert changed_buckets(current, stored, "2026-03-01") == ["2026-03-01", "2026-03-03", "2026-03-04", CURRENT]
    assert changed_buckets(current, stored, None) == []  # nothing computed yet: a backfill's job


def test_contiguous_ranges_group_consecutive_days_across_months():
    stale = [date(2026, 3, 2), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 1), date(2026, 3, 5), date(2026, 2, 10)]
    assert contiguous_ranges(stale) == [
        (date(2026, 2, 10), date(2026, 2, 10)),
        (date(2026, 2, 28), date(2026, 3, 2)),
        (date(2026, 3, 5), date(2026, 3, 5)),
    ]
    assert contiguous_ranges([]) == []
