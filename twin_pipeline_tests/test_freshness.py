"""Today's answers fresh when asked (a committed row shows on the next request, no run), a source
down never hiding a stored usable state, and readiness saying when the history is behind."""

import socket
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from twin_pipeline.api import create_app
from twin_pipeline.api.freshness import LiveToday, merge_live_and_stored
from twin_pipeline.api.history_lag import HistoryWatch
from twin_pipeline.reader import DayState, TwinReader
from twin_pipeline_tests.conftest import (LocalClient,
    count_state_rows, execute, materialize_days, settings_for_tests, sources_at_clock, today,
)

TODAY = today()
YESTERDAY = TODAY - timedelta(days=1)
EXPENSE = ("INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
           "VALUES (:id, :d, 'Expense', :a, 'shop', 1)")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request_while_quiet(client: TestClient, live: LiveToday, reads: list) -> tuple:
    """`/status` asked again while nothing at all was committed on the server, and how many
    source reads it cost. The commit mark is the whole server's, so an unrelated commit (an
    autovacuum's analyze, another test's process) rightly makes the next answer look again:
    such an attempt is repeated rather than counted."""
    for _ in range(10):
        settled = live.marks()
        if dict(live._basis[2]) != settled:  # moved since the last answer: let it look once
            client.get("/status")
            continue
        before = len(reads)
        response = client.get("/status")
        if live.marks() == settled:
            return response, len(reads) - before
    pytest.fail("the server committed something between every pair of requests")


def live_today(sources, **urls: str) -> LiveToday:
    env = {"FINANCE_DATABASE_URL": sources.finance_url, "TRAINING_DATABASE_URL": sources.training_url,
           "PANTRY_DATABASE_URL": sources.pantry_url, "HEALTH_DATABASE_URL": sources.health_url,
           "TWIN_SOURCE_RETRIES": "0", "TWIN_CONNECT_TIMEOUT_SECONDS": "2"}
    return LiveToday(settings_for_tests(**{**env, **urls}))


@pytest.fixture(scope="module")
def store(sources):
    return fill(sources, TODAY)


@pytest.fixture(scope="module")
def store_at_clock(pg_server, clock, tmp_path_factory):
    """As `store`, at each clock of conftest (databases of their own per clock)."""
    yield from sources_at_clock(pg_server, clock, tmp_path_factory, "freshness", fill)


def fill(sources, today: date):
    """Yesterday and today materialized: money this month, a workout and a measurement, a pantry."""
    yesterday = today - timedelta(days=1)
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')")
    execute(sources.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
            "merchant_source, category_id) VALUES ('S', :d, 'Income', 8000, 'employer', 2)", {"d": today})
    execute(sources.training, "INSERT INTO workout_templates (template_id, template_name, workout_type) "
            "VALUES ('LOW', 'Lower', 'HIT Lower')")
    execute(sources.training, "INSERT INTO workouts (workout_date, template_id, duration_min) VALUES (:d, 'LOW', 30)",
            {"d": yesterday})
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) "
            "VALUES (:d, 80.40, 18.50)", {"d": yesterday})
    execute(sources.pantry, "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold) "
            "VALUES ('Rice', 0.5, 1), ('Oil', 5, 1)")
    materialize_days(sources, yesterday, today)
    return sources


def test_a_committed_row_shows_on_the_next_request_with_no_run(store_at_clock, frozen_today):
    store, today, yesterday = store_at_clock, frozen_today, frozen_today - timedelta(days=1)
    live = live_today(store)
    reads = []
    original = live._read
    live._read = lambda day: reads.append(day) or original(day)
    client = LocalClient(create_app(TwinReader(store.finance_url), recheck_seconds=0, live=live))

    before = client.get("/status").json()
    assert (before["as_of"], before["freshness"]) == (today.isoformat(), "stored")
    assert before["section_freshness"] == {"finance": "stored", "health": "stored", "pantry": "stored"}
    assert "+8,000.00 PLN MTD" in before["report"]
    rows = count_state_rows(store)

    execute(store.finance, EXPENSE, {"id": "FRESH-1", "d": today, "a": 42.50})
    fresh = client.get("/status")
    body = fresh.json()
    assert (body["freshness"], body["data"]["finance"]["mtd_expense"]) == ("live", 42.5)
    assert body["section_freshness"] == {"finance": "live", "health": "stored", "pantry": "stored"}
    assert "+7,957.50 PLN MTD" in body["report"] and body["report"] == body["response_text"]
    assert body["computed_at"] and "live_errors" not in body
    assert client.get("/status", params={"format": "text"}).text == body["report"]
    finance = client.get("/finance", params={"date": today.isoformat()}).json()
    assert (finance["mtd_net"], finance["freshness"]) == (7957.5, "live")
    assert client.get("/health").json()["freshness"] == "stored"
    # Past days are the stored history.
    past = client.get("/finance", params={"date": yesterday.isoformat()}).json()
    assert (past["freshness"], past["mtd_net"]) == ("stored", 0.0)
    assert count_state_rows(store) == rows  # nothing written

    again, reads_again = request_while_quiet(client, live, reads)
    assert again.content == fresh.content  # from the cache: the same bytes, same computed_at
    assert reads_again == 0  # and the sources were not read again

    # A run over the same rows stores exactly the text the live answer showed.
    materialize_days(store, today)
    stored = client.get("/status").json()
    assert (stored["freshness"], stored["report"]) == ("stored", body["report"])
    assert stored["data"] == body["data"]
    assert TwinReader(store.finance_url).summary(today) == body["report"]


def test_a_source_down_never_hides_a_stored_usable_state(store):
    down = f"postgresql://postgres@127.0.0.1:{closed_port()}/autonomous_training"
    client = LocalClient(create_app(TwinReader(store.finance_url), recheck_seconds=0,
                                   live=live_today(store, TRAINING_DATABASE_URL=down)))
    stored_health = TwinReader(store.finance_url).state(TODAY)["health"]
    execute(store.finance, EXPENSE, {"id": "FRESH-2", "d": TODAY, "a": 7.50})

    body = client.get("/status").json()
    assert body["freshness"] == "live"
    assert body["section_freshness"] == {"finance": "live", "health": "stored", "pantry": "stored"}
    assert body["data"]["health"] == stored_health and stored_health["status"] != "unavailable"
    assert body["live_errors"]["health"].startswith("training database unreachable at 127.0.0.1:")
    assert "💪 Health: 1/3 workouts this week" in body["report"]
    health = client.get("/health").json()
    assert (health["freshness"], health["status"]) == ("stored", stored_health["status"])
    assert "training database unreachable" in health["live_error"]


def test_a_dropped_connection_to_a_source_server_is_replaced(store):
    client = LocalClient(create_app(TwinReader(store.finance_url), recheck_seconds=0, live=live_today(store)))
    before = client.get("/status").json()
    assert "live_errors" not in before
    with store.training.connect() as conn:  # the server drops the connection the marks are read on
        dropped = conn.execute(text("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE query LIKE '%pg_current_snapshot%' AND pid <> pg_backend_pid()")).scalar()
    assert dropped >= 1
    execute(store.finance, EXPENSE, {"id": "FRESH-3", "d": TODAY, "a": 1.00})
    body = client.get("/status").json()
    assert (body["freshness"], "live_errors" in body) == ("live", False)
    # The expense is seen through the replaced connection (whatever the module's other tests spent).
    assert body["data"]["finance"]["mtd_expense"] == pytest.approx(before["data"]["finance"]["mtd_expense"] + 1.00)


def test_a_source_down_without_a_stored_state_degrades_the_section_as_a_run_would():
    unreachable = {"as_of": "2026-03-02", "status": "unavailable", "error": "training database unreachable",
                   "error_detail": "training database unreachable at db:5432/autonomous_training (refused)"}
    money = {"as_of": "2026-03-02", "status": "ok", "currency": "PLN", "mtd_income": 10.0, "mtd_expense": 0.0,
             "mtd_net": 10.0, "active_budget_alerts": 0, "alerts": []}
    fresh = merge_live_and_stored("2026-03-02", {"finance": money, "health": unreachable}, None,
                                  weekly_workout_target=3, home=None, computed_at="2026-03-02T08:00:00+00:00")
    assert (fresh.freshness, fresh.section_freshness) == ("live", {"finance": "live", "health": "live"})
    assert fresh.entities["health"] == unreachable and fresh.live_errors == {}
    assert "⚠️ Health: unavailable (training database unreachable)" in fresh.text
    # With a usable stored health state, that one is shown and the reason said.
    stored = DayState("2026-03-02", "the stored text", {"finance": money, "health": {
        "as_of": "2026-03-02", "status": "ok", "workouts_last_7_days": 2}}, "2026-03-02T06:00:00+00:00")
    kept = merge_live_and_stored("2026-03-02", {"finance": money, "health": unreachable}, stored,
                                 weekly_workout_target=3, home=None, computed_at="2026-03-02T08:00:00+00:00")
    assert (kept.freshness, kept.text, kept.computed_at) == ("stored", "the stored text", "2026-03-02T06:00:00+00:00")
    assert kept.live_errors == {"health": unreachable["error_detail"]}


def local(day, hour: int, minute: int) -> datetime:
    zone = ZoneInfo(settings_for_tests().timezone)
    return datetime.combine(day, time(hour, minute), zone).astimezone(timezone.utc)


@pytest.mark.parametrize("now, behind", [
    (local(TODAY + timedelta(days=2), 6, 20), False),  # before 06:30 the day before yesterday will do
    (local(TODAY + timedelta(days=2), 6, 40), True),  # from 06:30 yesterday is due
    (local(TODAY + timedelta(days=1), 23, 59), False),
])
def test_readiness_says_when_the_newest_stored_day_is_behind(store, now, behind):
    watch = HistoryWatch(settings_for_tests().timezone, None, clock=lambda: now)
    client = LocalClient(create_app(TwinReader(store.finance_url), recheck_seconds=0, history=watch))
    response = client.get("/health/ready")
    body = response.json()
    assert (response.status_code, body["status"], body["history"]["behind"]) == (
        (503, "behind", True) if behind else (200, "ok", False))
    assert body["history"]["newest_day"] == TODAY.isoformat()
    if behind:
        assert f"the newest stored day is {TODAY.isoformat()}" in body["detail"]
        assert "start `twin up`" in body["report"] and body["report"].startswith("❌ Error: history behind")
    metrics = client.get("/metrics").text
    age = (now.astimezone(ZoneInfo(settings_for_tests().timezone)).date() - TODAY).days
    assert f"twin_history_behind {float(behind)}" in metrics and f"twin_newest_state_age_days {float(age)}" in metrics


def test_readiness_says_when_the_daemon_stopped(store, pg_server):
    from dagster._daemon.types import DaemonHeartbeat
    from dagster_postgres.run_storage import PostgresRunStorage
    from sqlalchemy import create_engine

    pg_server.ensure_databases(["freshness_dagster"])
    url = pg_server.url("freshness_dagster")
    dagster = create_engine(url)
    now = local(TODAY, 12, 0)
    watch = HistoryWatch(settings_for_tests().timezone, dagster, clock=lambda: now)
    client = LocalClient(create_app(TwinReader(store.finance_url), recheck_seconds=0, history=watch))

    never = client.get("/health/ready")
    assert never.status_code == 503 and "no daemon heartbeats table" in never.json()["detail"]

    storage = PostgresRunStorage(url)  # Dagster's own run storage, as the daemon writes it
    storage.add_daemon_heartbeat(DaemonHeartbeat(now.timestamp() - 20, "SENSOR", "daemon-1", None))
    running = client.get("/health/ready")
    assert running.status_code == 200, running.json()
    assert running.json()["history"]["daemon_heartbeat_age_seconds"] == pytest.approx(20, abs=1)

    storage.add_daemon_heartbeat(DaemonHeartbeat(now.timestamp() - 300, "SENSOR", "daemon-1", None))
    stopped = client.get("/health/ready")
    assert stopped.status_code == 503
    assert "no Dagster daemon heartbeat for 300 s" in stopped.json()["detail"]
    assert "`twin up`" in stopped.json()["detail"] and "`dagster-daemon run`" in stopped.json()["detail"]
    assert "twin_daemon_heartbeat_age_seconds 300.0" in client.get("/metrics").text
    storage.dispose()
    dagster.dispose()
