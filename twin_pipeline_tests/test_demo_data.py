"""Demo data against a real PostgreSQL: deterministic, refuses to overwrite, believable,
and the shipped get_current_budget_alerts() follows the contract's rules and order."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from twin_pipeline import demo
from twin_pipeline.core.sections import numeric_div
from twin_pipeline.demo import DemoCounts, DemoDataError, generate, load_demo_data, sources_are_empty
from twin_pipeline.migrations import migrate
from twin_pipeline.sources import SOURCES
from twin_pipeline.sqlfiles import sql_text
from twin_pipeline_tests.conftest import create_sources, settings_for_tests

SEED = 11
DAYS = 400
END = date(2025, 3, 18)
START = END - timedelta(days=DAYS - 1)

# table -> ORDER BY that makes its full contents comparable
TABLES = {
    "finance": {
        "accounts": "account_id",
        "merchants": "merchant_id",
        "categories": "category_id",
        "transactions": "transaction_id, transaction_date",
        "budgets": "budget_id",
    },
    "training": {
        "workout_templates": "template_id",
        "exercises": "exercise_id",
        "workouts": "workout_date, template_id",
        "workout_sets": "workout_date, template_id, exercise_id",
        "measurements": "measurement_date",
    },
    "pantry": {
        "pantry_dictionary": "category",
        "pantry_inventory": "category",
    },
}

ALERT_COLUMNS = (
    "TABLE(alert_id text, alert_severity text, category_path text, budget_amount numeric, "
    "actual_amount numeric, utilization_pct numeric, alert_threshold integer, projected_month_end numeric, "
    "days_remaining integer, daily_limit_remaining numeric, recommended_action text, priority text)"
)
ACTIONS = {
    "CRITICAL": "Budget exceeded: stop spending in this category for the rest of the month",
    "HIGH": "Alert threshold reached: keep spending under the daily limit remaining",
    "MEDIUM": "On pace to exceed the budget by month end: slow down",
}


def engines(sources):
    return sources.finance, sources.training, sources.pantry


def load(sources, **overrides) -> DemoCounts:
    params = {"days": DAYS, "seed": SEED, "end": END, "replace": True} | overrides
    return load_demo_data(*engines(sources), **params)


def snapshot(sources) -> dict[str, list[tuple]]:
    contents = {}
    for role, tables in TABLES.items():
        with getattr(sources, role).connect() as conn:
            for table, order in tables.items():
                contents[table] = [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))]
    return contents


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture(scope="module")
def loaded(sources):
    assert sources_are_empty(*engines(sources))
    counts = load_demo_data(*engines(sources), days=DAYS, seed=SEED, end=END)
    assert not sources_are_empty(*engines(sources))
    return counts


# --- loading ----------------------------------------------------------------------------


def test_counts_are_what_was_written(sources, loaded):
    assert loaded.transactions == scalar(sources.finance, "SELECT count(*) FROM transactions")
    assert loaded.budgets == scalar(sources.finance, "SELECT count(*) FROM budgets")
    assert loaded.workouts == scalar(sources.training, "SELECT count(*) FROM workouts")
    assert loaded.workout_sets == scalar(sources.training, "SELECT count(*) FROM workout_sets")
    assert loaded.measurements == scalar(sources.training, "SELECT count(*) FROM measurements")
    assert loaded.pantry_categories == scalar(sources.pantry, "SELECT count(*) FROM pantry_inventory")
    # About 400 days of a busy card, 3-4 workouts a week, near-daily weigh-ins, 50 pantry rows.
    assert 4000 < loaded.transactions < 8000
    assert 150 < loaded.workouts < 260
    assert 300 < loaded.measurements < DAYS
    assert loaded.pantry_categories == 50
    # This pantry has no history capture: nothing else is written, and the load still works.
    assert scalar(sources.pantry, "SELECT to_regclass('pantry_inventory_history')") is None
    assert loaded.pantry_history_rows == 0


def test_same_seed_end_and_days_give_identical_rows(sources, loaded):
    before = snapshot(sources)
    assert load(sources) == loaded
    assert snapshot(sources) == before
    # The generator itself is pure: no clock, no global random state.
    assert generate(days=45, seed=3, end=END) == generate(days=45, seed=3, end=END)


def test_another_seed_gives_other_rows(sources, loaded):
    before = snapshot(sources)
    try:
        load(sources, seed=SEED + 1)
        after = snapshot(sources)
        assert after["transactions"] != before["transactions"]
        assert after["measurements"] != before["measurements"]
    finally:
        load(sources)
    assert snapshot(sources) == before


def test_refuses_to_load_over_existing_data_without_replace(sources, loaded):
    before = scalar(sources.finance, "SELECT count(*) FROM transactions")
    with pytest.raises(DemoDataError, match="--replace"):
        load_demo_data(*engines(sources), days=10, seed=1, end=END)
    assert scalar(sources.finance, "SELECT count(*) FROM transactions") == before
    with pytest.raises(DemoDataError):
        load_demo_data(*engines(sources), days=0, seed=1, end=END, replace=True)


def test_dates_cover_exactly_the_requested_days(sources, loaded):
    for engine, table, column in (
        (sources.finance, "transactions", "transaction_date"),
        (sources.training, "workouts", "workout_date"),
        (sources.training, "workout_sets", "workout_date"),
        (sources.training, "measurements", "measurement_date"),
    ):
        low, high = (scalar(engine, f"SELECT {fn}({column}) FROM {table}") for fn in ("min", "max"))
        assert START <= low <= START + timedelta(days=7), table
        assert END - timedelta(days=7) <= high <= END, table
    # created_at follows the row's date, not the moment of loading.
    assert scalar(sources.finance, "SELECT max(created_at) FROM transactions") < _midnight(END + timedelta(days=1))
    assert scalar(sources.training, "SELECT max(updated_at) FROM workouts") < _midnight(END + timedelta(days=1))
    assert scalar(sources.training, "SELECT max(created_at) FROM measurements") < _midnight(END + timedelta(days=1))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


# --- what the data looks like ------------------------------------------------------------


def test_finance_is_believable(sources, loaded):
    with sources.finance.connect() as conn:
        currencies = dict(conn.execute(text("SELECT currency, count(*) FROM transactions GROUP BY currency")).all())
        assert set(currencies) == {"PLN", "EUR"} and currencies["EUR"] < currencies["PLN"] / 20
        assert conn.execute(text("SELECT bool_and(amount > 0) FROM transactions")).scalar()
        types = dict(conn.execute(text("SELECT type, count(*) FROM transactions GROUP BY type")).all())
        assert set(types) == {"Income", "Expense", "Transfer"}
        # The transaction's type is its category's type.
        assert conn.execute(text(
            "SELECT count(*) FROM transactions t JOIN categories c USING (category_id) WHERE t.type <> c.category_type"
        )).scalar() == 0
        salaries = conn.execute(text(
            "SELECT DISTINCT extract(day FROM transaction_date)::int FROM transactions t "
            "JOIN categories c USING (category_id) WHERE c.subcategory_name = 'Salary'"
        )).scalars().all()
        assert salaries == [10]
        rents = conn.execute(text(
            "SELECT DISTINCT extract(day FROM transaction_date)::int, amount FROM transactions t "
            "JOIN categories c USING (category_id) WHERE c.subcategory_name = 'Rent'"
        )).all()
        assert rents == [(1, Decimal("3200.00"))]
        ids = conn.execute(text("SELECT transaction_id FROM transactions ORDER BY transaction_date, transaction_id")).scalars().all()
        assert ids == sorted(ids) and ids[0] == "T00000001"
        # Ten budgeted expense categories plus salary and savings every month, ids like
        # B-2025-03-FOOD-GROCERIES.
        assert conn.execute(text("SELECT count(*) FROM budgets WHERE budget_id = 'B-2025-03-FOOD-GROCERIES'")).scalar() == 1
        per_month = conn.execute(text(
            "SELECT DISTINCT count(*) FILTER (WHERE type = 'Expense'), count(*) FROM budgets GROUP BY budget_year, budget_month"
        )).all()
        assert per_month == [(10, 12)]

        # Whole months of the range: some have a category whose spending exceeds its budget, some none.
        breaches = conn.execute(text("""
            WITH spent AS (
                SELECT category_id, extract(year FROM transaction_date)::int AS y,
                       extract(month FROM transaction_date)::int AS m, sum(amount) AS actual
                FROM transactions WHERE type = 'Expense' GROUP BY 1, 2, 3)
            SELECT b.budget_year, b.budget_month, count(*) FILTER (WHERE s.actual > b.budget_amount)
            FROM budgets b
            LEFT JOIN spent s ON (s.category_id, s.y, s.m) = (b.category_id, b.budget_year, b.budget_month)
            WHERE b.is_active AND b.type = 'Expense' AND b.budget_amount > 0
              AND make_date(b.budget_year, b.budget_month, 1) >= :start
              AND make_date(b.budget_year, b.budget_month, 1) + interval '1 month' <= :end
            GROUP BY 1, 2
        """), {"start": START, "end": END + timedelta(days=1)}).all()
    assert len(breaches) >= 12
    assert any(n > 0 for _, _, n in breaches)
    assert any(n == 0 for _, _, n in breaches)
    assert sum(1 for _, _, n in breaches if n > 0) < len(breaches) / 2


def test_the_expense_calendar_is_planned_ahead_and_paid_as_transactions(sources, loaded):
    with sources.finance.connect() as conn:
        bills = conn.execute(text(
            "SELECT transaction_id, frequency, amount, expense_date, is_paid, created_at FROM expense_calendar "
            "ORDER BY expense_date, transaction_id")).all()
        # Each bill whose day has come was paid that day: a PLN expense of its amount.
        unpaid = conn.execute(text(
            "SELECT e.transaction_id FROM expense_calendar e WHERE e.expense_date <= :end AND NOT EXISTS ("
            " SELECT 1 FROM transactions t WHERE t.transaction_date = e.expense_date AND t.amount = e.amount"
            " AND t.type = 'Expense' AND t.currency = 'PLN')"), {"end": END}).scalars().all()
        # The tax of a quarter is 12 % of that quarter's freelance income, in whole złoty.
        taxes = conn.execute(text(
            "SELECT e.amount, round(sum(t.amount) * 0.12) FROM expense_calendar e "
            "JOIN transactions t ON t.transaction_date >= date_trunc('quarter', e.expense_date - 30) "
            " AND t.transaction_date < date_trunc('quarter', e.expense_date) "
            "JOIN categories c ON c.category_id = t.category_id AND c.subcategory_name = 'Freelance' "
            "WHERE e.frequency = 'quarterly' AND date_trunc('quarter', e.expense_date - 30) >= :start "
            "GROUP BY e.transaction_id, e.amount"), {"start": START}).all()
    assert loaded.expense_calendar == len(bills)
    assert unpaid == []
    # Netflix every month from March 2024 (5 February is before the first day) to December 2025
    # (written down on 28 December 2024); the car insurance each 15 March; the quarter's taxes
    # due on the 20th when there was freelance income (none in February and March 2024).
    assert Counter(b.frequency for b in bills) == {"monthly": 22, "yearly": 2, "quarterly": 3}
    assert [b.transaction_id for b in bills if b.frequency == "yearly"] == [
        "EXP-2024-03-15-CAR_INSURANCE", "EXP-2025-03-15-CAR_INSURANCE"]
    assert len(taxes) == 3 and all(planned == computed for planned, computed in taxes)
    # Written down before their day and by the last day; paid exactly when their day has come.
    assert all(b.created_at.date() < b.expense_date and b.created_at.date() <= END for b in bills)
    assert [b.is_paid for b in bills] == [b.expense_date <= END for b in bills]


def test_training_is_believable(sources, loaded):
    with sources.training.connect() as conn:
        workouts = conn.execute(text("SELECT count(*) FROM workouts")).scalar()
        assert 3 <= workouts / (DAYS / 7) <= 4
        # days_since_last_workout agrees with the previous workout (null for the first one).
        assert conn.execute(text("""
            SELECT count(*) FROM (
                SELECT days_since_last_workout AS given,
                       workout_date - lag(workout_date) OVER (ORDER BY workout_date, template_id) AS actual
                FROM workouts) w
            WHERE given IS DISTINCT FROM actual
        """)).scalar() == 0
        sets_per_hit = conn.execute(text("""
            SELECT avg(n) FROM (
                SELECT count(*) AS n FROM workout_sets GROUP BY workout_date, template_id) s
        """)).scalar()
        assert 8 <= sets_per_hit <= 12
        assert conn.execute(text(
            "SELECT min(duration_min) >= 20 AND max(duration_min) <= 60 FROM workouts"
        )).scalar()
        total, no_fat, low, high = conn.execute(text(
            "SELECT count(*), count(*) FILTER (WHERE bodyfat_pct IS NULL), min(bodyweight_kg), max(bodyweight_kg) "
            "FROM measurements"
        )).one()
        assert 0.1 < no_fat / total < 0.3
        assert Decimal(70) <= low and high <= Decimal(95)
        # Near-daily, with a few multi-day gaps.
        longest_gap = conn.execute(text(
            "SELECT max(gap) FROM (SELECT measurement_date - lag(measurement_date) OVER (ORDER BY measurement_date) AS gap FROM measurements) g"
        )).scalar()
        assert 3 <= longest_gap <= 12
        # The view keeps the person's 20 % assumption and the +-0.5 kg trend rule.
        row = conn.execute(text(
            "SELECT bodyweight_kg, estimated_lean_mass FROM v_body_composition WHERE bodyfat_pct IS NULL LIMIT 1"
        )).one()
        assert row.estimated_lean_mass == (row.bodyweight_kg * Decimal("0.8")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert conn.execute(text("""
            SELECT count(*) FROM v_body_composition
            WHERE weight_trend IS DISTINCT FROM CASE WHEN weight_change IS NULL THEN NULL
                                                     WHEN weight_change > 0.5 THEN 'GAINING'
                                                     WHEN weight_change < -0.5 THEN 'LOSING' ELSE 'STABLE' END
        """)).scalar() == 0


def test_pantry_is_believable(sources, loaded):
    with sources.pantry.connect() as conn:
        low, zero, expired, soon, unknown, total = conn.execute(text("""
            SELECT count(*) FILTER (WHERE current_quantity <= critical_threshold),
                   count(*) FILTER (WHERE current_quantity = 0),
                   count(*) FILTER (WHERE next_expiry < :end),
                   count(*) FILTER (WHERE next_expiry BETWEEN :end AND :end + 3),
                   count(*) FILTER (WHERE next_expiry IS NULL),
                   count(*)
            FROM pantry_inventory
        """), {"end": END}).one()
        assert 0 < low < total / 2 and zero >= 1
        assert expired >= 1 and soon >= 1 and unknown >= 1
        assert conn.execute(text(
            "SELECT count(*) FROM pantry_inventory i JOIN pantry_dictionary d USING (category)"
        )).scalar() == total
        assert conn.execute(text("SELECT max(last_updated) FROM pantry_inventory")).scalar() <= END


# --- get_current_budget_alerts() ----------------------------------------------------------


def _function_as_of(day: date) -> str:
    """The shipped function's SQL, with CURRENT_DATE pinned, as a session-local function."""
    sql = sql_text("twin_pipeline.sources.finance", "migrations/002_budget_alerts")
    sql = sql.split("COMMENT ON FUNCTION")[0]
    assert sql.count("CURRENT_DATE AS d") == 1
    return (
        sql.replace("get_current_budget_alerts()", "pg_temp.budget_alerts_as_of()")
        .replace("CURRENT_DATE AS d", f"DATE '{day.isoformat()}' AS d")
    )


def _round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _expected_alerts(conn, day: date) -> list[tuple]:
    """The contract's rules, recomputed here in Decimal from the raw tables."""
    budgets = conn.execute(text("""
        SELECT b.budget_id, b.category_id, c.category_name || ' > ' || c.subcategory_name,
               b.budget_amount, b.alert_threshold, b.priority
        FROM budgets b JOIN categories c ON c.category_id = b.category_id
        WHERE b.is_active AND b.type = 'Expense' AND b.budget_amount > 0
          AND b.budget_year = :y AND b.budget_month = :m
    """), {"y": day.year, "m": day.month}).all()
    spent = dict(conn.execute(text("""
        SELECT category_id, sum(amount) FROM transactions
        WHERE type = 'Expense' AND transaction_date BETWEEN :first AND :day GROUP BY category_id
    """), {"first": day.replace(day=1), "day": day}).all())
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    remaining = days_in_month - day.day
    rows = []
    for budget_id, category_id, path, amount, threshold, priority in budgets:
        actual = spent.get(category_id, Decimal(0))
        utilization = _round2(numeric_div(actual, amount) * 100)
        projected = _round2(numeric_div(actual, day.day) * days_in_month)
        if utilization >= 100:
            severity = "CRITICAL"
        elif utilization >= threshold:
            severity = "HIGH"
        elif projected > amount:
            severity = "MEDIUM"
        else:
            continue
        daily = _round2(numeric_div(amount - actual, remaining)) if remaining else None
        rows.append((budget_id, severity, path, amount, actual, utilization, threshold, projected,
                     remaining, daily, ACTIONS[severity], priority))
    rank = {"Critical": 1, "High": 2, "Medium": 3}
    rows.sort(key=lambda r: (rank.get(r[11], 4), -r[5], r[0]))
    return rows


def test_budget_alerts_function_has_the_contract_columns(sources, loaded):
    assert scalar(
        sources.finance, "SELECT pg_get_function_result('get_current_budget_alerts'::regproc)"
    ) == ALERT_COLUMNS
    with sources.finance.connect() as conn:
        result = conn.execute(text("SELECT * FROM get_current_budget_alerts()"))
        assert tuple(result.keys()) == ALERT_COLUMN_NAMES
        # END is in the past: today's month has no budgets, so no alerts.
        assert result.all() == []


ALERT_COLUMN_NAMES = (
    "alert_id", "alert_severity", "category_path", "budget_amount", "actual_amount", "utilization_pct",
    "alert_threshold", "projected_month_end", "days_remaining", "daily_limit_remaining",
    "recommended_action", "priority",
)


def test_division_follows_postgresql(sources):
    cases = [("220.70", 24), ("220.70", "240.00"), ("0", "150.00"), ("-35.10", 7), ("123456.78", 3),
             ("0.01", "9999.99"), ("9999.99", "0.01"), ("3200.00", 29), ("87.5", 31)]
    with sources.finance.connect() as conn:
        for a, b in cases:
            expected = conn.execute(text(f"SELECT CAST({a} AS numeric) / CAST({b} AS numeric)")).scalar()
            assert numeric_div(Decimal(a), Decimal(str(b))) == expected
            assert str(numeric_div(Decimal(a), Decimal(str(b)))) == str(expected)


@pytest.mark.parametrize(
    "day",
    [
        END,                    # mid-month, the last loaded day
        date(2024, 11, 24),     # Electricity: 237.86 / 24 * 30 = 297.3249999999999990 -> 297.32 (alert)
        date(2024, 12, 1),      # first day: every fixed payment projects over budget
        date(2024, 11, 30),     # last day: days_remaining 0, no daily limit
        date(2024, 6, 15),
        date(2024, 9, 27),
        date(2024, 2, 29),      # leap day, last of its month
    ],
)
def test_budget_alerts_follow_the_contract_rules_and_order(sources, loaded, day):
    with sources.finance.connect() as conn:
        conn.exec_driver_sql(_function_as_of(day))
        got = [tuple(r) for r in conn.execute(text("SELECT * FROM pg_temp.budget_alerts_as_of()"))]
        assert got == _expected_alerts(conn, day)
        conn.rollback()
        # ...and the twin's own computation of that past day says exactly the same.
        finance = SOURCES["finance"]
        (section,) = finance.read(finance, conn, [day], settings_for_tests()).documents
    columns = ALERT_COLUMN_NAMES
    as_json = [
        {c: (float(v) if isinstance(v, Decimal) else v) for c, v in zip(columns, row, strict=True)} for row in got
    ]
    assert section["alerts"] == as_json
    assert got, f"no alerts on {day}: the demo data should produce some"
    rank = {"Critical": 1, "High": 2, "Medium": 3}
    keys = [(rank.get(r[11], 4), -r[5], r[0]) for r in got]
    assert keys == sorted(keys)
    assert {r[1] for r in got} <= {"CRITICAL", "HIGH", "MEDIUM"}
    if day == date(2024, 11, 30) or day == date(2024, 2, 29):
        assert all(r[8] == 0 and r[9] is None for r in got)


def test_alerts_over_the_range_include_every_severity(sources, loaded):
    severities = set()
    with sources.finance.connect() as conn:
        for offset in range(0, DAYS, 9):
            severities |= {r[1] for r in _expected_alerts(conn, START + timedelta(days=offset))}
    assert severities == {"CRITICAL", "HIGH", "MEDIUM"}


def test_budget_alerts_today_on_data_ending_today(sources, loaded):
    today = scalar(sources.finance, "SELECT CURRENT_DATE")
    try:
        load(sources, end=today, days=60)
        with sources.finance.connect() as conn:
            got = [tuple(r) for r in conn.execute(text("SELECT * FROM get_current_budget_alerts()"))]
            assert got == _expected_alerts(conn, today)
        if today.day < calendar.monthrange(today.year, today.month)[1]:
            # Rent (3,200 on the 1st, budget 3,300) projects over budget on every day but the last.
            assert "MEDIUM" in {r[1] for r in got if r[2] == "Housing > Rent"}
    finally:
        load(sources)


# --- ten years --------------------------------------------------------------------------


def test_ten_years_have_the_expected_volumes():
    data = generate(days=3650, seed=SEED, end=END)
    targets = {
        "transactions": 55_000,
        "budgets": 1_400,  # twelve a month
        "measurements": 3_600,
        "workouts": 2_000,
        "workout_sets": 20_000,
    }
    for name, target in targets.items():
        assert 0.85 * target <= len(getattr(data, name)) <= 1.15 * target, name
    assert len(data.pantry_inventory) == 50
    hit = [w for w in data.workouts if w[1].startswith("HIT")]
    assert 10 <= len(data.workout_sets) / len(hit) <= 12
    assert 3.5 <= len(data.workouts) / (3650 / 7) <= 4.1


# --- pantry history (where the opt-in capture is installed) -------------------------------

WARSAW = ZoneInfo("Europe/Warsaw")
CAPTURED_SINCE = datetime.combine(START, time(0), tzinfo=WARSAW)
HISTORY_COLUMNS = "category, current_quantity, unit, next_expiry, critical_threshold, status, valid_from, valid_to"


@pytest.fixture(scope="module")
def captured(pg_server, tmp_path_factory):
    """Fresh source databases whose pantry has the history capture, filled with the demo."""
    created = create_sources(pg_server, "test_demo_capture", tmp_path_factory.mktemp("demo_capture"))
    migrate(created.pantry, "pantry_history")
    with created.pantry.connect() as conn:  # installed on an empty pantry: nothing captured yet
        assert conn.execute(text("SELECT count(*) FROM pantry_inventory_history")).scalar() == 0
    counts = load_demo_data(*engines(created), days=DAYS, seed=SEED, end=END)
    yield created, counts
    created.dispose()


def history(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            f"SELECT {HISTORY_COLUMNS} FROM pantry_inventory_history ORDER BY category, valid_from"
        ))]


def test_history_counts_and_capture_start(captured):
    created, counts = captured
    assert counts.pantry_history_rows == scalar(created.pantry, "SELECT count(*) FROM pantry_inventory_history")
    # A change every few days per category, for fifty categories over 400 days.
    assert 50 * DAYS / 10 < counts.pantry_history_rows < 50 * DAYS
    with created.pantry.connect() as conn:
        assert conn.execute(text("SELECT singleton, captured_since FROM pantry_history_capture")).all() == [
            (True, CAPTURED_SINCE)
        ]


def test_history_tiles_time_per_category_from_captured_since(captured):
    created, _ = captured
    with created.pantry.connect() as conn:
        problems = conn.execute(text("""
            WITH v AS (
                SELECT category, valid_from, valid_to,
                       lag(valid_to) OVER w AS previous_to,
                       row_number() OVER w AS n,
                       count(*) OVER (PARTITION BY category) AS versions
                FROM pantry_inventory_history
                WINDOW w AS (PARTITION BY category ORDER BY valid_from))
            SELECT category, valid_from FROM v
            WHERE (n = 1 AND valid_from <> :since)                  -- starts when the capture does
               OR (n > 1 AND valid_from IS DISTINCT FROM previous_to)  -- no gap, no overlap
               OR (valid_to IS NOT NULL AND valid_to <= valid_from)
               OR ((valid_to IS NULL) <> (n = versions))              -- only the newest is open
        """), {"since": CAPTURED_SINCE}).all()
        assert problems == []
        assert conn.execute(text(
            "SELECT count(DISTINCT category) FROM pantry_inventory_history WHERE valid_to IS NULL"
        )).scalar() == 50
        # Every change was logged while the person was awake, in Warsaw.
        hours = conn.execute(text("""
            SELECT min(extract(hour FROM valid_from AT TIME ZONE 'Europe/Warsaw')),
                   max(extract(hour FROM valid_from AT TIME ZONE 'Europe/Warsaw'))
            FROM pantry_inventory_history WHERE valid_from > :since
        """), {"since": CAPTURED_SINCE}).one()
        assert 7 <= hours[0] and hours[1] <= 22
        assert conn.execute(text("SELECT max(valid_from) FROM pantry_inventory_history")).scalar() < datetime.combine(
            END + timedelta(days=1), time(0), tzinfo=WARSAW
        )


def test_open_versions_are_the_current_inventory(captured):
    created, _ = captured
    with created.pantry.connect() as conn:
        current = conn.execute(text(
            "SELECT category, current_quantity, unit, next_expiry, critical_threshold, status, updated_at "
            "FROM pantry_inventory ORDER BY category"
        )).all()
        open_versions = conn.execute(text(
            "SELECT category, current_quantity, unit, next_expiry, critical_threshold, status, valid_from "
            "FROM pantry_inventory_history WHERE valid_to IS NULL ORDER BY category"
        )).all()
    assert open_versions == current  # the newest version began when the row was last updated


def test_history_looks_like_a_pantry_in_use(captured):
    created, _ = captured
    with created.pantry.connect() as conn:
        # The state at the end of every 7th day, as the pipeline reads it.
        days = conn.execute(text("""
            SELECT d::date AS day,
                   count(*) FILTER (WHERE h.current_quantity <= h.critical_threshold) AS low,
                   count(*) FILTER (WHERE h.next_expiry < d::date) AS expired,
                   count(*) FILTER (WHERE h.next_expiry BETWEEN d::date AND d::date + 3) AS soon,
                   count(*) AS categories
            FROM generate_series(CAST(:start AS date), CAST(:end AS date) - 1, interval '7 days') d
            JOIN pantry_inventory_history h
              ON h.valid_from < (d::date + 1)::timestamp AT TIME ZONE 'Europe/Warsaw'
             AND COALESCE(h.valid_to, 'infinity') >= (d::date + 1)::timestamp AT TIME ZONE 'Europe/Warsaw'
            GROUP BY d ORDER BY d
        """), {"start": START, "end": END}).all()
        assert len(days) == len(range(0, DAYS - 1, 7))
        assert {r.categories for r in days} == {50}
        assert all(0 < r.low < 25 for r in days)
        assert sum(r.expired > 0 for r in days) > len(days) / 3
        assert sum(r.soon > 0 for r in days) > len(days) / 2
        assert len({(r.low, r.expired, r.soon) for r in days}) > 10  # it changes over time
        # Restocks: the quantity goes up, and next_expiry never moves back when it does.
        restocks, backwards = conn.execute(text("""
            SELECT count(*), count(*) FILTER (WHERE next_expiry < previous_expiry)
            FROM (SELECT current_quantity, next_expiry,
                         lag(current_quantity) OVER w AS previous_quantity,
                         lag(next_expiry) OVER w AS previous_expiry
                  FROM pantry_inventory_history WINDOW w AS (PARTITION BY category ORDER BY valid_from)) v
            WHERE current_quantity > previous_quantity
        """)).one()
        assert restocks > 50 * DAYS / 60 and backwards == 0
        per_category = dict(conn.execute(text("""
            SELECT category, count(*) FROM pantry_inventory_history
            WHERE valid_from > :since GROUP BY category
        """), {"since": CAPTURED_SINCE}).all())
        assert per_category["Milk"] > per_category["Salt"]  # perishables change more often


def test_same_seed_gives_the_same_history(captured, monkeypatch):
    created, counts = captured
    before = history(created.pantry)
    expected = generate(days=DAYS, seed=SEED, end=END).pantry_history
    assert before == sorted(expected, key=lambda r: (r[0], r[6]))  # what generate() says, row for row
    # Reloading over it (TRUNCATE and INSERTs with the capture's triggers in place) gives
    # exactly the same history: the triggers recorded nothing of the demo's own writes.
    assert load_demo_data(*engines(created), days=DAYS, seed=SEED, end=END, replace=True) == counts
    assert history(created.pantry) == before
    # Where the role may not silence triggers, what they wrote is deleted instead.
    monkeypatch.setattr(demo.pantry, "_silence_triggers", lambda cur: False)
    assert load_demo_data(*engines(created), days=DAYS, seed=SEED, end=END, replace=True) == counts
    assert history(created.pantry) == before
    assert scalar(created.pantry, "SELECT captured_since FROM pantry_history_capture") == CAPTURED_SINCE


def test_history_refuses_to_load_over_a_history_without_replace(captured):
    created, _ = captured
    # An emptied pantry whose capture still holds versions: those are data too.
    with created.pantry.begin() as conn:
        conn.execute(text("TRUNCATE pantry_inventory, pantry_dictionary"))
    try:
        with pytest.raises(DemoDataError, match="pantry_inventory_history"):
            load_demo_data(*engines(created), days=DAYS, seed=SEED, end=END)
    finally:
        load_demo_data(*engines(created), days=DAYS, seed=SEED, end=END, replace=True)
