"""The pipeline under `dg dev` (conftest `dagster_dev`: webserver and daemon), as a user runs it:
a new row reaching the summary by the sensor alone, a backfill launched through Dagster's
GraphQL (launchPartitionBackfill) running as one run, and the lineage, schedule and sensor
as GraphQL shows them. One module, so the server starts once. The sensor's test comes first:
the backfill daemon looks every 30 s from its start, so its seconds come off the backfill's
wait instead of adding to it."""

from datetime import date, timedelta

from sqlalchemy import text

from twin_pipeline_tests.conftest import graphql as _graphql
from twin_pipeline_tests.conftest import (asset_keys, materialize_days, settings_for_tests, states_of, wait_for_backfill,
                                          wait_until, write)

DAYS = [date(2025, 3, 1) + timedelta(days=i) for i in range(7)]


def test_with_the_daemon_running_a_new_row_reaches_the_summary_by_itself(dagster_dev):
    sources = dagster_dev.sources
    today = settings_for_tests().today()  # the real one: the daemon runs in its own process, on the system clock
    write(sources.finance_url, "INSERT INTO categories (category_id, category_name, subcategory_name, category_type) "
          "VALUES (7, 'Income', 'Gift', 'Income')")
    materialize_days(sources, today)  # the twin has computed today once
    write(sources.finance_url, "INSERT INTO transactions (transaction_id, transaction_date, type, amount, "
          "merchant_source, category_id) VALUES ('GIFT', :d, 'Income', 4321.09, 'aunt', 7)", {"d": today})
    def summary() -> str:
        with sources.twin.connect() as conn:
            return conn.execute(
                text("SELECT summary_text FROM twin_daily_summary WHERE as_of = :d"), {"d": today}
            ).scalar() or ""

    wait_until(lambda: "+4,321.09 PLN" in summary(), "the summary refreshed by the sensor's run", timeout=150,
               last=summary)
    runs = _graphql(
        dagster_dev.port,
        '{ runsOrError(filter: {tags: [{key: "twin/trigger", value: "sensor"}]}) '
        "{ ... on Runs { results { status tags { key value } } } } }",
    )["runsOrError"]["results"]
    assert any({"key": "twin/changed_sources", "value": "finance.transactions"} in r["tags"] for r in runs)


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
    assert parents["daily_summary"] == ["forecast_review", "notable", "twin_state"]
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
