"""How fast the deployed twin heals, with the four `twin serve` roles as separate processes on
their own embedded PostgreSQL and a year of demo data:

(1) a run worker SIGKILLed in the middle of a one-year range run (launched as the UI does):
    seconds from the kill until the run is marked failed, and until its retry has succeeded;
(2) `pg_ctl restart` of the server under every service: seconds from the restart until the API
    answers /status with 200 again, and until the sensor has ticked again.

    .venv/bin/python bench/recovery.py
"""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from twin_pipeline_tests import test_services as services_test  # noqa: E402
from twin_pipeline_tests.conftest import graphql  # noqa: E402

SENSOR_TICK = """{ sensorOrError(sensorSelector: {repositoryLocationName: "twin_pipeline",
    repositoryName: "__repository__", sensorName: "source_change_sensor"}) {
    ... on Sensor { sensorState { ticks(limit: 1) { status timestamp } } } } }"""


def launch_range(services, first: str, last: str) -> str:
    launched = graphql(services.ports["webserver"], """mutation($params: ExecutionParams!) {
        launchRun(executionParams: $params) { __typename ... on LaunchRunSuccess { run { runId } } } }""",
        {"params": {"selector": {"repositoryLocationName": "twin_pipeline", "repositoryName": "__repository__",
                                 "jobName": "twin_daily_job"},
                    "executionMetadata": {"tags": [
                        {"key": "dagster/asset_partition_range_start", "value": first},
                        {"key": "dagster/asset_partition_range_end", "value": last}]}}})["launchRun"]
    return launched["run"]["runId"]


def status(services, run_id: str) -> str | None:
    return next((run["status"] for run in services.runs() if run["runId"] == run_id), None)


def killed_worker(services, end) -> tuple[float, float]:
    run_id = launch_range(services, (end - timedelta(days=services_test.DEMO_DAYS - 1)).isoformat(), end.isoformat())
    services_test.wait_until(lambda: status(services, run_id) == "STARTED" and services_test.run_workers(services),
                             "the range run started", every=0.2)
    time.sleep(2)  # into the run's steps
    (worker,) = services_test.run_workers(services)
    worker.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    services_test.wait_until(lambda: status(services, run_id) == "FAILURE", "the run failed", every=0.2)
    failed = time.monotonic() - killed

    def retried() -> bool:
        return any(run["tags"].get("dagster/parent_run_id") == run_id and run["status"] == "SUCCESS"
                   for run in services.runs())

    services_test.wait_until(retried, "the retry succeeded", timeout=600, every=0.5)
    return failed, time.monotonic() - killed


def database_restart(services, server) -> tuple[float, float]:
    api = f"http://127.0.0.1:{services.ports['api']}/status"
    began = time.monotonic()
    restarted_at = time.time()
    services_test.pg_ctl(server, "restart")
    services_test.wait_until(lambda: services_test.get(api)[0] == 200, "the API back", every=0.1)
    api_back = time.monotonic() - began

    def ticked() -> bool:
        ticks = graphql(services.ports["webserver"], SENSOR_TICK)["sensorOrError"]["sensorState"]["ticks"]
        return bool(ticks) and ticks[0]["timestamp"] > restarted_at and ticks[0]["status"] != "FAILURE"

    services_test.wait_until(ticked, "a sensor tick", every=0.5)
    return api_back, time.monotonic() - began


def main() -> None:
    from twin_pipeline.embedded import EmbeddedPostgres
    from twin_pipeline_tests.conftest import today

    work = Path(tempfile.mkdtemp(prefix="twin-recovery-"))
    server = EmbeddedPostgres(work / "server")
    server.start()
    end = today()
    try:
        with services_test.serving(server, work / "services" / ".twin", end) as running:
            failed, retried = killed_worker(running, end)
            api_back, sensor_back = database_restart(running, server)
        print(f"(1) run worker SIGKILLed mid-range ({services_test.DEMO_DAYS} days): failed after {failed:.1f} s, "
              f"retry succeeded {retried:.1f} s after the kill")
        print(f"(2) pg_ctl restart: API answering 200 after {api_back:.1f} s, sensor ticking after {sensor_back:.1f} s")
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
