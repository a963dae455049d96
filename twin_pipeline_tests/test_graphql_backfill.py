"""A backfill launched through Dagster's GraphQL (launchPartitionBackfill) runs as one run."""

from datetime import date, timedelta

from twin_pipeline_tests.conftest import graphql as _graphql
from twin_pipeline_tests.conftest import asset_keys, states_of, wait_for_backfill

DAYS = [date(2025, 3, 1) + timedelta(days=i) for i in range(7)]


def test_a_graphql_backfill_of_a_week_completes_as_one_run(dagster_dev):
    webserver, sources = dagster_dev.port, dagster_dev.sources
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
                "assetSelection": [{"path": [key]} for key in ("finance", "training", "pantry", "biometrics", "twin_state", "forecast_review", "daily_summary")],
                "partitionNames": [d.isoformat() for d in DAYS],
            }
        },
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]

    backfill, runs = wait_for_backfill(webserver, backfill_id, timeout=240)
    assert backfill["status"] in ("REQUESTED", "COMPLETED", "COMPLETED_SUCCESS")  # see wait_for_backfill
    assert len(runs) == 1 and runs[0]["status"] == "SUCCESS"
    assert asset_keys(runs[0]) == ["biometrics", "daily_summary", "finance", "forecast_review", "pantry", "training", "twin_state"]  # all in this run
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        DAYS[0].isoformat(), DAYS[-1].isoformat(),
    )
    states = states_of(sources, DAYS)
    assert {as_of for _, as_of in states} == {d.isoformat() for d in DAYS}


def test_graphql_shows_the_lineage_the_schedule_and_the_sensor(dagster_dev):
    data = _graphql(
        dagster_dev.port,
        """{ assetNodes { assetKey { path } dependencyKeys { path } groupName description kinds }
             schedulesOrError(repositorySelector: {repositoryName: "__repository__", repositoryLocationName: "twin_pipeline"}) {
               ... on Schedules { results { name cronSchedule executionTimezone description scheduleState { status } } } }
             sensorsOrError(repositorySelector: {repositoryName: "__repository__", repositoryLocationName: "twin_pipeline"}) {
               ... on Sensors { results { name description minIntervalSeconds sensorState { status } } } } }""",
    )
    nodes = {n["assetKey"]["path"][0]: n for n in data["assetNodes"]}
    parents = {name: sorted(d["path"][0] for d in n["dependencyKeys"]) for name, n in nodes.items()}
    assert parents["twin_state"] == ["biometrics", "finance", "pantry", "training"]
    assert parents["forecast_review"] == ["twin_state"]
    assert parents["daily_summary"] == ["forecast_review", "twin_state"]
    assert parents["person"] == ["goals", "home", "twin_state"]
    assert all(n["description"] and n["groupName"] and n["kinds"] for n in nodes.values())
    schedules = {s["name"]: s for s in data["schedulesOrError"]["results"]}
    daily = schedules["daily_twin_schedule"]
    assert (daily["cronSchedule"], daily["executionTimezone"], daily["scheduleState"]["status"]) == (
        "0 6 * * *", "Europe/Warsaw", "RUNNING")
    (sensor,) = data["sensorsOrError"]["results"]
    assert (sensor["name"], sensor["sensorState"]["status"], sensor["minIntervalSeconds"]) == (
        "source_change_sensor", "RUNNING", 5)
    assert sensor["description"]
