"""The expense calendar in the finance forecast, on crafted rows in a real PostgreSQL: which
rows are planned as of a day, is_paid read for today only, and the forecast as before, with a
reason, when the table is missing or the reading login has no grant on it. Every expected
figure is worked out by hand beside it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from twin_pipeline.database import Database
from twin_pipeline.sources import SOURCES
from twin_pipeline.sources.changes import detect_changes
from twin_pipeline.sources.reading import read_section
from twin_pipeline_tests.clock import clock
from twin_pipeline_tests.conftest import ROLES, execute, settings_for_tests
from twin_pipeline_tests.test_roles import as_login, psql

FINANCE = SOURCES["finance"]
D = date(2026, 3, 10)  # 21 days left in March

INSERT_BILL = (
    "INSERT INTO expense_calendar (transaction_id, name, amount, currency, expense_date, created_at, is_paid) "
    "VALUES (:id, :name, :amount, :currency, :on, :created, :paid)"
)


@pytest.fixture(scope="module")
def calendar(sources):
    """100 PLN spent every day of February and March 2026, a salary of 5,000 on 25 February,
    and the calendar's rows (the contract's table, as migration 003 creates it)."""
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')")
    execute(sources.finance,
            "INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
            "SELECT 'T' || i, DATE '2026-01-01' + i, 'Expense', 100, 'shop', 1 FROM generate_series(0, 89) AS i")
    execute(sources.finance,
            "INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
            "VALUES ('SAL', DATE '2026-02-25', 'Income', 5000, 'employer', 2)")
    execute(sources.finance, INSERT_BILL, [
        # Written down at 23:30 on the 10th, the person's wall clock: planned on the 10th (read
        # as UTC and shown in Warsaw it would be the 11th). Marked paid: a past day ignores it.
        {"id": "EXP-INS", "name": "Car insurance", "amount": "1650.00", "currency": "PLN", "on": date(2026, 3, 15),
         "created": "2026-03-10 23:30:00", "paid": True},
        # A missing currency is the column's default, the primary currency.
        {"id": "EXP-DEN", "name": "Dentist", "amount": "300.00", "currency": None, "on": date(2026, 3, 25),
         "created": "2026-03-05 09:00:00", "paid": False},
        # Within the 30 days before D, paid as planned: out of the pace (' pln ' is PLN).
        {"id": "EXP-NFX", "name": "Netflix", "amount": "49.00", "currency": " pln ", "on": date(2026, 3, 5),
         "created": "2026-01-01 10:00:00", "paid": True},
        # Not the primary currency, not a bill, next month: never planned in March.
        {"id": "EXP-EUR", "name": "Hotel", "amount": "400.00", "currency": "EUR", "on": date(2026, 3, 20),
         "created": "2026-03-01 10:00:00", "paid": False},
        {"id": "EXP-NEG", "name": "Refund", "amount": "-80.00", "currency": "PLN", "on": date(2026, 3, 20),
         "created": "2026-03-01 10:00:00", "paid": False},
        {"id": "EXP-APR", "name": "Netflix", "amount": "49.00", "currency": "PLN", "on": date(2026, 4, 5),
         "created": "2026-01-01 10:00:00", "paid": False},
    ])
    return sources


def finance_days(sources, days: list[date], login: str | None = None) -> dict[date, dict]:
    url = sources.finance_url if login is None else as_login(sources.finance_url, login)
    outcome = read_section(FINANCE, Database(role="finance", url=url, twin_home=sources.twin_home), days,
                           settings_for_tests())
    assert outcome.failure is None, outcome.failure
    return {date.fromisoformat(d["as_of"]): d for d in outcome.read.documents}


def test_the_rows_written_down_by_d_and_due_later_in_its_month_are_planned(calendar):
    states = finance_days(calendar, [D - timedelta(days=1), D, date(2026, 3, 31)])
    before, on_d, month_end = (states[d]["forecast"] for d in sorted(states))
    assert before["planned_expenses"] == [{"name": "Dentist", "expense_date": "2026-03-25", "amount": 300.0}]
    assert on_d["planned_expenses"] == [
        {"name": "Car insurance", "expense_date": "2026-03-15", "amount": 1650.0},
        {"name": "Dentist", "expense_date": "2026-03-25", "amount": 300.0},
    ]
    assert on_d["planned_expenses_remaining"] == 1950.0
    # Month to date 10 x 100 = 1,000; the 30 days (9 Feb..10 Mar) 3,000, of which Netflix's 49
    # planned: 2,951 x 21 / 30 = 2,065.70; 1,000 + 2,065.70 + 1,950 = 5,015.70; 5,000 - 5,015.70.
    assert on_d["spending_30d_planned"] == 49.0
    assert on_d["projected_expense"] == 5015.7
    assert on_d["month_end_net_projected"] == -15.7
    assert (month_end["planned_expenses"], month_end["planned_expenses_remaining"]) == ([], 0.0)
    assert states[D]["status"] == "ok"


def test_a_paid_row_is_not_planned_again_today(calendar):
    with clock("spring-dst").frozen() as today:  # 29 March 2026
        states = finance_days(calendar, [today])
    # The insurance (15 March) has passed either way; a bill due on the 31st marked paid today:
    # in the month's transactions, so not planned again, and out of the 30 days' pace.
    execute(calendar.finance, INSERT_BILL, {"id": "EXP-31", "name": "Gym", "amount": "120.00", "currency": "PLN",
                                            "on": date(2026, 3, 31), "created": "2026-03-01 08:00:00", "paid": True})
    try:
        with clock("spring-dst").frozen() as today:
            paid = finance_days(calendar, [today - timedelta(days=1), today])
    finally:
        execute(calendar.finance, "DELETE FROM expense_calendar WHERE transaction_id = 'EXP-31'")
    assert paid[today]["forecast"]["planned_expenses"] == []
    assert paid[today]["forecast"]["spending_30d_planned"] == states[today]["forecast"]["spending_30d_planned"] + 120
    # The day before, recomputed now: is_paid says nothing about when, so the gym is planned.
    assert paid[today - timedelta(days=1)]["forecast"]["planned_expenses"] == [
        {"name": "Gym", "expense_date": "2026-03-31", "amount": 120.0}]


@pytest.mark.parametrize(
    "away, back, reason",
    [
        ("ALTER TABLE expense_calendar RENAME TO expense_calendar_away",
         "ALTER TABLE expense_calendar_away RENAME TO expense_calendar",
         "no expense_calendar table in the finance database: month end without planned expenses"),
        ("ALTER TABLE expense_calendar RENAME COLUMN created_at TO written_at",
         "ALTER TABLE expense_calendar RENAME COLUMN written_at TO created_at",
         "the finance database's expense_calendar lacks column expense_calendar.created_at: "
         "month end without planned expenses"),
    ],
)
def test_without_the_table_the_forecast_is_as_before_with_a_reason(calendar, away, back, reason):
    execute(calendar.finance, away)
    try:
        on_d = finance_days(calendar, [D])[D]
    finally:
        execute(calendar.finance, back)
    forecast = on_d["forecast"]
    # 1,000 + 3,000 x 21 / 30 = 3,100: 5,000 - 3,100 = 1,900, the forecast without a calendar.
    assert forecast["month_end_net_projected"] == 1900.0
    assert forecast["planned_expenses"] is None and forecast["planned_expenses_remaining"] is None
    assert forecast["planned_expenses_reason"] == reason
    assert on_d["status"] == "ok"


@pytest.fixture(scope="module")
def reader_without_grant(calendar):
    """twin_reader as the person's existing roles have it, but with the calendar created after
    the grant by another owner: no SELECT on it."""
    done = psql(calendar.finance_url, "-f", str(ROLES / "twin_reader.sql"))
    assert done.returncode == 0, done.stderr
    execute(calendar.finance, "REVOKE SELECT ON expense_calendar FROM twin_reader")
    return "twin_reader"


def test_without_the_grant_the_run_goes_on_and_says_why(calendar, reader_without_grant):
    on_d = finance_days(calendar, [D], login=reader_without_grant)[D]
    assert on_d["status"] == "ok" and on_d["mtd_expense"] == 1000.0
    assert on_d["forecast"]["month_end_net_projected"] == 1900.0
    assert on_d["forecast"]["planned_expenses_reason"] == (
        "the finance login may not read expense_calendar (grant SELECT on it, sql/roles/twin_reader.sql): "
        "month end without planned expenses")


def test_without_the_grant_the_sensor_still_watches_the_rest(calendar, reader_without_grant):
    settings = settings_for_tests()
    login = as_login(calendar.finance_url, reader_without_grant)
    databases = {"finance": Database(role="finance", url=login, twin_home=calendar.twin_home)}
    store = Database(role="twin", url=calendar.finance_url, twin_home=calendar.twin_home, read_only=False)
    found = detect_changes(databases, store, settings, D, {}, full_check=True)
    assert found.unreachable == []
    assert sorted(found.checked) == ["finance.budgets", "finance.transactions"]
    owner = detect_changes({"finance": Database(role="finance", url=calendar.finance_url, twin_home=calendar.twin_home)},
                           store, settings, D, {}, full_check=True)
    assert "finance.expense_calendar" in owner.checked


def test_finance_and_the_morning_briefing_carry_the_planned_bills(calendar):
    from twin_pipeline_tests.conftest import LocalClient

    from twin_pipeline.api import create_app
    from twin_pipeline.reader import TwinReader
    from twin_pipeline_tests.conftest import materialize_days

    materialize_days(calendar, D)
    client = LocalClient(create_app(TwinReader(calendar.finance_url), recheck_seconds=0))
    listed = "Car insurance 1,650.00 on the 15th, Dentist 300.00 on the 25th (1,950.00 PLN this month)"
    finance = client.get("/finance", params={"date": D.isoformat()}).json()
    # The month end (no range yet: too few past errors) between the day's figures and the bills.
    month_end = f"📈 Month end {finance['forecast']['month_end_net_projected']:+,.0f} PLN"
    assert finance["report"].splitlines() == ["💰 Finance: -1,000.00 PLN MTD", month_end, f"🗓️ Planned: {listed}"]
    assert finance["forecast"]["planned_expenses_remaining"] == 1950.0
    assert finance["data"]["forecast"]["planned_expenses"][0]["name"] == "Car insurance"
    briefing = client.post("/morning_briefing", params={"date": D.isoformat()}).json()["report"]
    assert f"  • Budget: no alerts\n  • Planned: {listed}" in briefing


def test_the_fresh_install_migration_leaves_the_persons_own_calendar_and_view_alone(pg_server):
    from sqlalchemy import create_engine, text

    from twin_pipeline.migrations import migrate

    pg_server.ensure_databases(["planned_persons_finance"])
    engine = create_engine(pg_server.url("planned_persons_finance"))
    try:
        # Their sync's table (no index on expense_date) and their own view, before any migration.
        execute(engine, "CREATE TABLE expense_calendar (id serial PRIMARY KEY, transaction_id varchar(100) UNIQUE, "
                        "name varchar(255), amount numeric(12, 2), expense_date date, is_paid boolean)")
        execute(engine, "CREATE VIEW v_upcoming_expenses AS SELECT name, expense_date FROM expense_calendar")
        assert "003_expense_calendar.sql" in [m.path.name for m in migrate(engine, "finance")]
        with engine.connect() as conn:
            indexes = conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'expense_calendar'"))
            view = conn.execute(text("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                                     "WHERE attrelid = 'v_upcoming_expenses'::regclass AND attnum > 0")).scalar()
            assert sorted(indexes.scalars()) == ["expense_calendar_pkey", "expense_calendar_transaction_id_key"]
            assert view == "name,expense_date"
    finally:
        engine.dispose()
