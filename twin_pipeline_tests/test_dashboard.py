"""The dashboard's data endpoint and page on ten years of states (decade.py writes them in a
second), each chart checked against the same states read another way (TwinReader.frame),
and bad input: an empty store, one day, gaps, unavailable sections, unknown parameters.

The page in a real browser is test_dashboard_ui.py."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from sqlalchemy import create_engine, event

from twin_pipeline.api import create_app
from twin_pipeline.migrations import migrate
from twin_pipeline.reader import TwinReader
from twin_pipeline_tests.conftest import LocalClient, fuzz_for_server_errors
from twin_pipeline_tests.decade import TEN_YEARS, insert_states

END = date(2026, 3, 31)
TOKEN = "a-long-dashboard-token"


@pytest.fixture(scope="module")
def decade(sources):
    return insert_states(sources.twin, END)


@pytest.fixture(scope="module")
def reader(sources, decade):
    return TwinReader(sources.finance_url)


@pytest.fixture(scope="module")
def client(reader):
    return LocalClient(create_app(reader, recheck_seconds=0, weekly_workout_target=4))


def data(client, **params) -> dict:
    response = client.get("/dashboard/data", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_decade_is_about_eleven_thousand_rows(sources, decade):
    with sources.twin.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM digital_twin_updates").scalar()
    # three entities a day, less the ten-day gap, plus the three replaced rows
    assert rows == 3 * (TEN_YEARS - 10) + 3 == 10932


def test_monthly_net_is_each_months_last_day(client, reader):
    answer = data(client, range="1y", date="2026-03-31")
    cashflow = answer["data"]["cashflow"]
    finance = reader.frame("finance", "2025-04-01", "2026-03-31")
    month_end = finance.groupby(finance.index.strftime("%Y-%m")).last()
    assert cashflow["months"] == list(month_end.index) and len(cashflow["months"]) == 12
    # per currency, as the documents report them (the demo's main account is PLN, one is EUR)
    assert sorted(cashflow["net"]) == ["EUR", "PLN"]
    assert cashflow["net"]["PLN"] == list(month_end["mtd_net"]) == list(month_end["by_currency.PLN.mtd_net"])
    assert cashflow["net"]["EUR"] == list(month_end["by_currency.EUR.mtd_net"])
    assert cashflow["month_so_far"] == {"month": "2026-03", "as_of": "2026-03-31", "net": {
        "EUR": finance["by_currency.EUR.mtd_net"].iloc[-1], "PLN": finance["mtd_net"].iloc[-1]}}
    # mid-month: the net so far is the selected day's
    mid = data(client, range="30d", date="2026-02-14")["data"]["cashflow"]
    assert mid["months"] == ["2026-01", "2026-02"]
    assert mid["month_so_far"]["as_of"] == "2026-02-14"
    assert mid["month_so_far"]["net"]["PLN"] == reader.frame("finance", "2026-02-14", "2026-02-14")["mtd_net"].iloc[0]


def test_weight_points_trend_and_body_fat(client, reader):
    weight = data(client, range="1y")["data"]["weight"]
    health = reader.frame("health", "2025-02-01", "2026-03-31")
    kg = health["body_composition.bodyweight_kg"]
    assert weight["days"][0] == "2025-04-01" and weight["days"][-1] == "2026-03-31" and len(weight["days"]) == 365
    assert weight["bodyweight_kg"] == list(kg.loc["2025-04-01":])
    # the mean of the 28 days ending on each day, exactly (PostgreSQL numeric), to the cent
    for day, trend in zip(weight["days"], weight["trend_kg"], strict=True):
        window = [Decimal(str(v)) for v in kg.loc[pd.Timestamp(day) - pd.Timedelta(days=27):day]]
        assert len(window) == 28
        assert trend == float((sum(window) / 28).quantize(Decimal("0.01"), ROUND_HALF_UP)), day
    assert weight["trend_kg"] != weight["bodyweight_kg"]
    fat = health["body_composition.bodyfat_pct"].loc["2025-04-01":]
    assert sum(v is not None for v in weight["bodyfat_pct"]) == fat.notna().sum() >= 52  # one day a week
    assert weight["missing"] is None


def test_workouts_per_whole_week_against_the_target(client, reader):
    workouts = data(client, range="30d", date="2026-03-31")["data"]["workouts"]
    ends = ["2026-03-03", "2026-03-10", "2026-03-17", "2026-03-24", "2026-03-31"]
    health = reader.frame("health", "2026-03-01")
    assert workouts["weeks_ending"] == ends
    assert workouts["workouts"] == [int(health.loc[day, "workouts_last_7_days"]) for day in ends]
    assert workouts["target"] == 4


def test_budgets_of_the_selected_day_with_severities(client, reader):
    budgets = data(client, date="2026-01-20")["data"]["budgets"]
    finance = reader.frame("finance", "2026-01-20", "2026-01-20").iloc[0]
    alerts = {a["category_path"]: a for a in finance["alerts"]}
    assert budgets["as_of"] == "2026-01-20" and len(budgets["budgets"]) == len(finance["forecast.budgets"])
    shown = {b["category_path"]: b for b in budgets["budgets"]}
    for path, alert in alerts.items():
        assert (shown[path]["utilization_pct"], shown[path]["alert_severity"]) == (alert["utilization_pct"], alert["alert_severity"])
    calm = [b for b in budgets["budgets"] if b["category_path"] not in alerts]
    assert calm and all(b["alert_severity"] is None for b in calm)
    assert calm[0]["utilization_pct"] == round(calm[0]["actual_amount"] / calm[0]["budget_amount"] * 100, 2)
    utilisation = [b["utilization_pct"] for b in budgets["budgets"]]
    assert utilisation == sorted(utilisation, reverse=True)


def test_pantry_counts_every_day_with_the_unavailable_ones_empty(client, decade, reader):
    first, last = decade.day(decade.pantry_unavailable.stop + 5), decade.day(decade.pantry_unavailable.start - 5)
    answer = data(client, range="1y", date=last.isoformat())
    pantry = answer["data"]["pantry"]
    assert len(pantry["days"]) == 365 and pantry["days"][-1] == last.isoformat()
    down = decade.day(decade.pantry_unavailable.start).isoformat()
    assert pantry["low_stock"][pantry["days"].index(down)] is None
    stored = reader.frame("pantry", first, last)
    assert pantry["low_stock"][-1] == stored["low_stock_count"].iloc[-1]
    assert sum(v is not None for v in pantry["expired"]) == 365 - 30
    assert pantry["missing"] == f"pantry: unavailable on 30 days (first {decade.day(decade.pantry_unavailable.stop - 1)})"
    assert pantry["missing"] in answer["missing"]


def test_days_missing_in_the_middle_are_named_and_left_empty(client, decade):
    last = decade.day(decade.gap.start - 20)
    answer = data(client, range="30d", date=last.isoformat())
    first_gap = decade.day(decade.gap.stop - 1).isoformat()
    for entity in ("finance", "health"):
        assert f"{entity}: no state on 10 of 30 days (first {first_gap})" in answer["missing"]
    pantry = answer["data"]["pantry"]
    assert pantry["low_stock"][pantry["days"].index(first_gap)] is None
    assert len(answer["data"]["weight"]["days"]) == 20
    workouts = answer["data"]["workouts"]
    assert workouts["workouts"].count(None) == 2 and len(workouts["workouts"]) == 5
    assert workouts["missing"] == f"workouts unknown for 2 of 5 weeks (no health state on their last day, first {decade.day(1008)})"
    assert workouts["missing"] in answer["missing"]


def test_the_status_text_is_the_status_endpoints(client, decade):
    for day in (None, "2026-01-20", decade.day(2500).isoformat()):
        params = {"date": day} if day else {}
        text = client.get("/status", params={**params, "format": "text"}).text
        answer = data(client, **params)
        assert answer["data"]["status_text"] == text == answer["report"]
        assert text.startswith(f"📊 AUTONOMOUS LIVING STATUS · {day or END.isoformat()}")


def test_corrected_days_are_counted(client, decade):
    assert data(client, range="1y")["data"]["corrections"] == {"days": 2, "rows": 2}
    assert data(client, range="all")["data"]["corrections"] == {"days": 3, "rows": 3}
    assert data(client, range="30d")["data"]["corrections"] == {"days": 1, "rows": 1}


def test_everything_spans_the_store_and_ranges_stay_inside_it(client, decade, reader):
    everything = data(client, range="all")["data"]
    first = decade.day(decade.days - 1).isoformat()
    assert everything["range"] == {"name": "all", "first": first, "last": END.isoformat()}
    assert everything["store"] == {"first_day": first, "last_day": END.isoformat()}
    assert len(everything["cashflow"]["months"]) == 121
    # a decade's pantry: each week's last day, as stored that day
    pantry = everything["pantry"]
    assert pantry["every"] == "week" and len(pantry["days"]) == TEN_YEARS // 7 + 1 and pantry["days"][-1] == END.isoformat()
    stored = reader.frame("pantry")["low_stock_count"]
    shown = {day: count for day, count in zip(pantry["days"], pantry["low_stock"], strict=True) if count is not None}
    assert shown == {day: stored[day] for day in shown} and len(shown) == len(pantry["days"]) - 6
    assert data(client, range="1y")["data"]["pantry"]["every"] == "day"
    early = data(client, range="1y", date=decade.day(decade.days - 10).isoformat())["data"]
    assert early["range"]["first"] == first and len(early["pantry"]["days"]) == 10


def test_one_query_per_chart_whatever_the_range(reader):
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    app = LocalClient(create_app(reader, recheck_seconds=30))
    event.listen(reader.engine, "before_cursor_execute", count)
    try:
        app.get("/dashboard/data", params={"range": "30d", "date": "2025-12-31"})
        month = len(statements)
        statements.clear()
        app.get("/dashboard/data", params={"range": "all", "date": "2025-12-30"})
        # A statement per chart, the month-end band's, the per-kind summary's and the home card's row included.
        assert len(statements) == month <= 16
        statements.clear()
        app.get("/dashboard/data", params={"range": "all", "date": "2025-12-30"})
        assert statements == []  # answered from the cache until the store changes
    finally:
        event.remove(reader.engine, "before_cursor_execute", count)


def test_unknown_parameters_are_named_and_ignored(client):
    answer = data(client, range="30d", colour="red", zoom="2")
    assert answer["missing"][0] == "unknown parameters ignored: colour, zoom (the dashboard reads range and date)"
    assert len(answer["data"]["pantry"]["days"]) == 30
    wrong = client.get("/dashboard/data", params={"range": "forever"})
    assert wrong.status_code == 422 and wrong.json()["report"].startswith("❌ Error: invalid request: range")


def test_a_day_outside_the_store_draws_nothing_and_says_so(client, decade):
    before = data(client, range="30d", date="2000-01-01")
    assert before["missing"][-1] == f"no state on 2000-01-01: the twin store holds {decade.day(decade.days - 1)} .. {END}"
    assert "pantry" not in before["data"]
    after = data(client, range="1y", date="2026-04-10")  # ends on the newest day the store holds
    assert after["data"]["range"]["last"] == END.isoformat()
    assert "no state for 2026-04-10" in " ".join(after["missing"]) and after["data"]["status_text"] is None
    assert after["data"]["budgets"]["missing"] == "no finance state on 2026-04-10"


def test_the_page_and_its_files_hold_no_data_and_need_no_key(reader):
    guarded = LocalClient(create_app(reader, token=TOKEN, recheck_seconds=0))
    page = guarded.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert "AUTONOMOUS" not in page.text and "http" not in page.text.replace("http-equiv", "")
    script = guarded.get("/dashboard/static/vendor/uplot/uPlot.iife.min.js")
    assert script.status_code == 200 and script.text.startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32)")
    assert "MIT License" in guarded.get("/dashboard/static/vendor/uplot/LICENSE").text
    missing = guarded.get("/dashboard/static/../reader.py")
    assert missing.status_code == 404
    assert guarded.get("/dashboard/data").status_code == 401
    assert guarded.get("/dashboard/data", headers={"X-API-KEY": "wrong"}).status_code == 403
    assert guarded.get("/dashboard/data", headers={"X-API-KEY": TOKEN}).json()["data"]["status_text"]


def migrated_store(pg_server, name: str):
    pg_server.ensure_databases([name])
    engine = create_engine(pg_server.url(name))
    migrate(engine, "twin")
    return engine


@pytest.fixture(scope="module")
def empty_store(pg_server):
    engine = migrated_store(pg_server, "dashboard_empty")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def one_day_store(pg_server):
    engine = migrated_store(pg_server, "dashboard_one_day")
    insert_states(engine, END, days=1, story=False)
    yield engine
    engine.dispose()


def test_an_empty_store_says_so(empty_store):
    app = LocalClient(create_app(TwinReader(engine=empty_store), recheck_seconds=0))
    answer = data(app, range="all")
    assert answer["missing"] == ["the twin store knows no person yet: run `twin snapshot` or `twin up` first"]
    assert answer["as_of"] is None and answer["report"] == answer["missing"][0]
    assert answer["data"] == {"range": {"name": "all", "first": None, "last": None}, "selected_day": None}
    assert app.get("/dashboard").status_code == 200


def test_one_day_draws_one_point_per_chart(one_day_store):
    app = LocalClient(create_app(TwinReader(engine=one_day_store), recheck_seconds=0))
    answer = data(app, range="1y")
    charts = answer["data"]
    assert answer["missing"] == [] and charts["status_text"].startswith(f"📊 AUTONOMOUS LIVING STATUS · {END}")
    assert charts["range"] == {"name": "1y", "first": END.isoformat(), "last": END.isoformat()}
    assert (charts["weight"]["days"], charts["pantry"]["days"], charts["cashflow"]["months"]) == (
        [END.isoformat()], [END.isoformat()], ["2026-03"])
    assert charts["workouts"]["weeks_ending"] == [END.isoformat()] and charts["workouts"]["workouts"][0] is not None
    assert charts["weight"]["trend_kg"] == charts["weight"]["bodyweight_kg"]
    assert charts["budgets"]["budgets"] and charts["corrections"] == {"days": 0, "rows": 0}
    # No biometrics in these states: an empty chart with its note, and nothing missing.
    assert charts["readiness"]["days"] == [] and charts["readiness"]["note"].startswith("no readiness")


def test_the_dashboard_endpoints_fuzzed_give_no_server_error(reader, empty_store):
    """Schemathesis over the dashboard's operations, on the decade and on an empty store."""
    import schemathesis

    for store_reader in (reader, TwinReader(engine=empty_store)):
        app = create_app(store_reader, token=TOKEN, auth_mode="warn", recheck_seconds=0)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        operations = [op for op in operations if op.path.startswith("/dashboard")]
        assert sorted((op.path, op.method.upper()) for op in operations) == [
            ("/dashboard", "GET"), ("/dashboard", "POST"), ("/dashboard/data", "GET"), ("/dashboard/data", "POST")]
        fuzz_for_server_errors(operations)


def test_frame_and_charts_agree_on_a_decade(reader, client):
    """The frame (one row a day) is the charts' source read another way: the decade's
    months as pandas sees them equal the endpoint's."""
    finance = reader.frame("finance")
    monthly = finance["mtd_net"].groupby(finance.index.to_period("M")).last()
    cashflow = data(client, range="all")["data"]["cashflow"]
    assert [str(p) for p in monthly.index] == cashflow["months"] and len(monthly) == 121
    assert list(monthly) == cashflow["net"]["PLN"]
    assert len(set(monthly)) > 100  # a decade of different months, not one template
    assert isinstance(finance.index, pd.DatetimeIndex) and finance.index.is_monotonic_increasing
