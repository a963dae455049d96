"""The image and deploy/compose.yaml as the person runs them, on a real Docker Engine: built
with the documented command, four services healthy, the UI's GraphQL launching a month's
backfill in the code server and showing its step logs, the API with its key; a PostgreSQL
outage, the code server SIGKILLed mid-run, `down` and `up`. In order: later tests use the
runs and rows the earlier ones made."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import date, timedelta

from dagster._core.storage.tags import GRPC_INFO_TAG
from sqlalchemy import create_engine, text

from twin_pipeline_tests.conftest import graphql, wait_until
from twin_pipeline_tests.deploy.conftest import (
    API, DEMO_DAYS, IMAGE, SERVICES, WEBSERVER, Stack, docker,
)

ASSETS = ("finance", "training", "pantry", "biometrics", "twin_state", "forecast_review", "daily_summary", "daily_note")
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
RUNS = """query($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) { ... on Runs { results {
  runId status tags { key value } } } } }"""


def api(path: str, key: str | None) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{API}{path}", headers={"X-API-KEY": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def launch_backfill(days: list[date]) -> str:
    launched = graphql(WEBSERVER, """mutation($params: LaunchBackfillParams!) {
        launchPartitionBackfill(backfillParams: $params) {
          __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"assetSelection": [{"path": [key]} for key in ASSETS],
                    "partitionNames": [d.isoformat() for d in days]}})["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def runs(**tags: str) -> list[dict]:
    return graphql(WEBSERVER, RUNS, {"tags": [{"key": k, "value": v} for k, v in tags.items()]})["runsOrError"]["results"]


def backfill_runs(backfill_id: str) -> list[dict]:
    return runs(**{"dagster/backfill": backfill_id})


def status_of(run_id: str) -> str:
    return graphql(WEBSERVER, 'query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }',
                   {"id": run_id})["runOrError"]["status"]


def updates(stack: Stack) -> tuple[int, int]:
    """Rows of digital_twin_updates, and distinct ones: the history, never written twice."""
    engine = create_engine(stack.owner_url("autonomous_finance"))
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT count(*), count(DISTINCT (entity_type, entity_id, source_system, update_type, update_data)) "
                "FROM digital_twin_updates")).one())
    finally:
        engine.dispose()


def last_days(count: int, before: int = 0) -> list[date]:
    end = date.today() - timedelta(days=1 + before)
    return [end - timedelta(days=i) for i in reversed(range(count))]


def test_the_image_runs_as_a_user_and_is_under_600_mb(image):
    size = json.loads(docker("image", "inspect", image).stdout)[0]["Size"]
    assert size < 600_000_000, f"{size / 1e6:.0f} MB"
    assert docker("run", "--rm", "--network", "none", "--entrypoint", "id", image, "-u").stdout.strip() == "10001"


def test_a_service_without_its_database_urls_refuses_in_one_line(image):
    done = docker("run", "--rm", "--network", "none", image, "serve", "daemon", check=False)
    assert done.returncode == 2
    assert done.stdout.startswith("configuration error: `twin serve daemon` needs DAGSTER_PG_URL")
    assert done.stdout.count("\n") == 1


def test_the_api_refuses_the_placeholder_key(image):
    urls = [f"--env={name}=postgresql://twin@127.0.0.1:9/x" for name in (
        "FINANCE_DATABASE_URL", "TRAINING_DATABASE_URL", "PANTRY_DATABASE_URL", "DAGSTER_PG_URL")]
    done = docker("run", "--rm", "--network", "none", *urls, "--env=DIGITAL_TWIN_API_KEY=CHANGE_ME", image,
                  "serve", "api", "--host", "0.0.0.0", "--port", "5677", check=False)
    assert done.returncode == 2
    assert "DIGITAL_TWIN_API_KEY still the placeholder CHANGE_ME: make one with" in done.stdout


def test_each_service_has_only_its_own_variables_and_network(stack):
    def env(service: str) -> set[str]:
        return {item.split("=", 1)[0] for item in stack.inspect(service)["Config"]["Env"]}

    for service in ("webserver", "daemon"):
        assert env(service) & {"FINANCE_DATABASE_URL", "TWIN_DATABASE_URL", "DIGITAL_TWIN_API_KEY"} == set()
        assert "DAGSTER_PG_URL" in env(service)
    assert "DIGITAL_TWIN_API_KEY" not in env("code-server") and "DIGITAL_TWIN_API_KEY" in env("api")
    networks = {s: set(stack.inspect(s)["NetworkSettings"]["Networks"]) for s in SERVICES}
    assert networks == {"code-server": {"twin-pipeline"}, "webserver": {"twin-pipeline"},
                        "daemon": {"twin-pipeline"}, "api": {"twin-pipeline", "autonomous-living"}}
    # From a container on the person's network: the API answers, the code server and the
    # webserver cannot even be found.
    probe = ("import socket, sys\n"
             "for host, port in (('api', 5677), ('code-server', 4266), ('webserver', 3000)):\n"
             "    try:\n        socket.create_connection((host, port), 5).close(); print(host, 'open')\n"
             "    except OSError as error: print(host, 'closed')\n")
    seen = docker("run", "--rm", "--network", "autonomous-living", "--entrypoint", "python", IMAGE, "-c", probe).stdout
    assert seen.split("\n")[:3] == ["api open", "code-server closed", "webserver closed"]


def test_the_webserver_loads_the_code_location_and_the_schedule_and_sensor_run(stack):
    data = graphql(WEBSERVER, """{ workspaceOrError { ... on Workspace { locationEntries {
        name loadStatus locationOrLoadError { __typename ... on RepositoryLocation { repositories {
          schedules { name scheduleState { status } } sensors { name sensorState { status } } } } } } } } }""")
    (entry,) = data["workspaceOrError"]["locationEntries"]
    assert (entry["name"], entry["loadStatus"]) == ("twin_pipeline", "LOADED")
    (repository,) = entry["locationOrLoadError"]["repositories"]
    states = {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]}
    states |= {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
    assert states and set(states.values()) == {"RUNNING"}, states


def test_a_months_backfill_from_graphql_runs_in_the_code_server_and_its_step_logs_show(stack, timings):
    began = time.monotonic()
    backfill = launch_backfill(last_days(30, before=40))
    (run,) = wait_until(lambda: (r := backfill_runs(backfill)) and all(x["status"] in FINISHED for x in r) and r,
                        "the backfill's run finished", 300, every=2)
    timings.record("month backfill", began)
    assert run["status"] == "SUCCESS", run
    # Launched through the code server (its address in the run's hidden tag, in Dagster's storage).
    engine = create_engine(stack.owner_url("dagster"))
    with engine.connect() as conn:
        grpc_info = conn.execute(text("SELECT value FROM run_tags WHERE run_id = :id AND key = :key"),
                                 {"id": run["runId"], "key": GRPC_INFO_TAG}).scalar_one()
    engine.dispose()
    assert json.loads(grpc_info)["host"] == "code-server"
    events = graphql(WEBSERVER, """query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
        events { __typename ... on LogsCapturedEvent { fileKey stepKeys } } } } }""", {"id": run["runId"]})
    captured = [e for e in events["logsForRun"]["events"] if e["__typename"] == "LogsCapturedEvent"]
    assert captured
    logs = graphql(WEBSERVER, """query($id: ID!, $key: String!) { runOrError(runId: $id) { ... on Run {
        capturedLogs(fileKey: $key) { stdout stderr } } } }""", {"id": run["runId"], "key": captured[0]["fileKey"]})
    shown = logs["runOrError"]["capturedLogs"]
    # Dagster's console logger writes each step's events to stderr, which the run captured.
    assert "STEP_SUCCESS" in shown["stderr"] and "twin_state" in shown["stderr"], shown
    # The goals vault and the note folder are the host's: the month's notes are there.
    notes = sorted(p.name for p in stack.notes.iterdir())
    assert notes == [f"{d.isoformat()}.md" for d in last_days(30, before=40)]


def test_the_goals_vault_is_read_only_in_the_code_server(stack):
    done = stack.compose("exec", "-T", "code-server", "sh", "-c", "touch /var/lib/twin/goals/x", check=False)
    assert done.returncode != 0 and "Read-only file system" in done.stderr + done.stdout
    listed = stack.compose("exec", "-T", "code-server", "ls", "/var/lib/twin/goals").stdout.split()
    assert listed and all((stack.directory / "goals" / name).exists() for name in listed)


def test_the_api_answers_with_the_key_and_refuses_without(stack):
    status, body = api("/status?format=text", stack.key)
    assert status == 200 and body.strip(), body
    assert api("/status?format=text", None)[0] == 401
    assert api("/status?format=text", "wrong-key-of-some-length")[0] == 403


def test_a_code_server_killed_mid_run_fails_the_run_which_is_retried_to_success(stack, timings):
    began = time.monotonic()
    backfill = launch_backfill(last_days(DEMO_DAYS - 30))
    (first,) = wait_until(lambda: [r for r in backfill_runs(backfill) if r["status"] == "STARTED"],
                          "the year's run started", 120, every=0.5)
    stack.compose("kill", "-s", "SIGKILL", "code-server")
    # Started again by compose, whatever the restart policy makes of a kill through the API.
    stack.compose("start", "code-server")
    wait_until(lambda: status_of(first["runId"]) == "FAILURE", "the killed run failed", 180, every=2)
    retried = wait_until(
        lambda: [r for r in runs(**{"dagster/parent_run_id": first["runId"]}) if r["status"] in FINISHED],
        "its retry finished", 300, every=2)
    assert [r["status"] for r in retried] == ["SUCCESS"]
    timings.record("code server killed: run failed and retried", began)
    stack.wait_healthy()


def test_a_killed_twin_backfill_in_the_code_server_is_failed_by_the_daemon(stack, timings):
    began = time.monotonic()
    start = last_days(DEMO_DAYS - 30)[0].isoformat()
    stack.compose("exec", "-d", "code-server", "twin", "backfill", "--start", start)
    (ghost,) = wait_until(lambda: [r for r in runs(**{"twin/trigger": "cli-backfill"}) if r["status"] == "STARTED"],
                          "the twin backfill's run started", 120, every=0.5)
    kill = ("import psutil\n[p.kill() for p in psutil.process_iter(['cmdline'])"
            " if 'backfill' in (p.info['cmdline'] or [])]")
    stack.compose("exec", "-T", "code-server", "python", "-c", kill)
    wait_until(lambda: status_of(ghost["runId"]) == "FAILURE", "the daemon failed the killed run", 150, every=2)
    timings.record("killed twin backfill failed by the daemon", began)


def test_a_postgres_outage_stops_no_service_and_the_api_says_so_until_it_is_back(stack):
    started = {s: stack.inspect(s)["State"]["StartedAt"] for s in SERVICES}
    stack.compose("stop", "postgres")
    try:
        answers = []
        status, body = wait_until(lambda: (a := api("/status?format=text", stack.key)) and answers.append(a)
                                  or (a[0] == 503 and a),
                                  "the API says the database is unreachable", 90, every=0.5, last=lambda: answers[-3:])
        assert json.loads(body)["report"] == "❌ Error: twin store unreachable at postgres:5432/autonomous_finance; try again shortly"
        # The container's health check is liveness: it passes while the API answers 503.
        test = stack.inspect("api")["Config"]["Healthcheck"]["Test"]
        assert docker("exec", stack.container("api"), *test[1:], check=False).returncode == 0
    finally:
        stack.compose("start", "postgres")
    wait_until(lambda: api("/status?format=text", stack.key)[0] == 200, "the API answers again", 60, every=0.5)
    assert {s: stack.inspect(s)["State"]["StartedAt"] for s in SERVICES} == started
    assert all(stack.inspect(s)["State"]["Running"] for s in SERVICES)


def test_down_and_up_lose_and_duplicate_nothing(stack, timings):
    before = updates(stack)
    assert before[0] > 0 and before[0] == before[1]
    began = time.monotonic()
    stack.compose("down", "--timeout", "10")
    stack.compose("up", "-d")
    stack.wait_healthy()
    timings.record("down, up, healthy", began)
    wait_until(lambda: api("/status?format=text", stack.key)[0] == 200, "the API answers", 60)
    after = updates(stack)
    assert after[0] >= before[0] and after[0] == after[1]
    assert len(runs(**{"twin/trigger": "cli-backfill"})) >= 1  # Dagster's history is kept too
