"""The `twin` command end to end, as a user runs it: real processes, real PostgreSQL."""

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from twin_pipeline_tests.conftest import count_state_rows, execute, today

URL_VARIABLES = ("FINANCE_DATABASE_URL", "TRAINING_DATABASE_URL", "PANTRY_DATABASE_URL",
                 "TWIN_DATABASE_URL", "DAGSTER_PG_URL", "TWIN_PERSON_ID", "DAGSTER_HOME")


def twin(*args: str, home: Path, env: dict | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in URL_VARIABLES}
    environment.update({"TWIN_HOME": str(home), **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "twin_pipeline.cli", *args],
        cwd=home.parent, env=environment, capture_output=True, text=True, timeout=timeout,
    )


def money_in(summary: str, currency: str = "PLN") -> Decimal:
    match = re.search(rf"([+-][\d,]+\.\d\d) {currency}", summary)
    assert match, summary
    return Decimal(match.group(1).replace(",", ""))


@dataclass
class Embedded:
    home: Path
    up: subprocess.CompletedProcess  # the `twin up --no-serve` that built it, as the quick start runs it


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Iterator[Embedded]:
    home = tmp_path_factory.mktemp("cli") / ".twin"
    up = twin("up", "--no-serve", "--days", "3", "--demo-days", "90", home=home)
    assert up.returncode == 0, up.stdout + up.stderr
    yield Embedded(home, up)
    twin("db", "stop", home=home)


@pytest.fixture(scope="module")
def salary(sources):
    """A salary of 9,000 PLN on 2025-05-10 in the module's finance source."""
    execute(
        sources.finance,
        "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
        "VALUES (1, 'Income', 'Salary', 'Income')",
    )
    execute(
        sources.finance,
        "INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
        "VALUES ('S', '2025-05-10', 'Income', 9000, 'employer', 1)",
    )
    return sources


def test_twin_up_builds_the_embedded_twin_and_prints_todays_summary(embedded):
    done = embedded.up
    assert f"📊 AUTONOMOUS LIVING STATUS · {today().isoformat()}" in done.stdout
    assert "💰 Finance:" in done.stdout and "💪 Health:" in done.stdout and "🛒 Pantry:" in done.stdout
    assert (embedded.home / "pgdata" / "PG_VERSION").exists()


def test_snapshot_prints_a_summary_whose_numbers_match_the_rows(embedded):
    day = today() - timedelta(days=20)
    done = twin("snapshot", "--date", day.isoformat(), home=embedded.home)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout
    assert f"STATUS · {day.isoformat()}" in summary

    from twin_pipeline.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(embedded.home)
    finance = create_engine(server.url("autonomous_finance"))
    training = create_engine(server.url("autonomous_training"))
    with finance.connect() as conn:
        net = conn.execute(
            text(
                "SELECT COALESCE(sum(CASE type WHEN 'Income' THEN amount ELSE -amount END), 0) FROM transactions "
                "WHERE currency = 'PLN' AND type IN ('Income', 'Expense') "
                "AND transaction_date BETWEEN date_trunc('month', CAST(:d AS date)) AND :d"
            ),
            {"d": day},
        ).scalar_one()
    with training.connect() as conn:
        workouts = conn.execute(
            text("SELECT count(*) FROM workouts WHERE workout_date BETWEEN CAST(:d AS date) - 6 AND :d"), {"d": day}
        ).scalar_one()
    pantry = create_engine(server.url("autonomous_pantry"))
    with pantry.connect() as conn:  # the embedded demo has the pantry history capture
        low = conn.execute(
            text(
                "SELECT count(*) FROM pantry_inventory_history "
                "WHERE valid_from < (CAST(:d AS date) + 1)::timestamp AT TIME ZONE 'Europe/Warsaw' "
                "  AND COALESCE(valid_to, 'infinity') >= (CAST(:d AS date) + 1)::timestamp AT TIME ZONE 'Europe/Warsaw' "
                "  AND current_quantity <= critical_threshold"
            ),
            {"d": day},
        ).scalar_one()
    for engine in (finance, training, pantry):
        engine.dispose()
    assert money_in(summary) == net
    assert f"💪 Health: {workouts}/3 workouts this week" in summary
    assert f"🛒 Pantry: {low} item{'' if low == 1 else 's'} low stock" in summary


def test_db_stop_stops_the_embedded_server_and_a_second_start_reuses_it(embedded):
    stopped = twin("db", "stop", home=embedded.home)
    assert "stopped" in stopped.stdout
    again = twin("snapshot", home=embedded.home)  # restarts the server on demand, data intact
    assert again.returncode == 0, again.stdout + again.stderr
    assert "🛒 Pantry:" in again.stdout and "unavailable" not in again.stdout.split("🛒 Pantry:")[1].splitlines()[0]


def test_concurrent_processes_materializing_one_day_write_one_set_of_rows(salary, pg_server, tmp_path):
    pg_server.ensure_databases(["cli_dagster"])
    env = {
        "FINANCE_DATABASE_URL": salary.finance_url.replace("postgresql+psycopg2://", "postgresql://"),
        "TRAINING_DATABASE_URL": salary.training_url,
        "PANTRY_DATABASE_URL": salary.pantry_url,
        "DAGSTER_PG_URL": pg_server.url("cli_dagster"),
    }
    home = tmp_path / ".twin"
    warm = twin("snapshot", "--date", "2025-05-01", home=home, env=env)  # creates Dagster's tables
    assert warm.returncode == 0, warm.stdout + warm.stderr
    with ThreadPoolExecutor(3) as pool:
        runs = list(pool.map(lambda _: twin("snapshot", "--date", "2025-05-12", home=home, env=env), range(3)))
    assert [r.returncode for r in runs] == [0, 0, 0], [r.stderr[-2000:] for r in runs]
    assert all("+9,000.00 PLN MTD" in r.stdout for r in runs)
    assert count_state_rows(salary, date(2025, 5, 12)) == 3
    assert not (home / "pgdata").exists()  # configured URLs: no embedded server was started


def test_backfill_restates_a_range_in_one_run_with_progress(embedded):
    end = today() - timedelta(days=1)
    start = end - timedelta(days=44)
    done = twin("backfill", "--start", start.isoformat(), "--end", end.isoformat(), home=embedded.home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"backfill {start} .. {end} (45 days) in one run" in done.stdout
    progress = [line for line in done.stdout.splitlines() if line.strip().startswith("[")]
    steps = [line.split()[1] for line in progress]
    assert sorted(steps[:4]) == ["biometrics", "finance", "pantry", "training"] and steps[4] == "twin_state"
    # forecast_review and notable each read the states; the text reads both
    assert sorted(steps[5:7]) == ["forecast_review", "notable"] and steps[7:] == ["daily_summary"]
    assert all("45 day(s) done" in line for line in progress)
    from twin_pipeline.embedded import EmbeddedPostgres

    store = create_engine(EmbeddedPostgres(embedded.home).url("autonomous_finance"))

    def rows() -> list:
        with store.connect() as conn:
            return conn.execute(
                text(
                    "SELECT entity_type, update_data ->> 'as_of', count(*) FROM digital_twin_updates "
                    "WHERE update_data ->> 'as_of' BETWEEN :a AND :b GROUP BY 1, 2 ORDER BY 1, 2"
                ),
                {"a": start.isoformat(), "b": end.isoformat()},
            ).all()

    # The days `twin up` wrote first may be corrected by the first backfill (their forecasts'
    # ranges now know the errors of the earlier days); the second writes nothing.
    first = rows()
    assert len(first) == 3 * 45
    again = twin("backfill", "--start", start.isoformat(), "--end", end.isoformat(), home=embedded.home)
    assert again.returncode == 0
    assert rows() == first  # the unchanged range wrote nothing the second time
    store.dispose()


def test_pantry_history_install_says_what_it_creates_and_waits_for_yes(sources, tmp_path):
    env = {
        "FINANCE_DATABASE_URL": sources.finance_url,
        "TRAINING_DATABASE_URL": sources.training_url,
        "PANTRY_DATABASE_URL": sources.pantry_url,
        "DAGSTER_PG_URL": sources.finance_url,
    }
    home = tmp_path / ".twin"
    dry = twin("pantry-history", "install", home=home, env=env)
    assert dry.returncode == 1
    assert "table    pantry_inventory_history" in dry.stdout and "Nothing was changed" in dry.stdout
    with sources.pantry.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('pantry_inventory_history')")).scalar() is None
    done = twin("pantry-history", "install", "--yes", home=home, env=env)
    assert done.returncode == 0 and "installed" in done.stdout
    with sources.pantry.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('pantry_inventory_history')")).scalar() is not None


def test_snapshot_with_the_twin_store_refusing_writes_still_shows_the_day(salary, pg_server, tmp_path):
    pg_server.ensure_databases(["cli_readonly_store", "cli_store_dagster"])
    store_url = pg_server.url("cli_readonly_store")
    from twin_pipeline.migrations import migrate

    store = create_engine(store_url)
    migrate(store, "twin")
    store.dispose()
    admin = create_engine(pg_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("ALTER DATABASE cli_readonly_store SET default_transaction_read_only = on"))
    admin.dispose()
    env = {
        "FINANCE_DATABASE_URL": salary.finance_url,
        "TRAINING_DATABASE_URL": salary.training_url,
        "PANTRY_DATABASE_URL": salary.pantry_url,
        "TWIN_DATABASE_URL": store_url,
        "DAGSTER_PG_URL": pg_server.url("cli_store_dagster"),
    }
    done = twin("snapshot", "--date", "2025-05-12", home=tmp_path / ".twin", env=env)
    assert done.returncode == 1
    assert "📊 AUTONOMOUS LIVING STATUS · 2025-05-12" in done.stdout
    assert "+9,000.00 PLN MTD" in done.stdout  # computed from the salary all the same
    assert "twin database read only at" in done.stdout and "NOT STORED" in done.stdout


def test_the_api_will_not_listen_beyond_loopback_without_a_token(tmp_path):
    refused = twin("api", "--host", "0.0.0.0", home=tmp_path / ".twin")
    assert refused.returncode == 2
    assert "refusing to serve 0.0.0.0:5677 without a token" in refused.stdout
    # Refused before any database: the API marks no ghost runs, so it started no embedded server.
    assert not (tmp_path / ".twin" / "pgdata").exists()


def test_note_writes_the_newest_day_into_the_vault(embedded, tmp_path):
    vault = tmp_path / "vault"
    done = twin("note", "--vault", str(vault), home=embedded.home)
    assert done.returncode == 0, done.stdout + done.stderr
    (note,) = vault.glob("*.md")
    assert note.read_text().startswith("%%TWIN_START%%\n📊 AUTONOMOUS LIVING STATUS")
    assert "unchanged" in twin("note", "--vault", str(vault), home=embedded.home).stdout
