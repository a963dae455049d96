"""The household's keys: every route of the API with no key, the owner's key and a household
key (generated from the app's routes, so a route without an access decision fails here), what
a household key sees of each answer, X-User-ID, the access log and the per-key metrics, a
revoked key refused without a restart, the keys file's errors, the last-use audit and `twin keys`."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import text

from twin_pipeline.api import create_app
from twin_pipeline.api.auth import Gate
from twin_pipeline.api.key_use import KeyUse
from twin_pipeline.api.keys import KeysFile, KeysFileError, add_key, key_hash, parse_keys, read_keys, revoke_key
from twin_pipeline.api.server import app_from_settings
from twin_pipeline.defs.entities import ENTITY_ASSETS
from twin_pipeline.paths import EXAMPLES
from twin_pipeline.reader import TwinReader
from twin_pipeline.settings import ConfigurationError
from twin_pipeline_tests.conftest import LocalClient, execute, materialize_days, settings_for_tests, today

TODAY = today()
OWNER_KEY = "the-owners-digital-twin-api-key"
# A concrete request for each route with a path parameter; a new one must be added here.
CONCRETE_PATHS = {"/health/domain/{name}": "/health/domain/pantry",
                  "/dashboard/static/{name:path}": "/dashboard/static/dashboard.js"}
# FastAPI's own pages: the schema and its viewers, served without a key.
FASTAPI_PAGES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# What a household answer never holds: the other domains' names and figures.
OTHER_DOMAINS = {"finance", "health", "person", "goals", "cashflow", "weight", "readiness", "workouts", "budgets",
                 "forecasts", "corrections", "mtd_net", "mtd_income", "mtd_expense", "active_budget_alerts",
                 "alerts", "body_composition", "bodyweight_kg", "bodyfat_pct", "days_since_workout",
                 "readiness_score", "sleep_score", "hrv_ms", "health_metrics", "goals_progress"}
OTHER_DOMAIN_TEXT = ("💰", "💪", "🎯", "👤", "PLN", "Finance", "Health", "Goals", "workout", "Month end")


def dead_app():
    """An app over no database: enough to list the routes when the tests are collected."""
    return create_app(TwinReader("postgresql://twin@127.0.0.1:1/none", person_id="00000000-0000-0000-0000-000000000001"),
                      token=OWNER_KEY, recheck_seconds=0)


def served_routes() -> list:
    """Every route of the app, the included routers' ones among them."""
    return [context.original_route for context in iter_route_contexts(dead_app().routes)]


def route_calls() -> list[tuple[str, str, str]]:
    """(method, path, the route's template) of every operation the app serves."""
    calls = []
    for route in served_routes():
        if isinstance(route, APIRoute):
            calls += [(method, CONCRETE_PATHS.get(route.path, route.path), route.path) for method in sorted(route.methods)]
    return calls


def access_of(template: str, method: str) -> str:
    """The access the route declares (the Gates among its dependencies: exactly one)."""
    (route,) = [r for r in served_routes() if isinstance(r, APIRoute) and r.path == template and method in r.methods]
    gates = {dependency.call for dependency in route.dependant.dependencies if isinstance(dependency.call, Gate)}
    assert len(gates) == 1, f"{method} {template} declares {len(gates)} gates: declare one (OPEN, HOUSEHOLD, OWNER)"
    return next(iter(gates)).access


ROUTE_CALLS = route_calls()


def keys_text(*entries: tuple[str, str, str]) -> str:
    return "".join(f'[[key]]\nname = "{n}"\ntier = "{t}"\nsha256 = "{h}"\n\n' for n, t, h in entries)


@pytest.fixture(scope="module")
def twin(sources, tmp_path_factory):
    """Today and yesterday from money, a workout, a measurement, a pantry with two items low,
    a goal and the example home (so today's text has its home line)."""
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')")
    execute(sources.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
            "merchant_source, category_id) VALUES ('S', :d, 'Income', 8000, 'employer', 2), "
            "('G', :d, 'Expense', 150, 'shop', 1)", {"d": TODAY})
    execute(sources.training, "INSERT INTO workout_templates (template_id, template_name, workout_type) "
            "VALUES ('LOW', 'Lower', 'HIT Lower')")
    execute(sources.training, "INSERT INTO workouts (workout_date, template_id, duration_min) VALUES (:d, 'LOW', 30)",
            {"d": TODAY - timedelta(days=1)})
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) "
            "VALUES (:d, 80.40, 18.50)", {"d": TODAY - timedelta(days=1)})
    execute(sources.pantry, "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold) "
            "VALUES ('Rice', 0.5, 1), ('Eggs', 2, 6), ('Oil', 5, 1)")
    goals = tmp_path_factory.mktemp("goals")
    (goals / "G01.md").write_text(f'---\ngoal_id: "goal-g01"\nstatus: "active"\ntarget_date: '
                                  f'"{TODAY + timedelta(days=2)}"\n---\n\n# g01 goal\n')
    config = {"goals_dir": str(goals), "home_states": str(EXAMPLES / "home_assistant_states.json")}
    materialize_days(sources, TODAY - timedelta(days=1), TODAY)
    assert materialize(ENTITY_ASSETS, resources=sources.resources(**config), instance=DagsterInstance.ephemeral()).success
    materialize_days(sources, TODAY, **config)
    return sources


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A keys file with a household member and a second owner key; the keys by name."""
    path = tmp_path_factory.mktemp("keys") / "keys.toml"
    given = {"anna": add_key(path, "anna", "household"), "laptop": add_key(path, "laptop", "owner")}
    return path, given


@pytest.fixture(scope="module")
def client(twin, keys):
    probes = {f"{role}_database": getattr(twin, role) for role in ("finance", "training", "pantry")}
    app = create_app(TwinReader(twin.finance_url), token=OWNER_KEY, probes=probes, recheck_seconds=0,
                     keys_file=KeysFile(keys[0]))
    return LocalClient(app)


def household(keys) -> dict:
    return {"X-API-KEY": keys[1]["anna"]}


def strings_and_keys(value) -> tuple[set[str], list[str]]:
    """Every object key and every string in a JSON value."""
    names, texts = set(), []
    if isinstance(value, dict):
        for key, inner in value.items():
            names.add(key)
            more_names, more_texts = strings_and_keys(inner)
            names |= more_names
            texts += more_texts
    elif isinstance(value, list):
        for inner in value:
            more_names, more_texts = strings_and_keys(inner)
            names |= more_names
            texts += more_texts
    elif isinstance(value, str):
        texts.append(value)
    return names, texts


def test_every_route_declares_one_access_and_nothing_else_is_served():
    assert {r.path for r in served_routes() if not isinstance(r, APIRoute)} == FASTAPI_PAGES
    declared = {(method, template): access_of(template, method) for method, _, template in ROUTE_CALLS}
    owner_only = {template for (_, template), access in declared.items() if access == "owner"}
    assert owner_only == {"/finance", "/health", "/history", "/health/history", "/person", "/goals",
                          "/forecasts/review", "/metrics", "/notable"}
    opened = {template for (_, template), access in declared.items() if access == "open"}
    assert opened == {"/health/live", "/dashboard", "/dashboard/static/{name:path}"}
    for method, path, template in ROUTE_CALLS:
        assert "{" not in path, f"{method} {template}: add a concrete path to CONCRETE_PATHS"


@pytest.mark.parametrize("method, path, template", ROUTE_CALLS, ids=[f"{m} {p}" for m, p, _ in ROUTE_CALLS])
def test_each_tier_on_each_route(client, keys, method, path, template):
    access = access_of(template, method)
    anonymous = client.request(method, path)
    owner = client.request(method, path, headers={"X-API-KEY": OWNER_KEY})
    second_owner = client.request(method, path, headers={"Authorization": f"Bearer {keys[1]['laptop']}"})
    partner = client.request(method, path, headers=household(keys))
    assert anonymous.status_code == (200 if access == "open" else 401)
    assert owner.status_code == second_owner.status_code == 200, owner.text
    if access == "owner":
        assert partner.status_code == 403
        assert partner.json()["detail"] == f"the household tier reads the pantry and the home only: {path} is for the owner tier"
        assert partner.json()["report"].startswith("❌ Error: the household tier")
        return
    assert partner.status_code == 200, partner.text
    if access == "open":
        assert partner.content == owner.content
        return
    if partner.headers["content-type"].startswith("application/json"):
        names, texts = strings_and_keys(partner.json())
    else:
        names, texts = set(), [partner.text]
    assert not names & OTHER_DOMAINS, f"{path} shows a household key {sorted(names & OTHER_DOMAINS)}"
    leaked = [word for word in OTHER_DOMAIN_TEXT for value in texts if word in value]
    assert not leaked, f"{path} shows a household key {leaked}"


def test_a_household_status_is_the_pantry_and_the_home_only(client, keys):
    owner = client.get("/status", headers={"X-API-KEY": OWNER_KEY}).json()
    body = client.get("/status", headers=household(keys)).json()
    assert set(owner["data"]) == {"finance", "health", "pantry"}
    assert set(body["data"]) == set(body["state"]) == set(body["section_freshness"]) == {"pantry"}
    assert body["data"]["pantry"] == owner["data"]["pantry"]
    assert body["state"]["pantry"]["low_stock_items"] == ["Eggs", "Rice"]
    lines = body["report"].splitlines()
    assert lines[0] == f"📊 AUTONOMOUS LIVING STATUS · {TODAY}"
    assert lines[1] == "🛒 Pantry: 2 items low stock (Eggs, Rice)"
    assert lines[-1].startswith("🏠 Home: ") and lines[-1] in owner["report"].splitlines()
    text = client.get("/status", params={"format": "text"}, headers=household(keys))
    assert text.headers["content-type"].startswith("text/plain") and text.text == body["report"]
    yesterday = client.get("/status", params={"date": str(TODAY - timedelta(days=1)), "format": "text"},
                           headers=household(keys)).text
    # Yesterday's pantry cannot be reconstructed (no history capture); the home belongs to today.
    assert len(yesterday.splitlines()) == 2 and yesterday.splitlines()[1].startswith("⚠️ Pantry: unavailable")


def test_a_household_today_all_and_briefing(client, keys):
    today_answer = client.get("/today", headers=household(keys)).json()
    assert set(today_answer["data"]) == {"pantry"}
    assert today_answer["response_text"].splitlines()[:2] == [f"📱 Today's Dashboard · {TODAY}",
                                                              "🛒 Pantry: 2 items low stock (Eggs, Rice)"]
    everything = client.get("/all", headers=household(keys)).json()
    assert set(everything["data"]) == {"pantry", "home"}
    assert everything["data"]["home"] == client.get("/home", headers=household(keys)).json()["data"]
    owner_all = client.get("/all", headers={"X-API-KEY": OWNER_KEY}).json()
    assert set(owner_all["data"]) == {"finance", "health", "pantry", "person", "goals", "home"}
    assert "🎯 Goals due" in owner_all["content"] and "🎯" not in everything["content"]
    blocks = client.post("/morning_briefing", headers=household(keys)).json()["response_text"].split("\n\n")
    assert blocks[0] == f"🌅 MORNING BRIEFING · {TODAY}"
    assert [block.split()[0] for block in blocks[1:]] == ["🛒", "🏠"]


def test_a_household_dashboard_has_the_pantry_and_the_home_charts_only(client, keys):
    owner = client.get("/dashboard/data", params={"range": "30d"}, headers={"X-API-KEY": OWNER_KEY}).json()
    body = client.get("/dashboard/data", params={"range": "30d"}, headers=household(keys)).json()
    assert set(body["data"]) == {"range", "selected_day", "pantry", "coverage", "home", "store", "status_text"}
    assert {"cashflow", "weight", "budgets", "forecasts", "pantry", "home"} <= set(owner["data"])
    assert body["data"]["pantry"] == owner["data"]["pantry"]
    assert set(body["data"]["coverage"]) == {"pantry"}
    assert body["data"]["home"]["text"].startswith("🏠 Home: ") and body["data"]["home"] == owner["data"]["home"]
    assert body["data"]["status_text"] == client.get("/status", headers=household(keys)).json()["report"]


def test_x_user_id_must_name_the_key(client, keys):
    def status(headers: dict) -> int:
        return client.get("/pantry", headers=headers).status_code

    assert status({**household(keys), "X-User-ID": "anna"}) == 200
    assert status({"X-API-KEY": OWNER_KEY, "X-User-ID": "owner"}) == 200
    assert status({"X-API-KEY": keys[1]["laptop"], "X-User-ID": "laptop"}) == 200
    refused = client.get("/pantry", headers={**household(keys), "X-User-ID": "laptop"})
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("X-User-ID 'laptop' is not the name of the key sent ('anna')")
    assert status({"X-API-KEY": OWNER_KEY, "X-User-ID": "anna"}) == 403
    assert status({"X-User-ID": "anna"}) == 403  # never trusted on its own
    assert client.get("/health/live", headers={"X-User-ID": "anna"}).status_code == 403


def test_every_request_is_logged_with_the_keys_name_never_the_key(client, keys, caplog):
    with caplog.at_level(logging.INFO, logger="twin_pipeline.api.access"):
        client.get("/pantry", headers=household(keys))
        client.get("/finance", headers=household(keys))
        client.get("/finance", headers={"X-API-KEY": OWNER_KEY})
        client.get("/finance", headers={"X-API-KEY": "a-wrong-key"})
    lines = [r.getMessage() for r in caplog.records if r.name == "twin_pipeline.api.access"]
    assert [line.split()[:4] for line in lines] == [
        ["partner_anna", "GET", "/pantry", "200"], ["partner_anna", "GET", "/finance", "403"],
        ["owner", "GET", "/finance", "200"], ["unidentified", "GET", "/finance", "403"]]
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["(household)", "(household)", "(owner)", "(none)"]
    assert not any(secret in caplog.text for secret in (keys[1]["anna"], OWNER_KEY, "a-wrong-key"))


def test_metrics_count_requests_per_key_and_tier(twin, keys):
    app = LocalClient(create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0,
                                keys_file=KeysFile(keys[0])))
    for _ in range(3):
        app.get("/pantry", headers=household(keys))
    app.get("/finance", headers=household(keys))
    app.get("/finance")
    app.get("/finance", headers={"X-API-KEY": keys[1]["laptop"]})
    from prometheus_client.parser import text_string_to_metric_families

    scraped = app.get("/metrics", headers={"X-API-KEY": keys[1]["laptop"]}).text
    counts = {tuple(sorted(s.labels.items())): s.value for family in text_string_to_metric_families(scraped)
              for s in family.samples if s.name == "twin_api_key_requests_total"}
    # The scrape itself is counted once answered.
    assert counts == {(("key", "anna"), ("tier", "household")): 4.0,
                      (("key", "unidentified"), ("tier", "none")): 1.0,
                      (("key", "laptop"), ("tier", "owner")): 1.0}


def wait_for(condition, seconds: float = 10.0) -> float:
    """Seconds until `condition()` holds; fails after `seconds`. Asked every 0.2 s: a key not yet
    taken from the file is a wrong key, and 20 of those a minute would throttle the client."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < seconds, "not within the time"
        time.sleep(0.2)
    return time.monotonic() - began


def test_a_revoked_key_is_refused_and_a_new_one_accepted_within_10_seconds(twin, tmp_path):
    path = tmp_path / "keys.toml"
    phone = add_key(path, "phone", "household")
    app = LocalClient(create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0,
                                keys_file=KeysFile(path)))
    assert app.get("/pantry", headers={"X-API-KEY": phone}).status_code == 200
    revoke_key(path, "phone")
    took = wait_for(lambda: app.get("/pantry", headers={"X-API-KEY": phone}).status_code == 403)
    assert took < 10
    tablet = add_key(path, "tablet", "household")
    assert wait_for(lambda: app.get("/pantry", headers={"Authorization": f"Bearer {tablet}"}).status_code == 200) < 10


def metric(app: TestClient, name: str, headers: dict) -> float | None:
    """A sample's value in /metrics (None: absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    scraped = app.get("/metrics", headers=headers).text
    found = [s.value for family in text_string_to_metric_families(scraped) for s in family.samples if s.name == name]
    return found[0] if found else None


def break_file(path: Path, how: str) -> None:
    if how == "missing":
        path.unlink()
    elif how == "invalid":
        path.write_text(path.read_text().replace('tier = "household"', 'tier = "admin"'))
    else:  # unreadable: tests run as root, who reads any mode, so the path becomes a folder
        path.unlink()
        path.mkdir()


@pytest.mark.parametrize("how", ["missing", "invalid", "unreadable"])
def test_a_keys_file_turned_unusable_refuses_its_keys_until_restored(twin, tmp_path, caplog, how):
    path = tmp_path / "keys.toml"
    phone = add_key(path, "phone", "household")
    laptop = add_key(path, "laptop", "owner")
    good = path.read_text()
    app = LocalClient(create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0,
                                keys_file=KeysFile(path)))
    owner = {"X-API-KEY": OWNER_KEY}
    assert app.get("/pantry", headers={"X-API-KEY": phone}).status_code == 200
    assert metric(app, "twin_api_keys_file_ok", owner) == 1
    with caplog.at_level(logging.ERROR, logger="twin_pipeline.api.keys"):
        break_file(path, how)
        assert wait_for(lambda: app.get("/pantry", headers={"X-API-KEY": phone}).status_code == 401) < 10
        for _ in range(3):
            refused = app.get("/finance", headers={"X-API-KEY": laptop})
            assert refused.status_code == 401
            assert refused.json()["detail"].startswith("the household's keys file cannot be used right now")
            assert app.get("/finance", headers=owner).status_code == 200  # the owner's key keeps working
    (record,) = [r for r in caplog.records if r.name == "twin_pipeline.api.keys"]  # once per problem
    assert record.getMessage().startswith(f"keys file {path}")
    assert record.getMessage().endswith("every key from it is refused until it is usable again "
                                        "(DIGITAL_TWIN_API_KEY still works)")
    ready = app.get("/health/ready", headers=owner)
    assert ready.status_code == 503 and ready.json()["status"] == "keys_file_unusable"
    assert ready.json()["keys_file"].startswith(f"keys file {path}")
    assert metric(app, "twin_api_keys_file_ok", owner) == 0
    if how == "unreadable":
        path.rmdir()
    path.write_text(good)
    assert wait_for(lambda: app.get("/pantry", headers={"X-API-KEY": phone}).status_code == 200) < 10
    assert app.get("/health/ready", headers=owner).json()["keys_file"] == "ok"
    assert metric(app, "twin_api_keys_file_ok", owner) == 1


def test_warn_mode_is_refused_beside_a_keys_file(twin, tmp_path):
    path = tmp_path / "keys.toml"
    add_key(path, "anna", "household")
    with pytest.raises(ValueError, match="TWIN_API_AUTH=warn serves requests without a valid key as the owner"):
        create_app(TwinReader(twin.finance_url), token=OWNER_KEY, auth_mode="warn", keys_file=KeysFile(path))
    env = {"TWIN_API_KEYS_FILE": str(path), "DIGITAL_TWIN_API_KEY": OWNER_KEY, "TWIN_API_AUTH": "warn",
           "FINANCE_DATABASE_URL": twin.finance_url, "TRAINING_DATABASE_URL": twin.training_url,
           "PANTRY_DATABASE_URL": twin.pantry_url}
    refused = twin_cli("api", "--port", "1", env=env)
    assert refused.returncode == 2
    assert refused.stdout.count("\n") == 1 and "TWIN_API_AUTH=warn" in refused.stdout
    assert "set TWIN_API_AUTH=enforce" in refused.stdout


def test_an_expired_key_is_refused_after_its_last_day(twin, tmp_path):
    path = tmp_path / "keys.toml"
    today_utc = datetime.now(UTC).date()
    lapsed = add_key(path, "lapsed", "household", expires=today_utc - timedelta(days=1))
    current = add_key(path, "current", "household", expires=today_utc)
    app = LocalClient(create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0,
                                keys_file=KeysFile(path)))
    refused = app.get("/pantry", headers={"X-API-KEY": lapsed})
    assert refused.status_code == 401
    assert refused.json()["detail"] == (f"the key 'lapsed' expired after {today_utc - timedelta(days=1)}: "
                                        "ask the owner for a new one")
    assert app.get("/pantry", headers={"X-API-KEY": current}).status_code == 200
    assert read_keys(path)[1].expires == today_utc


def test_the_owner_key_is_rotated_without_a_restart(twin, tmp_path):
    """A second owner entry in the keys file: the clients move to it, then the first is revoked."""
    path = tmp_path / "keys.toml"
    first = add_key(path, "owner-2026", "owner")
    app = LocalClient(create_app(TwinReader(twin.finance_url), recheck_seconds=0, keys_file=KeysFile(path)))
    assert app.get("/finance", headers={"X-API-KEY": first}).status_code == 200
    second = add_key(path, "owner-2027", "owner")
    assert wait_for(lambda: app.get("/finance", headers={"X-API-KEY": second}).status_code == 200) < 10
    revoke_key(path, "owner-2026")
    assert wait_for(lambda: app.get("/finance", headers={"X-API-KEY": first}).status_code == 403) < 10
    assert app.get("/finance", headers={"X-API-KEY": second}).status_code == 200


def test_twenty_wrong_keys_a_minute_from_one_address_are_refused_for_a_minute(twin, keys):
    app = create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0, keys_file=KeysFile(keys[0]))
    guesser = LocalClient(app, client=("198.51.100.7", 40000))
    other = LocalClient(app, client=("198.51.100.8", 40000))
    for guess in range(9):  # two wrong keys a request: 18
        both = {"X-API-KEY": f"guess-{guess}", "Authorization": f"Bearer other-{guess}"}
        assert guesser.get("/finance", headers=both).status_code == 403
    assert guesser.get("/finance", headers={"X-API-KEY": "guess-19"}).status_code == 403
    assert guesser.get("/finance", headers={"X-API-KEY": "guess-20"}).status_code == 403  # the 20th
    blocked = guesser.get("/finance", headers={"X-API-KEY": "guess-21"})
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "60"
    assert blocked.json()["report"].startswith("❌ Error: too many wrong API keys from this address")
    # Refused whatever it sends, a right key too; the process still answers it that it is live.
    assert guesser.get("/pantry", headers=household(keys)).status_code == 429
    assert guesser.get("/health/live").status_code == 200
    assert other.get("/pantry", headers=household(keys)).status_code == 200
    owner = {"X-API-KEY": OWNER_KEY}
    assert metric(other, "twin_api_failed_keys_total", owner) == 20
    assert metric(other, "twin_api_throttled_requests_total", owner) == 2


def test_a_forged_path_is_logged_on_one_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="twin_pipeline.api.access"):
        client.get("/x%0Apartner_anna GET /finance 200%0D%E2%80%A8", headers={"X-API-KEY": OWNER_KEY})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "twin_pipeline.api.access"]
    assert line.startswith("owner GET /x\\x0apartner_anna GET /finance 200\\x0d\\u2028 404 ")
    assert not any(control in line for control in ("\n", "\r", "\u2028"))


GOOD = "0" * 64


PASTED = "k3y-pasted-instead-of-its-digest-0123456789abcdef"


@pytest.mark.parametrize("content, problem", [
    ('[[key]]\nname = "anna"\ntier = "household"\nsha256 = "' + "a" * 63 + '"\n',
     "line 4: sha256 is not 64 lower-case hex digits"),
    ('[[key]]\nname = "anna"\ntier = "household"\nsha256 = "' + PASTED + '"\n',
     "line 4: sha256 is not 64 lower-case hex digits (the key's SHA-256 digest"),
    ('[[key]]\nname = "anna"\ntier = "household"\nsha256 = "' + "g" * 64 + '"\n', "line 4"),
    ('# the household\n[[key]]\nname = "anna"\ntier = "admin"\nsha256 = "' + GOOD + '"\n',
     "line 4: the tier is not one of owner, household"),
    (keys_text(("anna", "household", GOOD), ("anna", "owner", "1" * 64)),
     "line 7: a second key named 'anna': names must be unique"),
    (keys_text(("anna", "household", GOOD), ("ben", "household", GOOD)),
     "line 9: key 'ben' has the same hash as another key"),
    (keys_text(("owner", "owner", GOOD)), "line 2: the name 'owner' stands for"),
    ('[[key]]\nname = "anna"\ntier = "household"\n', "line 1: sha256 missing or not a string"),
    ('[[key]]\nname = "anna"\ntier = "household"\nsha256 = "' + GOOD + '"\nteir = "owner"\n',
     "line 5: unknown field 'teir'"),
    ('[[key]]\nname = "anna"\ntier = "household"\nsha256 = "' + GOOD + '"\nexpires = "soon"\n',
     "line 5: expires is not a date (YYYY-MM-DD)"),
    ('[[key]\nname = "anna"\n', "is not TOML"),
    ('[keys]\nname = "anna"\n', "unknown table 'keys'"),
    ('key = [{name = "anna", tier = "boss", sha256 = "' + GOOD + '"}]\n', "key 1: the tier is not one of"),
])
def test_a_bad_keys_file_is_refused_with_the_line_that_is_wrong(tmp_path, content, problem):
    path = tmp_path / "keys.toml"
    path.write_text(content)
    with pytest.raises(KeysFileError) as refused:
        KeysFile(path)
    message = str(refused.value)
    assert message.startswith(f"keys file {path}") and problem in message
    assert "\n" not in message
    # A value from the file is never echoed (a pasted key would reach a terminal or a log).
    assert PASTED not in message and "admin" not in message and "a" * 63 not in message


def test_an_unreadable_keys_file_stops_the_api_at_start_in_one_line(tmp_path):
    missing = tmp_path / "nowhere.toml"
    settings = settings_for_tests(TWIN_API_KEYS_FILE=str(missing))
    with pytest.raises(ConfigurationError) as refused:
        app_from_settings(settings)
    assert str(refused.value) == (f"keys file {missing} unreadable (No such file or directory): create it with "
                                  "`twin keys add` or fix TWIN_API_KEYS_FILE")


def test_the_file_holds_hashes_never_keys(tmp_path):
    path = tmp_path / "keys.toml"
    given = add_key(path, "anna", "household")
    assert given not in path.read_text() and len(given) >= 40
    assert read_keys(path)[0].sha256 == key_hash(given)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(KeysFileError, match="already has a key named 'anna'"):
        add_key(path, "anna", "owner")
    with pytest.raises(KeysFileError, match="the name 'bad name' is not letters"):
        add_key(path, "bad name", "owner")
    assert parse_keys(path.read_text(), path)[0].tier == "household"


def test_keys_commands_keep_the_files_owner_group_and_mode(tmp_path):
    path = tmp_path / "keys.toml"
    add_key(path, "anna", "household")
    if os.geteuid() == 0:
        os.chown(path, 10001, 10001)  # the API container's user, as docs/household.md sets it
    path.chmod(0o640)
    before = path.stat()
    add_key(path, "ben", "household")
    revoke_key(path, "anna")
    after = path.stat()
    assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
    assert [k.name for k in read_keys(path)] == ["ben"]


def reachable_by_others(path: Path) -> bool:
    """Whether a user of no group of the file's reaches `path`: every folder above it searchable
    by others (a checkout under a private home folder is not)."""
    return all(folder.stat().st_mode & 0o001 for folder in path.resolve().parents)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run `twin keys` as another user")
@pytest.mark.skipif(not (reachable_by_others(Path(sys.executable)) and reachable_by_others(Path(__file__))),
                    reason="the interpreter or the checkout is in a folder other users cannot enter")
def test_keys_commands_as_another_user_change_nothing_they_cannot_keep():
    """`twin keys revoke` run by a user who cannot give the new file the old one's owner
    refuses, rather than leave a file the API cannot read."""
    folder = Path(tempfile.mkdtemp(prefix="twin-keys-"))  # pytest's own folders are root's alone
    folder.chmod(0o777)
    try:
        refused_as_nobody(folder / "keys.toml")
    finally:
        shutil.rmtree(folder)


def refused_as_nobody(path: Path) -> None:
    add_key(path, "anna", "household")
    path.chmod(0o666)
    before = path.read_bytes()
    nobody = 65534
    done = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                           "from twin_pipeline.api.keys import revoke_key; revoke_key(Path(sys.argv[1]), 'anna')",
                           str(path)], capture_output=True, text=True, timeout=60,
                          preexec_fn=lambda: (os.setgid(nobody), os.setuid(nobody)))
    assert done.returncode != 0
    assert f"keys file {path} belongs to uid 0, gid 0" in done.stderr and "nothing was changed" in done.stderr
    assert path.read_bytes() == before and path.stat().st_uid == 0
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def _add_five(path: Path, worker: int, start) -> None:
    start.wait()
    for n in range(5):
        add_key(path, f"member-{worker}-{n}", "household")


def test_concurrent_adds_keep_every_key(tmp_path):
    import multiprocessing

    path = tmp_path / "keys.toml"
    context = multiprocessing.get_context("fork")
    start = context.Barrier(6)
    workers = [context.Process(target=_add_five, args=(path, worker, start)) for worker in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * 6
    assert len(read_keys(path)) == 30


def test_hosts_a_keyless_api_answers(twin):
    keyless = create_app(TwinReader(twin.finance_url), recheck_seconds=0)
    for host in ("localhost:5677", "127.0.0.1:5677", "[::1]:5677", "localhost"):
        assert LocalClient(keyless, headers={"Host": host}).get("/pantry").status_code == 200, host
    # A page on another site whose name was rebound to 127.0.0.1 sends its own name.
    for host in ("rebind.attacker.example:5677", "192.168.1.20:5677", "localhost.attacker.example"):
        refused = LocalClient(keyless, headers={"Host": host}).get("/pantry")
        assert refused.status_code == 400 and "finance" not in refused.text, host
    named = create_app(TwinReader(twin.finance_url), recheck_seconds=0, allowed_hosts=["twin.home.lan"])
    assert LocalClient(named, headers={"Host": "twin.home.lan:5677"}).get("/pantry").status_code == 200
    assert LocalClient(named, headers={"Host": "localhost:5677"}).get("/pantry").status_code == 400
    keyed = create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0)
    assert LocalClient(keyed, headers={"Host": "192.168.1.20:5677", "X-API-KEY": OWNER_KEY}).get("/pantry").status_code == 200


def test_a_keyless_api_beyond_loopback_needs_its_host_names(twin):
    env = {"FINANCE_DATABASE_URL": twin.finance_url, "TRAINING_DATABASE_URL": twin.training_url,
           "PANTRY_DATABASE_URL": twin.pantry_url}
    refused = twin_cli("api", "--host", "0.0.0.0", "--port", "1", "--allow-remote-without-token", env=env)
    assert refused.returncode == 2
    assert refused.stdout.startswith("refusing to serve 0.0.0.0:1 without a key and without TWIN_ALLOWED_HOSTS")


def test_last_use_is_recorded_at_most_once_a_minute(twin, keys):
    engine = twin.finance

    def names() -> set[str]:
        with engine.connect() as conn:
            return set(conn.execute(text("SELECT name FROM twin_api_key_use")).scalars())

    recorded_before = names() - {"anna"}  # other tests of the module may record their own keys
    key_use = KeyUse(engine)
    app = LocalClient(create_app(TwinReader(twin.finance_url), token=OWNER_KEY, recheck_seconds=0,
                                keys_file=KeysFile(keys[0]), key_use=key_use))
    before = datetime.now(UTC)
    app.get("/pantry", headers=household(keys))
    assert key_use.wait_written()

    def anna() -> tuple:
        with engine.connect() as conn:
            return conn.execute(text("SELECT tier, last_used_at FROM twin_api_key_use WHERE name = 'anna'")).one()

    tier, first = anna()
    assert tier == "household" and before - timedelta(seconds=1) <= first <= datetime.now(UTC)
    with engine.connect() as conn:
        address = conn.execute(text("SELECT last_client FROM twin_api_key_use WHERE name = 'anna'")).scalar_one()
    assert address == "testclient"  # the client address beside the time (TestClient's own)
    app.get("/pantry", headers=household(keys))
    app.get("/status", headers=household(keys))
    assert key_use.wait_written()
    assert anna() == (tier, first)  # within the minute: not written again
    app.get("/health/live")  # no key: nothing to record
    app.get("/finance", headers={"X-API-KEY": "wrong"})
    assert key_use.wait_written()
    assert names() == recorded_before | {"anna"}


def twin_cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL")}
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "twin_pipeline.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=120)


def test_twin_keys_add_list_revoke(twin, tmp_path):
    path = tmp_path / "keys.toml"
    env = {"TWIN_API_KEYS_FILE": str(path), "FINANCE_DATABASE_URL": twin.finance_url,
           "TRAINING_DATABASE_URL": twin.training_url, "PANTRY_DATABASE_URL": twin.pantry_url}
    added = twin_cli("keys", "add", "ben", "--tier", "household", env=env)
    assert added.returncode == 0, added.stdout + added.stderr
    printed = added.stdout.splitlines()
    assert printed[0] == f"ben (household) added to {path}; its key, shown this once (the file keeps only its hash):"
    assert read_keys(path)[0].sha256 == key_hash(printed[1])
    with twin.finance.begin() as conn:
        conn.execute(text("INSERT INTO twin_api_key_use VALUES ('ben', 'household', '2026-01-05 10:30+00', "
                          "'192.168.1.23') ON CONFLICT (name) DO UPDATE SET last_used_at = EXCLUDED.last_used_at, "
                          "last_client = EXCLUDED.last_client"))
    assert twin_cli("keys", "add", "cleo", "--tier", "owner", env=env).returncode == 0
    dana = twin_cli("keys", "add", "dana", "--tier", "household", "--expires", "2999-12-31", env=env)
    assert dana.stdout.startswith(f"dana (household, valid through 2999-12-31) added to {path}")
    past = twin_cli("keys", "add", "eve", "--tier", "household", "--expires", "2020-01-01", env=env)
    assert past.returncode == 2 and "--expires 2020-01-01 is in the past" in past.stdout
    listed = twin_cli("keys", "list", env={**env, "DIGITAL_TWIN_API_KEY": OWNER_KEY, "TWIN_TIMEZONE": "Europe/Warsaw"})
    assert listed.returncode == 0, listed.stdout + listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows[0][:2] == ["name", "tier"]
    assert rows[1][:3] == ["owner", "owner", "never"] and rows[1][-1] == "(DIGITAL_TWIN_API_KEY)"
    assert rows[2] == ["ben", "household", "2026-01-05", "11:30", "CET", "from", "192.168.1.23"]  # in TWIN_TIMEZONE
    assert rows[3] == ["cleo", "owner", "never"]
    assert rows[4] == ["dana", "household", "never", "(valid", "through", "2999-12-31)"]
    revoked = twin_cli("keys", "revoke", "ben", env=env)
    assert revoked.returncode == 0 and revoked.stdout.startswith("ben (household) revoked in")
    assert [k.name for k in read_keys(path)] == ["cleo", "dana"]
    again = twin_cli("keys", "revoke", "ben", env=env)
    assert again.returncode == 2
    assert again.stdout == f"configuration error: keys file {path} has no key named 'ben': `twin keys list` shows the names\n"
    unset = twin_cli("keys", "list", env={k: v for k, v in env.items() if k != "TWIN_API_KEYS_FILE"})
    assert unset.stdout.startswith("configuration error: TWIN_API_KEYS_FILE is not set")
