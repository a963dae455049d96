"""The append-only history: re-runs add nothing, corrections add a row, concurrent runs never duplicate."""

from datetime import date

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import text

from twin_pipeline.defs.resources import PostgresDatabase

from twin_pipeline_tests.conftest import count_state_rows, daily_assets, execute, materialize_days, states_of

D = date(2025, 1, 15)


@pytest.fixture
def sources(own_sources):
    """A salary and a purchase, in databases of this test alone (each test counts the rows it makes)."""
    execute(
        own_sources.finance,
        "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
        "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')",
    )
    execute(
        own_sources.finance,
        "INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
        "VALUES ('A', '2025-01-10', 'Income', 5000, 'employer', 2), ('B', '2025-01-12', 'Expense', 200, 'shop', 1)",
    )
    return own_sources


def test_running_a_day_twice_writes_nothing_new(sources):
    materialize_days(sources, D)
    assert count_state_rows(sources, D) == 3  # finance, health, pantry
    materialize_days(sources, D)
    assert count_state_rows(sources, D) == 3


def test_a_correction_keeps_the_old_row_and_adds_the_new_one(sources):
    materialize_days(sources, D)
    execute(sources.finance, "UPDATE transactions SET amount = 260 WHERE transaction_id = 'B'")
    materialize_days(sources, D)
    assert count_state_rows(sources, D) == 4
    with sources.twin.connect() as conn:
        nets = conn.execute(
            text(
                "SELECT (update_data ->> 'mtd_net')::numeric FROM digital_twin_updates "
                "WHERE entity_type = 'finance' AND update_data ->> 'as_of' = :d ORDER BY created_at"
            ),
            {"d": D.isoformat()},
        ).scalars().all()
    assert [float(n) for n in nets] == [4800.0, 4740.0]
    assert states_of(sources, [D])[("finance", D.isoformat())]["mtd_net"] == 4740.0  # the newest row wins


def test_the_manual_query_lists_the_latest_days_first(sources):
    materialize_days(sources, date(2025, 1, 16), date(2025, 1, 18))
    with sources.twin.connect() as conn:
        newest = conn.execute(
            text("SELECT entity_type, update_data ->> 'as_of' FROM digital_twin_updates ORDER BY created_at DESC LIMIT 3")
        ).all()
    assert sorted(newest) == [("finance", "2025-01-18"), ("health", "2025-01-18"), ("pantry", "2025-01-18")]


def test_an_unavailable_recomputation_never_buries_a_usable_state(sources):
    materialize_days(sources, D)
    before = count_state_rows(sources, D)
    resources = sources.resources()
    broken = PostgresDatabase(role="finance", url="postgresql://nobody@127.0.0.1:1/nowhere", twin_home=sources.twin_home)

    result = materialize(
        daily_assets(), resources={**resources, "finance_db": broken}, partition_key=D.isoformat(),
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success  # a broken source does not fail the run
    assert count_state_rows(sources, D) == before
    assert states_of(sources, [D])[("finance", D.isoformat())]["status"] == "ok"
    finance_events = result.asset_materializations_for_node("finance")
    assert finance_events[0].metadata["days_unavailable"].value == 1
