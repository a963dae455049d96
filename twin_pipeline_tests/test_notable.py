"""notable in a real store on demo data: stored append-only and recomputed exactly by a
backfill; today's items POSTed once to a local receiver (retried, never repeated after a
restart; needs action waiting for the next push), nothing for a backfilled past day."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import text

from twin_pipeline.core.notable import push_candidates
from twin_pipeline.defs.notable import build_notable
from twin_pipeline.notify import push_items
from twin_pipeline.demo import load_demo_data
from twin_pipeline.migrations import migrate
from twin_pipeline_tests.conftest import execute, materialize_days, settings_for_tests, today


class Receiver:
    """A webhook on 127.0.0.1 answering the queued statuses in turn (then 200), recording each POST."""

    def __init__(self):
        self.posts: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.posts.append({"status": status, "key": self.headers["Idempotency-Key"], "body": body})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def load_demo(sources):
    migrate(sources.pantry, "pantry_history")
    load_demo_data(sources.finance, sources.training, sources.pantry, biometrics=sources.health,
                   days=90, seed=7, end=today())
    return sources


@pytest.fixture(scope="module")
def backfilled(sources):
    """The module's store: the demo's 89 days before today backfilled in one run with a push
    configured (a receiver that must receive nothing); read, never changed, by the tests."""
    load_demo(sources)
    receiver = Receiver()
    first, last = today() - timedelta(days=89), today() - timedelta(days=1)
    try:
        materialize_days(sources, first, last, notify_url=receiver.url)
    finally:
        receiver.close()
    return sources, receiver.posts, first, last


@pytest.fixture
def demo(own_sources):
    """The demo in sources of the test's own, for a test that changes them."""
    return load_demo(own_sources)


@pytest.fixture
def receiver():
    started = Receiver()
    yield started
    started.close()


def stored_items(sources, day: date) -> list[dict]:
    with sources.twin.connect() as conn:
        return conn.execute(text(
            "SELECT items FROM twin_notable_day WHERE as_of = :d ORDER BY notable_id DESC LIMIT 1"), {"d": day}).scalar()


def notable_rows(sources) -> int:
    with sources.twin.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM twin_notable_day")).scalar()


def ledger(sources) -> list[dict]:
    with sources.twin.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT as_of, item_key, attempts, delivered_at IS NOT NULL AS delivered FROM twin_notification "
            "ORDER BY item_key, as_of"
        )).mappings()]


def run_notable(sources, day: date, **config):
    result = materialize([build_notable(settings_for_tests())], resources=sources.resources(**config),
                         instance=DagsterInstance.ephemeral(), partition_key=day.isoformat())
    assert result.success


def test_a_backfill_stores_each_day_pushes_nothing_past_and_a_rerun_appends_nothing(backfilled):
    demo, posts, first, last = backfilled
    assert posts == [] and ledger(demo) == []
    days = (last - first).days + 1
    assert notable_rows(demo) == days
    # nothing new while the norm is learnt (28 days), something new afterwards
    learning = [stored_items(demo, first + timedelta(days=i)) for i in range(28)]
    assert not any(item["new"] for items in learning for item in items)
    later = [item for i in range(28, days) for item in stored_items(demo, first + timedelta(days=i))]
    assert any(item["new"] for item in later)
    assert {item["kind"] for item in later} <= {"out_of_norm", "needs_action"}
    summary = text("SELECT summary_text FROM twin_daily_summary WHERE as_of = :d")
    for i in range(28, days):
        day = first + timedelta(days=i)
        items = stored_items(demo, day)
        with demo.twin.connect() as conn:
            status_text = conn.execute(summary, {"d": day}).scalar()
        assert any(line.startswith("⚠️ ") for line in status_text.splitlines()) == any(item["new"] for item in items)
    before = notable_rows(demo)
    materialize_days(demo, first + timedelta(days=40), last)  # the same states: the same items
    assert notable_rows(demo) == before


def test_todays_items_are_posted_once_retried_and_never_repeated(demo, receiver):
    day = today()
    # Today and the 30 days before (nothing is notable while the norm is learnt), no push configured.
    materialize_days(demo, day - timedelta(days=30), day)
    # A planned expense due tomorrow, as the finance forecast states it.
    tomorrow = (day + timedelta(days=1)).isoformat()
    execute(demo.twin, """
        INSERT INTO digital_twin_updates (id, entity_id, entity_type, source_system, update_type, update_data, created_at)
        SELECT gen_random_uuid(), entity_id, entity_type, source_system, update_type,
               jsonb_set(update_data, '{forecast,planned_expenses}',
                         jsonb_build_array(jsonb_build_object('name', 'Car insurance', 'expense_date', CAST(:t AS text),
                                                              'amount', 1200))),
               now()
        FROM digital_twin_updates
        WHERE entity_type = 'finance' AND update_data ->> 'as_of' = :d
        ORDER BY created_at DESC LIMIT 1
    """, {"d": day.isoformat(), "t": tomorrow})
    receiver.statuses = [503]  # the first try fails
    # Planned expenses named to go at once: the push is due today whatever else holds.
    run_notable(demo, day, notify_url=receiver.url, notify_at_once=["finance.planned"])
    assert [post["status"] for post in receiver.posts] == [503, 200]
    assert receiver.posts[0]["body"] == receiver.posts[1]["body"]
    assert receiver.posts[0]["key"] == receiver.posts[1]["key"]
    body = receiver.posts[1]["body"]
    keys = [item["key"] for item in body["items"]]
    assert f"finance.planned.Car insurance.{tomorrow}" in keys
    assert body["date"] == day.isoformat()
    assert "⚠️ Tomorrow: Car insurance 1,200.00 PLN" in body["text"].splitlines()
    # Everything the day still owes goes with it: its items that started since the norm was learnt.
    owed = push_candidates(day, stored_items(demo, day), day - timedelta(days=30))
    assert body["items"] == owed
    rows = ledger(demo)
    assert [(r["item_key"], r["as_of"], r["attempts"], r["delivered"]) for r in rows] == sorted(
        (i["key"], date.fromisoformat(i["started_on"]), 2, True) for i in owed)

    run_notable(demo, day, notify_url=receiver.url)  # a restart of the day's run
    assert len(receiver.posts) == 2

    # A crash after the POST and before the ledger's commit leaves one item owed: the next run
    # sends that one alone.
    execute(demo.twin, "UPDATE twin_notification SET delivered_at = NULL WHERE item_key = :k",
            {"k": f"finance.planned.Car insurance.{tomorrow}"})
    run_notable(demo, day, notify_url=receiver.url, notify_at_once=["finance.planned"])
    assert len(receiver.posts) == 3
    assert [item["key"] for item in receiver.posts[2]["body"]["items"]] == [f"finance.planned.Car insurance.{tomorrow}"]
    assert all(r["delivered"] for r in ledger(demo))


def condition(key: str, kind: str, started_on: date, day: date) -> dict:
    return {"key": key, "kind": kind, "started_on": started_on.isoformat(), "new": started_on == day,
            "value": None, "baseline": None, "text": f"⚠️ {key}"}


def test_needs_action_waits_for_the_next_push_a_week_at_most_and_is_never_sent_twice(own_sources, receiver):
    engine, person, first_day, day = own_sources.twin, "8c5e3d4a-0000-4000-8000-000000000001", date(2026, 1, 1), date(2026, 3, 10)
    rice = ("pantry.low.Rice", "needs_action", day - timedelta(days=3))

    def push(on: date, *held: tuple):
        return push_items(engine, person, on, [condition(*c, on) for c in held], receiver.url, first_day,
                          backoff_seconds=0.01)

    delivery = push(day, rice)
    assert (receiver.posts, delivery.waiting, ledger(own_sources)) == ([], ("pantry.low.Rice",), [])
    delivery = push(day + timedelta(days=4), rice)  # a week since it started: it goes on its own
    assert delivery.sent == ("pantry.low.Rice",)
    assert [i["key"] for i in receiver.posts[-1]["body"]["items"]] == ["pantry.low.Rice"]
    oats = ("pantry.low.Oats", "needs_action", day + timedelta(days=5))
    assert push(day + timedelta(days=5), rice, oats).waiting == ("pantry.low.Oats",) and len(receiver.posts) == 1
    hrv = ("health.hrv", "out_of_norm", day + timedelta(days=6))
    delivery = push(day + timedelta(days=6), rice, oats, hrv)  # out of norm: Oats goes with it, Rice not again
    assert delivery.sent == ("pantry.low.Oats", "health.hrv") and delivery.skipped == ("pantry.low.Rice",)
    assert receiver.posts[-1]["body"]["text"] == "⚠️ pantry.low.Oats\n⚠️ health.hrv"
    assert push(day + timedelta(days=6), rice, oats, hrv).sent == ()  # a restart sends nothing again
    assert len(receiver.posts) == 2
    assert [(r["item_key"], r["as_of"], r["delivered"]) for r in ledger(own_sources)] == [
        ("health.hrv", day + timedelta(days=6), True), ("pantry.low.Oats", day + timedelta(days=5), True),
        ("pantry.low.Rice", day - timedelta(days=3), True)]


def test_the_api_answers_a_days_items_and_the_briefing_lists_them(backfilled):
    from twin_pipeline_tests.conftest import LocalClient

    from twin_pipeline.api import create_app
    from twin_pipeline.reader import TwinReader

    demo = backfilled[0]
    token = "a-long-random-token"
    client = LocalClient(create_app(TwinReader(demo.finance_url), token=token, recheck_seconds=0))
    key = {"X-API-KEY": token}
    with demo.twin.connect() as conn:
        day = conn.execute(text(
            "SELECT as_of FROM twin_notable_day WHERE jsonb_path_exists(items, '$[*] ? (@.new == true)') "
            "ORDER BY as_of LIMIT 1")).scalar()
    assert client.get("/notable", params={"date": day.isoformat()}).status_code == 401
    body = client.get("/notable", params={"date": day.isoformat()}, headers=key).json()
    assert client.post("/notable", params={"date": day.isoformat()}, headers=key).json() == body
    stored = stored_items(demo, day)
    assert body["items"] == stored and body["as_of"] == day.isoformat()
    assert body["report"].splitlines() == [item["text"] for item in stored if item["new"]]
    briefing = client.get("/morning_briefing", params={"date": day.isoformat()}, headers=key).json()["report"]
    block = briefing.split("\n\n")[1].splitlines()
    assert block[0] == "⚠️ Notable" and len(block) == 1 + len(stored)
    quiet = next(d for d in (day + timedelta(days=i) for i in range(1, 60)) if not any(i["new"] for i in stored_items(demo, d)))
    assert client.get("/notable", params={"date": quiet.isoformat()}, headers=key).json()["report"] == (
        f"Nothing new is notable on {quiet.isoformat()}")


def test_today_read_live_gets_its_items_and_the_status_line_from_the_live_sections(demo):
    from twin_pipeline_tests.conftest import LocalClient

    from twin_pipeline.api import create_app
    from twin_pipeline.reader import TwinReader
    from twin_pipeline_tests.test_freshness import live_today

    day = today()
    materialize_days(demo, day - timedelta(days=40), day)  # the norm needs its days
    client = LocalClient(create_app(TwinReader(demo.finance_url), recheck_seconds=0, live=live_today(demo)))
    # A spending far beyond any day of the demo, committed after today's run.
    execute(demo.finance,
            "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, merchant_source, category_id) "
            "SELECT 'NOTABLE-BIG', :d, 'Expense', 90000, 'PLN', 'test', category_id FROM categories "
            "WHERE category_type = 'Expense' LIMIT 1", {"d": day})
    body = client.get("/notable").json()
    assert body["freshness"] == "live" and body["as_of"] == day.isoformat()
    spending = [item for item in body["items"] if item["key"] == "finance.spending"]
    assert len(spending) == 1 and spending[0]["new"] and spending[0]["value"] >= 90000
    assert spending[0]["text"] in body["report"].splitlines()
    status_text = client.get("/status", params={"format": "text"}).text
    warning = [line for line in status_text.splitlines() if line.startswith("⚠️ ")]
    assert len(warning) == 1 and spending[0]["text"].removeprefix("⚠️ ") in warning[0]
