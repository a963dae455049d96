"""The twin's history in pandas: TwinReader.frame, and `twin export` to CSV and Parquet, on
sixty days of states shaped like the pipeline's (decade.py) in a real store."""

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import text

from twin_pipeline.cli import main
from twin_pipeline.reader import TwinReader
from twin_pipeline.store.schema import SOURCE_SYSTEM, UPDATE_TYPE
from twin_pipeline.store.states import day_states
from twin_pipeline_tests.conftest import execute
from twin_pipeline_tests.decade import insert_states

END = date(2026, 3, 31)
CORRECTED = "2026-03-15"


@pytest.fixture(scope="module")
def twin(sources):
    insert_states(sources.twin, END, days=60, story=False, summaries=False)
    reader = TwinReader(sources.finance_url)
    # A day restated later: the newest row is the day's state.
    with sources.twin.connect() as conn:
        document = day_states(conn, reader.person_id, CORRECTED)["finance"]
    execute(sources.twin, "INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, "
            "update_type, created_at) VALUES ('finance', CAST(:p AS uuid), CAST(:d AS jsonb), :s, :u, :t)",
            {"p": reader.person_id, "d": json.dumps({**document, "mtd_net": 1234.56}), "s": SOURCE_SYSTEM,
             "u": UPDATE_TYPE, "t": datetime(2026, 4, 2, tzinfo=timezone.utc)})
    return reader


def stored_numbers(sources, field: str) -> dict[str, Decimal]:
    """as_of -> the field of the day's newest finance row, as the JSON text says it."""
    with sources.twin.connect() as conn:
        rows = conn.execute(text(
            "SELECT DISTINCT ON (update_data ->> 'as_of') update_data ->> 'as_of', update_data ->> :f "
            "FROM digital_twin_updates WHERE entity_type = 'finance' "
            "ORDER BY update_data ->> 'as_of', created_at DESC"), {"f": field}).all()
    return {as_of: Decimal(value) for as_of, value in rows}


def test_one_row_a_day_indexed_by_day_with_the_documents_fields(twin, sources):
    finance = twin.frame("finance")
    assert len(finance) == 60 and finance.index.name == "as_of"
    assert finance.index.dtype == "datetime64[ns]" and finance.index.is_monotonic_increasing
    assert finance.index[0] == pd.Timestamp("2026-01-31") and finance.index[-1] == pd.Timestamp(END)
    assert {"status", "error", "currency", "mtd_income", "mtd_expense", "mtd_net", "active_budget_alerts",
            "alerts", "forecast.month_end_net_projected", "by_currency.PLN.mtd_net"} <= set(finance.columns)
    assert "as_of" not in finance.columns
    assert finance.loc[CORRECTED, "mtd_net"] == 1234.56  # the newest row of a corrected day
    assert isinstance(finance["alerts"].iloc[0], list) and finance["alerts"].iloc[0][0]["alert_id"]


def test_money_is_float64_reading_back_exactly_as_stored(twin, sources):
    finance = twin.frame("finance")
    assert finance["mtd_net"].dtype == "float64" and finance["mtd_expense"].dtype == "float64"
    stored = stored_numbers(sources, "mtd_expense")
    assert {day.strftime("%Y-%m-%d"): Decimal(repr(value)) for day, value in finance["mtd_expense"].items()} == stored
    assert len({value for value in stored.values()}) > 30  # days of their own, not one template


def test_nested_fields_are_flattened_and_a_window_is_a_window(twin):
    health = twin.frame("health", "2026-03-01", date(2026, 3, 10))
    assert list(health.index.strftime("%Y-%m-%d")) == [f"2026-03-{d:02d}" for d in range(1, 11)]
    weight = health["body_composition.bodyweight_kg"]
    assert weight.dtype == "float64" and weight.between(70, 85).all() and weight.nunique() > 3
    assert health["body_composition.bodyfat_pct"].isna().sum() > 0  # measured on some days only
    pantry = twin.frame("pantry", start="2026-03-30")
    assert len(pantry) == 2 and pantry["low_stock_count"].dtype == "int64"
    assert twin.frame("pantry", "2027-01-01").empty and twin.frame("pantry", "2027-01-01").index.name == "as_of"


def test_an_unknown_entity_is_named(twin):
    with pytest.raises(ValueError, match="no entity 'goal': the twin's day states are finance, health, pantry"):
        twin.frame("goal")


@pytest.fixture
def cli_env(sources, monkeypatch):
    for role in ("finance", "training", "pantry"):
        monkeypatch.setenv(f"{role.upper()}_DATABASE_URL", getattr(sources, f"{role}_url"))
    monkeypatch.setenv("DAGSTER_PG_URL", sources.finance_url)  # configured, so nothing embedded starts


def test_twin_export_csv_writes_the_frame(twin, cli_env, tmp_path, capsys):
    out = tmp_path / "finance.csv"
    assert main(["export", "--entity", "finance", "--format", "csv", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"{out}: 60 days of finance (the first day .. the newest day), one row a day, csv"
    written = pd.read_csv(out, dtype={"as_of": str})
    frame = twin.frame("finance")
    assert list(written.columns) == ["as_of", *frame.columns]
    assert list(written["as_of"]) == list(frame.index.strftime("%Y-%m-%d"))
    assert list(written["mtd_net"]) == list(frame["mtd_net"])
    assert json.loads(written["alerts"].iloc[-1]) == frame["alerts"].iloc[-1]  # lists as JSON text
    assert "1234.56" in out.read_text().splitlines()[list(written["as_of"]).index(CORRECTED) + 1]


def test_twin_export_parquet_from_the_suffix_and_a_window(twin, cli_env, tmp_path):
    out = tmp_path / "pantry.parquet"
    assert main(["export", "--entity", "pantry", "--out", str(out), "--start", "2026-03-01", "--end", "2026-03-31"]) == 0
    written = pd.read_parquet(out)
    frame = twin.frame("pantry", "2026-03-01", "2026-03-31")
    assert len(written) == 31 and written["as_of"].iloc[0] == date(2026, 3, 1)
    assert list(written["low_stock_count"]) == list(frame["low_stock_count"])
    assert json.loads(written["low_stock"].iloc[0]) == frame["low_stock"].iloc[0]


def test_twin_export_says_when_there_is_nothing_or_no_format(twin, cli_env, tmp_path, capsys):
    out = tmp_path / "none.csv"
    assert main(["export", "--entity", "health", "--out", str(out), "--start", "2030-01-01"]) == 1
    assert "no health state from 2030-01-01 .. the newest day in the twin store: nothing written" in capsys.readouterr().out
    assert not out.exists()
    assert main(["export", "--entity", "health", "--out", str(tmp_path / "health.xlsx")]) == 2
    assert "pass --format csv or --format parquet" in capsys.readouterr().out
