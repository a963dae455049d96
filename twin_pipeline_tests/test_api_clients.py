"""The person's own API clients (docs/contract.md, "The calls the existing clients make"), one test per row:
each sends exactly what that client sends and reads exactly what it reads, with the key in
X-API-KEY, with no key in warn mode, and refused in enforce mode. Then the paths of their
other systems, the schema, the settings, and the morning briefing's pure renderer."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from dagster import DagsterInstance, materialize
from fastapi.testclient import TestClient
from httpx import Response

from twin_pipeline.api import create_app
from twin_pipeline.core.briefing import goals_due, morning_briefing, today_dashboard
from twin_pipeline.defs.entities import ENTITY_ASSETS
from twin_pipeline.reader import TwinReader
from twin_pipeline.paths import EXAMPLES
from twin_pipeline.settings import ConfigurationError, TwinSettings
from twin_pipeline_tests.conftest import LocalClient, execute, materialize_days, today

TODAY = today()
KEY = "their-digital-twin-api-key"


def goal(code: str, status: str, target: date) -> str:
    return (f'---\ngoal_id: "goal-{code.lower()}"\nstatus: "{status}"\ntarget_date: "{target}"\n---\n\n'
            f"# {code.lower()} goal\n")


@pytest.fixture(scope="module")
def twin(sources, tmp_path_factory):
    """Today and yesterday materialized from a month of money, workouts, a measurement and a
    pantry with two items low; goals (one overdue, one due soon) and the example home."""
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')")
    execute(sources.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
            "merchant_source, category_id) VALUES ('S', :d, 'Income', 8000, 'employer', 2), "
            "('G', :d, 'Expense', 150, 'shop', 1)", {"d": TODAY})
    execute(sources.finance, "INSERT INTO budgets (budget_id, budget_year, budget_month, type, category_id, "
            "budget_amount, alert_threshold, priority, is_active) VALUES ('B', :y, :m, 'Expense', 1, 100, 80, "
            "'High', true)", {"y": TODAY.year, "m": TODAY.month})
    execute(sources.training, "INSERT INTO workout_templates (template_id, template_name, workout_type) "
            "VALUES ('LOW', 'Lower', 'HIT Lower')")
    execute(sources.training, "INSERT INTO workouts (workout_date, template_id, duration_min) VALUES (:d, 'LOW', 30)",
            [{"d": TODAY - timedelta(days=1)}, {"d": TODAY - timedelta(days=3)}])
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) "
            "VALUES (:d, 80.40, 18.50)", {"d": TODAY - timedelta(days=1)})
    execute(sources.pantry, "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold) "
            "VALUES ('Rice', 0.5, 1), ('Eggs', 2, 6), ('Oil', 5, 1)")
    folder = tmp_path_factory.mktemp("goals")
    for code, status, days in (("G01", "active", 3), ("G02", "active", -2), ("G03", "completed", -5),
                               ("G04", "active", 60)):
        (folder / f"{code}.md").write_text(goal(code, status, TODAY + timedelta(days=days)))
    materialize_days(sources, TODAY - timedelta(days=1), TODAY)
    config = {"goals_dir": str(folder), "home_states": str(EXAMPLES / "home_assistant_states.json")}
    assert materialize(ENTITY_ASSETS, resources=sources.resources(**config),
                       instance=DagsterInstance.ephemeral()).success
    materialize_days(sources, TODAY, **config)  # today's text with the home line
    return sources


def app_client(twin, mode: str) -> TestClient:
    probes = {f"{role}_database": getattr(twin, role) for role in ("finance", "training", "pantry")}
    return LocalClient(create_app(TwinReader(twin.finance_url), token=KEY, auth_mode=mode, probes=probes,
                                 recheck_seconds=0))


@pytest.fixture(scope="module")
def enforce(twin):
    return app_client(twin, "enforce")


@pytest.fixture(scope="module")
def warn(twin):
    return app_client(twin, "warn")


@dataclass(frozen=True)
class Call:
    """One row of the CONTRACT table: what the client sends, and what it reads."""

    method: str
    path: str
    reads: Callable[[Response], None]
    params: dict | None = None
    body: dict | None = None

    def send(self, client: TestClient, headers: dict | None = None) -> Response:
        return client.request(self.method, self.path, params=self.params, json=self.body, headers=headers)


def status_text(response: Response) -> None:
    assert response.headers["content-type"].startswith("text/plain")
    lines = response.text.splitlines()
    assert lines[0] == f"📊 AUTONOMOUS LIVING STATUS · {TODAY}"
    assert lines[2] == "💰 Finance: +7,850.00 PLN MTD · 1 budget alert (Food > Groceries)"


def briefing(response: Response) -> None:
    text = response.json()["response_text"]
    blocks = text.split("\n\n")
    assert blocks[0] == f"🌅 MORNING BRIEFING · {TODAY}"
    # What is notable first: the spent budget, current since the only day the twin knows.
    assert [block.split()[0] for block in blocks[1:]] == ["⚠️", "💪", "💰", "🛒", "🏠", "🎯"]
    notable = blocks[1].splitlines()
    assert notable[0] == "⚠️ Notable" and f"  • Groceries budget is spent (since {TODAY})" in notable
    assert "  • Month to date: +7,850.00 PLN (income 8,000.00, expenses 150.00)" in text
    assert "Food > Groceries at 150.00 % of 100.00 PLN (CRITICAL" in text
    assert "80.4 kg · 18.5 % body fat" in text and "🛒 Pantry: 2 items low stock (Eggs, Rice)" in text
    assert blocks[-1] == (f"🎯 Goals due\n  • G02 g02 goal: overdue by 2 days (target {TODAY - timedelta(days=2)})\n"
                          f"  • G01 g01 goal: due in 3 days (target {TODAY + timedelta(days=3)})")
    assert "G03" not in text and "G04" not in text
    assert not any(word in text.lower() for word in ("sleep", "hrv", "readiness", "task"))


def today_text(response: Response) -> None:
    text = response.json()["response_text"]
    assert text.startswith(f"📱 Today's Dashboard · {TODAY}\n💪 Health: 2/3 workouts this week · 80.4 kg")
    assert "🏠 Home: " in text


def everything(response: Response) -> None:
    body = response.json()
    assert body["content"] == body["report"] and body["content"].startswith("📊 AUTONOMOUS LIVING STATUS")
    data = body["data"]
    assert set(data) == {"finance", "health", "pantry", "person", "goals", "home"}
    assert data["finance"]["mtd_net"] == 7850.0 and data["pantry"]["low_stock"] == ["Eggs", "Rice"]
    assert [g["goal_code"] for g in data["goals"]] == ["G01", "G02", "G03", "G04"]
    assert data["person"]["goals_progress"]["overdue"] == ["G02"]
    assert data["home"]["operational_status"] == "Degraded"


def dashboard_finance(response: Response) -> None:
    assert (response.json()["mtd_net"], response.json()["active_budget_alerts"]) == (7850.0, 1)


def dashboard_health(response: Response) -> None:
    assert (response.json()["bodyfat_pct"], response.json()["days_since_workout"]) == (18.5, 1)


def dashboard_status(response: Response) -> None:
    pantry = response.json()["state"]["pantry"]
    assert (pantry["low_stock_count"], pantry["low_stock_items"][0]) == (2, "Eggs")


def heartbeat(response: Response) -> None:
    assert response.status_code == 200


def domain(response: Response) -> None:
    assert response.status_code == 200
    assert response.json()["report"].startswith("✅ finance database answers at ")


def day_health(response: Response) -> None:
    body = response.json()
    assert body["as_of"] == (TODAY - timedelta(days=1)).isoformat()
    assert (body["days_since_workout"], body["bodyweight_kg"], body["workouts_last_7_days"]) == (0, 80.4, 2)


CALLS = {
    "status workflow": Call("GET", "/status", status_text, params={"format": "text"}),
    "morning briefing workflow": Call("POST", "/morning_briefing", briefing),
    "morning briefing (the GET document)": Call("GET", "/morning_briefing", briefing),
    "planner workflow": Call("GET", "/today", today_text, params={"format": "text"}),
    "reflection workflows": Call("GET", "/all", everything),
    "Obsidian dashboard /finance": Call("GET", "/finance", dashboard_finance),
    "Obsidian dashboard /health": Call("GET", "/health", dashboard_health),
    "Obsidian dashboard /status": Call("GET", "/status", dashboard_status),
    "heartbeat script": Call("GET", "/status", heartbeat),
    "startup probe": Call("GET", "/health/ready", heartbeat),
    "troubleshooting runbook": Call("GET", "/health/domain/finance", domain),
    "history": Call("POST", "/health/history", day_health, body={"target_date": str(TODAY - timedelta(days=1))}),
}


@pytest.mark.parametrize("client_name", CALLS)
def test_with_the_key_in_x_api_key(enforce, client_name):
    call = CALLS[client_name]
    began = time.perf_counter()
    response = call.send(enforce, {"X-API-KEY": KEY})
    assert time.perf_counter() - began < 2  # the heartbeat's timeout
    assert response.status_code == 200, response.text
    call.reads(response)


@pytest.mark.parametrize("client_name", CALLS)
def test_without_a_key_in_warn_mode_let_through_and_logged(warn, caplog, client_name):
    call = CALLS[client_name]
    with caplog.at_level(logging.WARNING, logger="twin_pipeline.api.security"):
        response = call.send(warn)
    assert response.status_code == 200, response.text
    call.reads(response)
    (record,) = [r for r in caplog.records if r.name == "twin_pipeline.api.security"]
    assert record.getMessage() == (f"no API key from testclient for {call.method} {call.path}: "
                                   "let through because TWIN_API_AUTH=warn")


@pytest.mark.parametrize("client_name", CALLS)
def test_refused_in_enforce_mode(enforce, client_name):
    call = CALLS[client_name]
    missing, wrong = call.send(enforce), call.send(enforce, {"X-API-KEY": "not-" + KEY})
    assert (missing.status_code, wrong.status_code) == (401, 403)
    assert missing.json()["report"].startswith("❌ Error: an API key is required")
    assert wrong.json()["detail"] == "wrong API key: send the key of DIGITAL_TWIN_API_KEY in X-API-KEY"


def test_a_wrong_key_in_warn_mode_is_logged_without_the_key(warn, caplog):
    with caplog.at_level(logging.WARNING, logger="twin_pipeline.api.security"):
        assert warn.get("/finance", headers={"X-API-KEY": "leaked-secret"}).status_code == 200
    (record,) = caplog.records
    assert record.getMessage().startswith("a wrong API key from testclient for GET /finance")
    assert "leaked-secret" not in caplog.text and KEY not in caplog.text


def test_every_json_answer_and_error_carries_the_text(enforce):
    headers = {"X-API-KEY": KEY}
    for path in ("/status", "/today", "/all", "/morning_briefing", "/finance", "/health", "/pantry", "/person",
                 "/home", "/health/history", "/health/live", "/health/ready", "/health/domain/pantry"):
        for method in ("GET", "POST"):
            body = enforce.request(method, path, headers=headers).json()
            assert body["report"] and body["report"] == body["response_text"] == body["content"], (method, path)
    assert enforce.get("/pantry", headers=headers).json()["report"] == "🛒 Pantry: 2 items low stock (Eggs, Rice)"
    assert enforce.get("/health", headers=headers).json()["data"]["body_composition"]["bodyfat_pct"] == 18.5
    error = enforce.post("/health/history", headers=headers, json={"target_date": "1999-01-01"})
    assert error.status_code == 404
    assert error.json()["report"].startswith("❌ Error: no state for 1999-01-01")
    invalid = enforce.post("/health/history", headers=headers, json={"target_date": "yesterday"})
    assert invalid.status_code == 422 and "target_date" in invalid.json()["report"]


@pytest.mark.parametrize("path, system", [
    ("/career/profile", "career data"), ("/harvest", "content harvest"), ("/coffee/log", "coffee logging"),
    ("/personal_os/status", "the personal OS"), ("/maps/places", "maps"), ("/tasks/today", "tasks"),
    ("/vision", "vision"),
])
def test_paths_of_other_systems_are_404_naming_them(warn, path, system):
    for method in ("GET", "POST"):
        response = warn.request(method, path)
        assert response.status_code == 404
        assert response.json()["report"].startswith(f"❌ Error: {path} belongs to {system}, another system: "
                                                    "the twin does not serve it")


def test_a_source_that_is_down_is_503_with_its_reason(twin):
    from sqlalchemy import create_engine

    probes = {"training_database": create_engine("postgresql+psycopg2://twin@127.0.0.1:1/autonomous_training",
                                                 connect_args={"connect_timeout": 1})}
    client = LocalClient(create_app(TwinReader(twin.finance_url), probes=probes))
    down = client.get("/health/domain/training")
    assert down.status_code == 503
    assert down.json()["report"].startswith("❌ Error: training database unreachable at 127.0.0.1:1")
    assert client.get("/health/domain/twin").status_code == 200
    assert client.get("/health/domain/pantry").status_code == 503  # not probed by this app: not ready
    assert client.get("/health/domain/career").status_code == 422


def test_the_schema_documents_the_keys_and_the_old_names(enforce):
    schema = enforce.get("/openapi.json").json()
    assert set(schema["components"]["securitySchemes"]) == {"X-API-KEY", "Bearer"}
    assert schema["components"]["securitySchemes"]["X-API-KEY"]["name"] == "X-API-KEY"
    assert schema["security"] == [{"X-API-KEY": []}, {"Bearer": []}]
    assert schema["paths"]["/health/live"]["get"]["security"] == []  # no key needed
    models = schema["components"]["schemas"]
    assert models["HealthAnswer"]["properties"]["days_since_workout"]["description"].startswith("Kept for existing")
    assert "state.pantry.low_stock_items" in models["StatusAnswer"]["properties"]["state"]["description"]
    assert "report" in models["ErrorAnswer"]["required"]
    status = schema["paths"]["/status"]
    assert set(status) == {"get", "post"} and "403" in status["post"]["responses"]
    assert "requestBody" in schema["paths"]["/health/history"]["post"]


def test_settings_take_either_key_variable_and_the_mode():
    assert TwinSettings.from_env({"DIGITAL_TWIN_API_KEY": "k"}).api_key == "k"
    assert TwinSettings.from_env({"TWIN_API_TOKEN": "k", "DIGITAL_TWIN_API_KEY": "k"}).api_key == "k"
    assert TwinSettings.from_env({"TWIN_API_TOKEN": "t"}).api_auth == "enforce"
    assert TwinSettings.from_env({"TWIN_API_TOKEN": "t", "TWIN_API_AUTH": "WARN"}).api_auth == "warn"
    with pytest.raises(ConfigurationError, match="both set and differ"):
        TwinSettings.from_env({"TWIN_API_TOKEN": "a", "DIGITAL_TWIN_API_KEY": "b"})
    with pytest.raises(ConfigurationError, match="warn needs a key"):
        TwinSettings.from_env({"TWIN_API_AUTH": "warn"})
    with pytest.raises(ValueError, match="warn needs a key"):
        create_app(TwinReader("postgresql://twin@127.0.0.1:1/x", person_id=KEY), auth_mode="warn")


SECTIONS = {
    "health": {"as_of": "2026-03-10", "status": "ok", "last_workout_date": "2026-03-09", "days_since_last_workout": 1,
               "workouts_last_7_days": 3, "body_composition": {"measurement_date": "2026-03-08", "bodyweight_kg": 79.2,
                                                               "bodyfat_pct": None, "weight_trend": "LOSING"}},
    "finance": {"as_of": "2026-03-10", "status": "ok", "currency": "PLN", "mtd_income": 100.0, "mtd_expense": 350.5,
                "mtd_net": -250.5, "active_budget_alerts": 0, "alerts": [],
                "by_currency": {"EUR": {"mtd_income": 10.0, "mtd_expense": 0.0, "mtd_net": 10.0},
                                "PLN": {"mtd_income": 100.0, "mtd_expense": 350.5, "mtd_net": -250.5}}},
    "pantry": {"as_of": "2026-03-10", "status": "unavailable", "error": "pantry database unreachable"},
}


def test_the_briefing_leaves_out_what_the_twin_does_not_know():
    text = morning_briefing("2026-03-10", SECTIONS, weekly_workout_target=4, home=None, goals=[])
    assert text == (
        "🌅 MORNING BRIEFING · 2026-03-10\n\n"
        "💪 Health\n"
        "  • Training: 3/4 workouts in the last 7 days, last on 2026-03-09 (1 day ago)\n"
        "  • Body: 79.2 kg · losing (measured 2026-03-08)\n\n"
        "💰 Finance\n"
        "  • Month to date: -250.50 PLN (income 100.00, expenses 350.50)\n"
        "  • Month to date: +10.00 EUR (income 10.00, expenses 0.00)\n"
        "  • Budget: no alerts\n\n"
        "⚠️ Pantry: unavailable (pantry database unreachable)"
    )
    only_finance = morning_briefing("2026-03-10", {"finance": SECTIONS["finance"]}, weekly_workout_target=4)
    assert "Health" not in only_finance and "Pantry" not in only_finance
    trained_today = {**SECTIONS["health"], "last_workout_date": "2026-03-10", "days_since_last_workout": 0}
    assert "last on 2026-03-10 (today)" in morning_briefing("2026-03-10", {"health": trained_today},
                                                             weekly_workout_target=4)


def test_goals_due_are_open_goals_overdue_or_within_a_week():
    rows = [{"goal_code": c, "name": c, "status": s, "target_date": t} for c, s, t in [
        ("G1", "Active", "2026-03-17"), ("G2", "Active", "2026-03-18"), ("G3", "On Hold", "2026-03-01"),
        ("G4", "Completed", "2026-03-01"), ("G5", "Planning", None), ("G6", "Planning", "2026-03-10")]]
    assert [(g["goal_code"], left) for g, left in goals_due(rows, date(2026, 3, 10))] == [
        ("G3", -9), ("G6", 0), ("G1", 7)]


def test_the_planner_text_replaces_the_status_header():
    assert today_dashboard("2026-03-10", "📊 AUTONOMOUS LIVING STATUS · 2026-03-10\n💪 Health: x") == (
        "📱 Today's Dashboard · 2026-03-10\n💪 Health: x")
    assert today_dashboard("2026-03-10", "") == "📱 Today's Dashboard · 2026-03-10"


def test_the_briefing_and_finance_carry_the_month_end_and_its_range():
    from twin_pipeline.api.routers.entities import section_line

    made = {"low": -900.0, "high": 400.0, "level_pct": 80, "errors": 40}
    finance = {**SECTIONS["finance"], "forecast": {"currency": "PLN", "month_end_net_projected": -165.0,
                                                   "month_end_net_range": made}}
    text = morning_briefing("2026-03-10", {"finance": finance}, weekly_workout_target=4)
    assert "  • Budget: no alerts" in text
    assert "  • Month end -165 PLN (80 %: -900 to +400)\n  • Budget: no alerts" in text
    assert section_line(None, "finance", finance).splitlines() == [
        "💰 Finance: -250.50 PLN, +10.00 EUR MTD", "📈 Month end -165 PLN (80 %: -900 to +400)"]
    # Without a range (too few errors yet) the projection alone; without a projection nothing.
    finance["forecast"]["month_end_net_range"] = None
    assert section_line(None, "finance", finance).endswith("\n📈 Month end -165 PLN")
    finance["forecast"]["month_end_net_projected"] = None
    assert section_line(None, "finance", finance) == "💰 Finance: -250.50 PLN, +10.00 EUR MTD"
