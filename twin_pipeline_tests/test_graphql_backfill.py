"""A backfill launched through Dagster's GraphQL (launchPartitionBackfill) runs as one run."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta

import pytest

from twin_pipeline.settings import PROJECT_ROOT
from twin_pipeline_tests.conftest import states_of

DAYS = [date(2025, 3, 1) + timedelta(days=i) for i in range(7)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


@pytest.fixture(scope="module")
def webserver(sources, pg_server, tmp_path_factory):
    pg_server.ensure_databases(["graphql_dagster"])
    home = tmp_path_factory.mktemp("graphql")
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "TWIN_"))}
    env.update(
        DAGSTER_HOME=str(home),
        TWIN_HOME=str(home / "twin"),
        DAGSTER_PG_URL=pg_server.url("graphql_dagster"),
        FINANCE_DATABASE_URL=sources.finance_url,
        TRAINING_DATABASE_URL=sources.training_url,
        PANTRY_DATABASE_URL=sources.pantry_url,
    )
    log = open(home / "dagster-dev.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                data = _graphql(port, "{ assetNodes { assetKey { path } } }")
                if len(data["assetNodes"]) == 5:
                    break
            except OSError:
                pass
            assert process.poll() is None, (home / "dagster-dev.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "dagster dev did not come up in 120 s"
            time.sleep(1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_a_graphql_backfill_of_a_week_completes_as_one_run(webserver, sources):
    launched = _graphql(
        webserver,
        """mutation($params: LaunchBackfillParams!) {
             launchPartitionBackfill(backfillParams: $params) {
               __typename
               ... on LaunchBackfillSuccess { backfillId }
               ... on PythonError { message }
             }
           }""",
        {
            "params": {
                "assetSelection": [{"path": [key]} for key in ("finance", "training", "pantry", "twin_state", "daily_summary")],
                "partitionNames": [d.isoformat() for d in DAYS],
            }
        },
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    deadline = time.monotonic() + 240
    while True:
        status = _graphql(
            webserver,
            """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
                 ... on PartitionBackfill { status } } }""",
            {"id": backfill_id},
        )["partitionBackfillOrError"]["status"]
        if status in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"):
            break
        assert time.monotonic() < deadline, f"backfill still {status} after 240 s"
        time.sleep(2)
    runs = _graphql(
        webserver,
        """query($id: String!) { runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
             ... on Runs { results { status tags { key value } } } } }""",
        {"id": backfill_id},
    )["runsOrError"]["results"]
    assert status in ("COMPLETED", "COMPLETED_SUCCESS")
    assert len(runs) == 1 and runs[0]["status"] == "SUCCESS"
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        DAYS[0].isoformat(), DAYS[-1].isoformat(),
    )
    states = states_of(sources, DAYS)
    assert {as_of for _, as_of in states} == {d.isoformat() for d in DAYS}
