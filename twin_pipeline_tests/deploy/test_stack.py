"""The image and deploy/compose.yaml as the person runs them, on a real Docker Engine: built
with the documented command, four services healthy, the UI's GraphQL launching a month's
backfill in the code server and showing its step logs, the API with its key; a PostgreSQL
outage, the code server SIGKILLed mid-run, `down` and `up`. In order: later tests use the
runs and rows the earlier ones made."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import time
import urllib.error
import urllib.request
from datetime import date, timedelta

import pytest
import yaml

from dagster._core.storage.tags import GRPC_INFO_TAG
from sqlalchemy import create_engine, text

from twin_pipeline_tests.conftest import graphql, wait_until
from twin_pipeline_tests.deploy.conftest import (
    API, DEMO_DAYS, IMAGE, REPO, SERVICES, WEBSERVER, Stack, docker, free_port, run, write_env,
)

ASSETS = ("finance", "training", "pantry", "biometrics", "twin_state", "forecast_review", "daily_summary", "daily_note")
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
# compose.yaml's mem_limit of each service, in MiB.
MEMORY_MIB = {"code-server": 1536, "webserver": 768, "daemon": 768, "api": 512}
# Whether each host:port given can be connected to, a line each, from where it runs.
PROBE = ("import socket, sys\n"
         "for address in sys.argv[1:]:\n"
         "    host, port = address.rsplit(':', 1)\n"
         "    try:\n        socket.create_connection((host, int(port)), 5).close(); print(address, 'open')\n"
         "    except OSError: print(address, 'closed')\n")
RUNS = """query($tags: [ExecutionTag!]) { runsOrError(filter: {tags: $tags}) { ... on Runs { results {
  runId status tags { key value } } } } }"""


def api(path: str, key: str | None) -> tuple[int, str]:
    return api_at(f"http://127.0.0.1:{API}{path}", key)


def api_at(url: str, key: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-API-KEY": key} if key else {})
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


def test_a_database_url_with_the_placeholder_password_stops_a_service_in_one_line(image):
    urls = [f"--env={name}=postgresql://twin@127.0.0.1:9/x" for name in (
        "FINANCE_DATABASE_URL", "TRAINING_DATABASE_URL", "PANTRY_DATABASE_URL")]
    done = docker("run", "--rm", "--network", "none", *urls, "--env=DAGSTER_PG_URL=postgresql://dagster:CHANGE_ME@postgres/dagster",
                  image, "serve", "code-server", check=False)
    assert done.returncode == 2
    assert done.stdout.startswith("configuration error: DAGSTER_PG_URL still holds the placeholder password CHANGE_ME")
    assert done.stdout.count("\n") == 1


def test_the_build_context_holds_only_what_the_dockerfile_copies(image):
    """.dockerignore: the person's deploy/.env, .venv, .git, the tests and caches never reach a build."""
    env_file = REPO / "deploy" / ".env"
    made = not env_file.exists()
    if made:
        env_file.write_text("DIGITAL_TWIN_API_KEY=never-in-an-image\n")
    try:
        docker("build", "-q", "-t", "twin-context", "-f", "-", ".", cwd=REPO,
               input="FROM python:3.11-slim\nCOPY . /context\n")
        listed = docker("run", "--rm", "--network", "none", "twin-context", "find", "/context").stdout.split()
    finally:
        if made:
            env_file.unlink()
        docker("image", "rm", "-f", "twin-context", check=False)
    top = {path.split("/")[2] for path in listed if path.count("/") >= 2}
    assert top == {"pyproject.toml", "constraints.txt", "README.md", "twin_pipeline"}
    assert not [path for path in listed if "__pycache__" in path or path.endswith(".pyc")]
    assert "/context/twin_pipeline/definitions.py" in listed


def test_each_service_has_only_its_own_variables_and_network(stack):
    def env(service: str) -> set[str]:
        return {item.split("=", 1)[0] for item in stack.inspect(service)["Config"]["Env"]}

    for service in ("webserver", "daemon"):
        assert env(service) & {"FINANCE_DATABASE_URL", "TWIN_DATABASE_URL", "DIGITAL_TWIN_API_KEY"} == set()
        assert "DAGSTER_PG_URL" in env(service)
    assert "DIGITAL_TWIN_API_KEY" not in env("code-server") and "DIGITAL_TWIN_API_KEY" in env("api")
    networks = {s: set(stack.inspect(s)["NetworkSettings"]["Networks"]) for s in SERVICES}
    assert networks == {"code-server": {"twin-pipeline"}, "webserver": {"twin-pipeline"},
                        "daemon": {"twin-pipeline"}, "api": {"twin-pipeline-api", "autonomous-living"}}
    # From a container on the person's network: the API answers, the code server and the
    # webserver cannot even be found.
    seen = docker("run", "--rm", "--network", "autonomous-living", "--entrypoint", "python", IMAGE, "-c",
                  PROBE, "api:5677", "code-server:4266", "webserver:3000").stdout
    assert seen.split("\n")[:3] == ["api:5677 open", "code-server:4266 closed", "webserver:3000 closed"]


def test_the_api_container_reaches_its_databases_but_not_the_code_server_or_the_webserver(stack):
    """Neither the code server's gRPC nor the webserver's GraphQL asks for a login: from inside
    the API's container (a flaw in the API, a stolen shell) neither is even found."""
    seen = stack.compose("exec", "-T", "api", "python", "-c", PROBE, "postgres:5432", "code-server:4266",
                         "webserver:3000", timeout=120).stdout
    assert seen.split("\n")[:3] == ["postgres:5432 open", "code-server:4266 closed", "webserver:3000 closed"]
    # The code server itself still reaches the webserver's network and the databases.
    seen = stack.compose("exec", "-T", "code-server", "python", "-c", PROBE, "postgres:5432", "webserver:3000",
                         timeout=120).stdout
    assert seen.split("\n")[:2] == ["postgres:5432 open", "webserver:3000 open"]


def test_the_api_and_the_webserver_are_published_on_the_hosts_loopback_only(stack):
    for service, port in (("api", API), ("webserver", WEBSERVER)):
        published = stack.inspect(service)["NetworkSettings"]["Ports"][f"{port}/tcp"]
        assert [(p["HostIp"], p["HostPort"]) for p in published] == [("127.0.0.1", str(port))], service
    # The host's own addresses beyond loopback: nothing answers there.
    addresses = [a for a in run("hostname", "-I", env=os.environ).stdout.split() if ":" not in a]
    assert addresses
    for address in addresses:
        with socket.socket() as probe:
            probe.settimeout(3)
            assert probe.connect_ex((address, API)) != 0, address


def test_every_container_is_read_only_without_capabilities_and_bounded(stack):
    limits = {}
    for service in SERVICES:
        host = stack.inspect(service)["HostConfig"]
        assert host["ReadonlyRootfs"] is True, service
        assert host["CapDrop"] == ["ALL"] and not host["CapAdd"], service
        assert host["SecurityOpt"] == ["no-new-privileges:true"], service
        limits[service] = host["Memory"] // 2**20
    assert limits == MEMORY_MIB
    # The process holds no capability and cannot gain one; the image's files cannot be changed.
    status = stack.compose("exec", "-T", "api", "cat", "/proc/1/status").stdout
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["CapEff"].strip() == fields["CapBnd"].strip() == "0" * 16 and fields["NoNewPrivs"].strip() == "1"
    for path in ("/usr/local/bin/x", "/var/lib/twin/x", "/var/lib/twin/keys/x"):
        done = stack.compose("exec", "-T", "api", "sh", "-c", f"echo x > {path}", check=False)
        assert done.returncode != 0 and "Read-only file system" in done.stderr, (path, done.stderr)


def test_the_tls_profile_is_valid_and_nothing_of_it_runs_without_it(stack):
    config = yaml.safe_load(stack.compose("--profile", "tls", "config").stdout)
    caddy = config["services"]["caddy"]
    assert caddy["image"] == "caddy:2" and list(caddy["networks"]) == ["api"] and caddy["profiles"] == ["tls"]
    assert str(REPO / "deploy" / "Caddyfile") in str(caddy["volumes"])
    containers = docker("ps", "-a", "--format", "{{.Names}} {{.Image}}").stdout
    assert "caddy" not in containers and "twin-pipeline:latest" in containers


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


def test_the_tls_profile_serves_the_api_over_https_with_its_own_authority(stack, caddy_image):
    port = free_port()
    stack.env.update(TWIN_TLS_PUBLISH=f"127.0.0.1:{port}", TWIN_TLS_SITE="localhost")
    write_env(stack)
    try:
        stack.compose("--profile", "tls", "up", "-d", "caddy")
        caddy = stack.inspect("caddy")
        assert set(caddy["NetworkSettings"]["Networks"]) == {"twin-pipeline-api"}
        # The one address whose X-Forwarded-For the API believes is the proxy's, as it runs.
        address = caddy["NetworkSettings"]["Networks"]["twin-pipeline-api"]["IPAddress"]
        assert f"FORWARDED_ALLOW_IPS={address}" in stack.inspect("api")["Config"]["Env"]
        assert caddy["HostConfig"]["ReadonlyRootfs"] and caddy["HostConfig"]["CapAdd"] == ["NET_BIND_SERVICE"]
        # Its own authority, made on first start: what a client trusts (docs/deployment.md).
        root = stack.directory / "twin-root.crt"
        wait_until(lambda: docker("cp", f"{stack.container('caddy')}:/data/caddy/pki/authorities/local/root.crt",
                                  str(root), check=False).returncode == 0, "Caddy's authority made", 30, every=0.5,
                   last=lambda: stack.compose("logs", "caddy", check=False).stdout[-2000:])
        trusted = ssl.create_default_context(cafile=str(root))

        def https(path: str, key: str | None) -> int:
            request = urllib.request.Request(f"https://localhost:{port}{path}", headers={"X-API-KEY": key} if key else {})
            try:
                with urllib.request.urlopen(request, timeout=10, context=trusted) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        assert wait_until(lambda: https("/status?format=text", stack.key) == 200 and 200,
                          "the API over HTTPS", 30, every=0.5) == 200
        assert https("/status?format=text", None) == 401
        # Only HTTPS on that port, with a certificate of that authority.
        assert api_at(f"http://127.0.0.1:{port}/health/live")[0] != 200
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"https://localhost:{port}/health/live", timeout=10)
    finally:
        stack.compose("--profile", "tls", "rm", "--stop", "--force", "caddy", check=False)
        del stack.env["TWIN_TLS_PUBLISH"], stack.env["TWIN_TLS_SITE"]
        write_env(stack)


def add_key(stack: Stack, name: str) -> str:
    """`docker compose run --rm keys add NAME --tier household`, as docs/household.md shows: the key printed once."""
    said = stack.compose("run", "--rm", "keys", "add", name, "--tier", "household").stdout.splitlines()
    shown = said[said.index(next(line for line in said if "shown this once" in line)) + 1].strip()
    assert len(shown) == 43, said
    return shown


def test_the_api_takes_the_owners_key_alone_without_a_household_keys_file(stack):
    mount = next(m for m in stack.inspect("api")["Mounts"] if m["Destination"] == "/var/lib/twin/keys")
    assert (mount["Source"], mount["RW"]) == (str(REPO / "deploy" / "no-household-keys"), False)
    assert "TWIN_API_KEYS_FILE=" in stack.inspect("api")["Config"]["Env"]  # no keys file: the owner's key alone
    assert api("/pantry", stack.key)[0] == 200


def test_a_household_key_reads_the_pantry_only_and_a_revoked_one_is_refused_within_10_s(stack, timings):
    keys = stack.directory / "keys"
    keys.mkdir()
    os.chown(keys, 10001, 10001)  # the image's user writes the keys file, the API reads it
    keys.chmod(0o700)
    stack.env.update(TWIN_API_KEYS_DIR=str(keys), TWIN_API_KEYS_FILE="/var/lib/twin/keys/keys.toml")
    write_env(stack)
    anna, ben = add_key(stack, "anna"), add_key(stack, "ben")
    written = (keys / "keys.toml").stat()
    assert (written.st_uid, written.st_mode & 0o777) == (10001, 0o600)
    text = (keys / "keys.toml").read_text()
    assert anna not in text and hashlib.sha256(anna.encode()).hexdigest() in text
    # The API follows the folder it mounts (recreated, as `docker compose up -d` does after .env changes).
    stack.compose("up", "-d", "api")
    wait_until(lambda: api("/health/live", None)[0] == 200, "the API answers", 60, every=0.5)
    status, body = api("/pantry", anna)
    assert status == 200 and "low_stock_items" in json.loads(body), body
    assert api("/finance", anna)[0] == 403
    assert api("/finance", stack.key)[0] == 200
    started = stack.inspect("api")["State"]["StartedAt"]
    wrong = api("/pantry", "a-wrong-key-of-some-length")[0]
    assert wrong in (401, 403)

    began = time.monotonic()
    said = stack.compose("run", "--rm", "keys", "revoke", "anna").stdout
    assert "anna (household) revoked" in said
    wait_until(lambda: api("/pantry", anna)[0] == wrong, "anna's key refused", 10, every=0.2)
    timings.record("`keys revoke` run until the key is refused", began)
    assert api("/pantry", ben)[0] == 200 and api("/pantry", stack.key)[0] == 200
    assert stack.inspect("api")["State"]["StartedAt"] == started  # no restart


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
