"""Biometrics (autonomous_health) in the health state, on crafted rows in a real PostgreSQL,
read by the twin_reader login of sql/roles/: every answer below is worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text

from twin_pipeline.core.forecast_review import READ_BACK_DAYS
from twin_pipeline.core.health.biometrics import NOT_CONFIGURED
from twin_pipeline.defs.resources import PostgresDatabase
from twin_pipeline_tests.conftest import ROLES, Sources, execute, settings_for_tests, states_of, write
from twin_pipeline_tests.test_roles import as_login, psql

D = date(2026, 4, 10)


def day(n: int) -> date:
    return date(2026, 4, n)


def reader(sources, role: str, url: str) -> PostgresDatabase:
    """The source read through the twin_reader login (sql/roles/twin_reader.sql)."""
    return PostgresDatabase(role=role, url=as_login(url, "twin_reader"), twin_home=sources.twin_home)


def filled(sources: Sources) -> Sources:
    """The crafted rows, read through the reader role, as the owner applies it in each source
    database it reads."""
    for url in (sources.training_url, sources.health_url):
        done = psql(url, "-f", str(ROLES / "twin_reader.sql"))
        assert done.returncode == 0, done.stderr
    execute(sources.training, "INSERT INTO workout_templates (template_id, template_name, workout_type) "
            "VALUES ('A', 'Full', 'HIT Full Body')")
    execute(sources.training, "INSERT INTO workouts (workout_date, template_id) VALUES (:d, 'A')",
            [{"d": day(1)}, {"d": day(9)}])
    execute(sources.training, "INSERT INTO measurements (measurement_date, bodyweight_kg, bodyfat_pct) VALUES (:d, :w, :f)", [
        {"d": date(2026, 3, 30), "w": "81.00", "f": None},
        {"d": day(1), "w": "80.00", "f": "20.00"},   # the scale's row of that date wins
        {"d": day(8), "w": "80.40", "f": None},      # the scale's row of that date has no weight
    ])
    # resting_hr and hydration_pct are undocumented: filled, and never read.
    execute(sources.health, "INSERT INTO biometrics (measurement_date, readiness_score, sleep_score, hrv_ms, weight_kg, "
            "body_fat_pct, resting_hr, hydration_pct) VALUES (:d, :r, :s, :h, :w, :f, 55, 60.0)", [
        {"d": day(1), "r": 80, "s": 70, "h": 40, "w": "79.50", "f": "18.00"},
        {"d": day(3), "r": 0, "s": 75, "h": 0, "w": None, "f": None},
        {"d": day(5), "r": 90, "s": 0, "h": 50, "w": None, "f": None},
        {"d": day(6), "r": 60, "s": 90, "h": 45, "w": None, "f": None},
        {"d": day(8), "r": 70, "s": 80, "h": 60, "w": None, "f": None},
        {"d": D, "r": 85, "s": 0, "h": 55, "w": None, "f": None},
        {"d": D + timedelta(days=1), "r": 10, "s": 10, "h": 10, "w": "60.00", "f": None},  # after D: never read for D
    ])
    return sources


@pytest.fixture(scope="module")
def twin(sources) -> Sources:
    return filled(sources)


def health_of(sources, first: date, last: date, **resources) -> dict[date, dict]:
    from dagster import DagsterInstance, materialize

    from twin_pipeline_tests.conftest import daily_assets

    given = {**sources.resources(), **resources}
    kwargs = ({"partition_key": first.isoformat()} if first == last else {"tags": {
        "dagster/asset_partition_range_start": first.isoformat(), "dagster/asset_partition_range_end": last.isoformat()}})
    assert materialize(daily_assets(), resources=given, instance=DagsterInstance.ephemeral(), **kwargs).success
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return {d: states_of(sources, [d])[("health", d.isoformat())] for d in days}


def computed(twin: Sources) -> dict[date, dict]:
    readers = {"training_db": reader(twin, "training", twin.training_url),
               "biometrics_db": reader(twin, "biometrics", twin.health_url)}
    # Through D + 1, so the fingerprints cover every row (the sensor test starts from there).
    return health_of(twin, day(2), D + timedelta(days=1), **readers)


@pytest.fixture(scope="module")
def health(twin) -> dict[date, dict]:
    return computed(twin)


@pytest.fixture
def twin_apart(own_sources) -> Sources:
    """The crafted rows computed in databases of their own: for a test that changes a row and
    expects exactly what the sensor makes of it (another test's degraded days would add theirs)."""
    computed(filled(own_sources))
    return own_sources


def test_readings_of_the_newest_row_a_zero_is_unknown(health):
    on_d = health[D]
    assert on_d["status"] == "ok" and on_d["error"] is None
    b = on_d["biometrics"]
    assert (b["measurement_date"], b["days_old"]) == ("2026-04-10", 0)
    assert (b["readiness_score"], b["sleep_score"], b["hrv_ms"]) == (85, None, 55)  # sleep 0: not synced yet
    # D-1 reads D-2's row (the newest on or before it); HRV 0 and readiness 0 are unknown.
    assert health[day(9)]["biometrics"]["measurement_date"] == "2026-04-08"
    assert health[day(9)]["biometrics"]["days_old"] == 1
    on_4 = health[day(4)]["biometrics"]
    assert (on_4["readiness_score"], on_4["sleep_score"], on_4["hrv_ms"]) == (None, 75, None)


def test_baselines_need_three_known_values_in_the_seven_days_before(health):
    b = health[D]["biometrics"]  # 04-03..04-09: rows of 04-03, 04-05, 04-06, 04-08
    assert b["readiness_baseline_7d"] == 73.33  # 90, 60, 70 (04-03's 0 is unknown): 220 / 3
    assert b["sleep_baseline_7d"] == 81.67  # 75, 90, 80 (04-05's 0): 245 / 3
    assert b["hrv_baseline_7d"] == 51.67  # 50, 45, 60: 155 / 3
    assert b["hrv_vs_baseline_pct"] == 6.5  # (55 - 51.666..) * 100 / 51.666.. = 6.45..
    on_7 = health[day(7)]["biometrics"]  # 03-31..04-06: rows of 04-01, 04-03, 04-05, 04-06
    assert (on_7["readiness_baseline_7d"], on_7["hrv_baseline_7d"]) == (76.67, 45.0)  # 80, 90, 60; 40, 50, 45
    assert on_7["hrv_vs_baseline_pct"] == 0.0  # 04-06's 45 against 45
    on_5 = health[day(5)]["biometrics"]  # 03-29..04-04: sleep 70 and 75 only
    assert on_5["sleep_baseline_7d"] is None
    assert on_5["sleep_baseline_7d_reason"] == "fewer than 3 known values in the 7 days before 2026-04-05"
    assert on_5["hrv_vs_baseline_pct"] is None and on_5["hrv_vs_baseline_pct_reason"] == "no HRV baseline"


def test_same_date_the_scale_wins_and_a_row_without_weight_is_no_reading(health):
    on_2 = health[day(2)]["body_composition"]
    assert on_2 == {"measurement_date": "2026-04-01", "bodyweight_kg": 79.5, "bodyfat_pct": 18.0,
                    "lean_mass_kg": 65.19, "weight_change_kg": -1.5, "weight_trend": "LOSING", "source": "biometrics"}
    on_d = health[D]["body_composition"]  # 04-08's scale row has no weight: training's 80.40
    assert on_d == {"measurement_date": "2026-04-08", "bodyweight_kg": 80.4, "bodyfat_pct": None,
                    "lean_mass_kg": None, "weight_change_kg": 0.9, "weight_trend": "GAINING", "source": "measurements"}
    # 28-day slope over 03-30 81.00, 04-01 79.50 (scale), 04-08 80.40: x = -11, -9, -2:
    # 7 * (3 * -1767.3 - (-22 * 240.9)) / (3 * 206 - 22^2) = -14.7 / 134 = -0.1097
    assert health[D]["trends"]["weight_trend_kg_per_week"] == -0.11
    assert health[D]["trends"]["weight_measurements_28d"] == 3
    assert "weight_readings" not in health[D]


def test_a_row_corrected_in_place_is_a_correction_and_the_sensor_sees_it(twin_apart):
    from dagster import DagsterInstance, build_sensor_context

    from twin_pipeline.defs.sensors import build_source_change_sensor

    sensor = build_source_change_sensor(settings_for_tests())
    with DagsterInstance.ephemeral() as instance:
        cursor = sensor(build_sensor_context(instance=instance, resources=twin_apart.resources())).cursor
    # Another column of the row changing is nothing the twin reads. Each write returns once the
    # counters the sensor reads have moved (PostgreSQL publishes them some time after commit).
    write(twin_apart.health_url, "UPDATE biometrics SET resting_hr = 49 WHERE measurement_date = :d", {"d": day(6)})
    write(twin_apart.health_url, "UPDATE biometrics SET hrv_ms = 65 WHERE measurement_date = :d", {"d": day(6)})
    with DagsterInstance.ephemeral() as instance:
        result = sensor(build_sensor_context(instance=instance, cursor=cursor, resources=twin_apart.resources()))
    stale = sorted((r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
                   for r in result.run_requests)
    # Readings of 04-06: the latest until 04-08's row, the baselines through 04-13 (X + 7); and
    # the forecast reviews whose outcome those restated days are (through 42 days on).
    assert stale == [("2026-04-06", (date(2026, 4, 13) + timedelta(days=READ_BACK_DAYS)).isoformat())], stale
    after = health_of(twin_apart, D, D)[D]
    assert after["biometrics"]["hrv_baseline_7d"] == 58.33  # 50, 65, 60: 175 / 3
    with twin_apart.twin.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM digital_twin_updates WHERE entity_type = 'health' "
                                 "AND update_data ->> 'as_of' = :d"), {"d": D.isoformat()}).scalar()
    assert rows == 2  # the first state is kept under the correction


def test_health_database_down_keeps_training_and_buries_nothing(twin, health):
    down = PostgresDatabase(role="biometrics", url="postgresql://twin@127.0.0.1:1/autonomous_health",
                            twin_home=twin.twin_home, retries=0)
    fresh = day(12)  # not stored before: computed with the health database down
    got = health_of(twin, D, fresh, biometrics_db=down)
    on_fresh = got[fresh]
    assert on_fresh["status"] == "degraded"
    assert on_fresh["biometrics_reason"] == "biometrics database unreachable"
    assert "127.0.0.1:1/autonomous_health" in on_fresh["biometrics_error_detail"]
    assert on_fresh["error"] == "biometrics database unreachable"
    assert on_fresh["biometrics"]["readiness_score"] is None
    assert on_fresh["last_workout_date"] == "2026-04-09"  # training's part still computed
    assert on_fresh["parts_unavailable"] == ["biometrics"]
    assert on_fresh["body_composition"]["source"] == "measurements"
    # D was stored with its biometrics: not buried by the degraded recomputation.
    assert got[D]["status"] == "ok" and got[D]["biometrics"]["readiness_score"] == 85


def test_not_configured_is_null_with_a_reason_and_not_degraded(twin):
    off = PostgresDatabase(role="biometrics", url=None, twin_home=twin.twin_home, configured=False)
    got = health_of(twin, day(13), day(13), biometrics_db=off)[day(13)]
    assert got["status"] == "ok", got["error"]
    assert got["biometrics_reason"] == NOT_CONFIGURED == "health database not configured (HEALTH_DATABASE_URL)"
    assert set(got["biometrics"].values()) == {None}
    assert got["body_composition"]["source"] == "measurements"


def test_settings_required_sources_all_or_none_and_health_on_its_own():
    from twin_pipeline.settings import ConfigurationError

    required = {"FINANCE_DATABASE_URL": "postgresql://a/f", "TRAINING_DATABASE_URL": "postgresql://a/t",
                "PANTRY_DATABASE_URL": "postgresql://a/p"}
    configured = settings_for_tests(**required)
    assert not configured.embedded_sources and not configured.source_configured("biometrics")
    assert settings_for_tests(**required, HEALTH_DATABASE_URL="postgresql://a/h").source_configured("biometrics")
    alone = settings_for_tests(HEALTH_DATABASE_URL="postgresql://a/h")
    assert alone.embedded_sources and alone.source_url("biometrics") == "postgresql+psycopg2://a/h"
    with pytest.raises(ConfigurationError, match="PANTRY_DATABASE_URL not set"):
        settings_for_tests(FINANCE_DATABASE_URL="postgresql://a/f", TRAINING_DATABASE_URL="postgresql://a/t")


def test_contract_check_names_a_missing_documented_column(twin, pg_server):
    from twin_pipeline.database import Database
    from twin_pipeline.sources import SOURCES
    from twin_pipeline.sources.reading import read_section

    pg_server.ensure_databases(["biometrics_drift"])
    url = pg_server.url("biometrics_drift")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    execute(engine, "CREATE TABLE IF NOT EXISTS biometrics (measurement_date date PRIMARY KEY, readiness_score int, "
            "sleep_score int, weight_kg numeric, body_fat_pct numeric, heart_rate int)")
    engine.dispose()
    outcome = read_section(SOURCES["biometrics"], Database(role="biometrics", url=url, twin_home=twin.twin_home, retries=0),
                           [D], settings_for_tests())
    # The missing documented column, where, and the owner's fix (as every source words it);
    # the undocumented heart_rate is no gap.
    assert "lacks column biometrics.hrv_ms, named in" in outcome.failure
    assert outcome.failure.endswith("restore it or point HEALTH_DATABASE_URL at the right database")
    assert "heart_rate" not in outcome.failure
    assert outcome.read.documents[0]["status"] == "unavailable"


def test_status_line_briefing_and_top_level_readings():
    from twin_pipeline.api.answers import old_names
    from twin_pipeline.core.briefing import health_lines
    from twin_pipeline.core.summary import health_line

    section = {"as_of": "2026-04-10", "status": "ok", "error": None, "workouts_last_7_days": 2,
               "last_workout_date": "2026-04-09", "days_since_last_workout": 1, "body_composition": None,
               "biometrics": {"days_old": 1, "readiness_score": 87, "sleep_score": None, "hrv_ms": 45.5}}
    assert health_line(section, 3) == "💪 Health: 2/3 workouts this week · readiness 87 · HRV 45.5 ms"
    assert health_lines(section, 3)[-2:] == ["- Readiness: 87%", "- HRV: 45.5ms"]
    top = old_names("health", section)
    assert (top["readiness_score"], top["sleep_score"], top["hrv_ms"]) == (87, None, 45.5)
    stale = {**section, "biometrics": {**section["biometrics"], "days_old": 2}}
    assert health_line(stale, 3) == "💪 Health: 2/3 workouts this week"  # older than a day: not in the status


def test_the_api_answers_health_history_and_probes_the_health_database(twin, health):
    from twin_pipeline_tests.conftest import LocalClient
    from sqlalchemy import create_engine

    from twin_pipeline.api.app import create_app
    from twin_pipeline.reader import TwinReader

    up = create_engine(twin.health_url)
    down = create_engine("postgresql+psycopg2://twin@127.0.0.1:1/autonomous_health", connect_args={"connect_timeout": 1})
    try:
        client = LocalClient(create_app(TwinReader(twin.finance_url), probes={"biometrics_database": up}))
        # 04-09's health: the readings of 04-08's row (a day old), at the top level beside the document's own.
        posted = client.post("/health/history", json={"target_date": day(9).isoformat()})
        assert posted.status_code == 200, posted.text
        body = posted.json()
        assert (body["readiness_score"], body["sleep_score"], body["hrv_ms"]) == (70, 80, 60)
        assert body["data"]["biometrics"]["days_old"] == 1
        assert client.get("/health/history", params={"target_date": day(9).isoformat()}).json() == body

        answers = client.get("/health/domain/biometrics")
        assert answers.status_code == 200 and answers.json()["status"] == "ok"
        broken = LocalClient(create_app(TwinReader(twin.finance_url), probes={"biometrics_database": down}))
        refused = broken.get("/health/domain/biometrics")
        assert refused.status_code == 503 and refused.json()["status"] == "down"
        assert refused.json()["report"].startswith("❌ Error: biometrics database unreachable at 127.0.0.1:1")
        # An install without HEALTH_DATABASE_URL: nothing wrong, nothing to probe (a required source
        # the app does not probe stays 503).
        left_out = LocalClient(create_app(TwinReader(twin.finance_url), probes={}))
        skipped = left_out.get("/health/domain/biometrics")
        assert skipped.status_code == 200 and skipped.json()["status"] == "not_configured"
        assert "HEALTH_DATABASE_URL" in skipped.json()["report"]
        assert left_out.get("/health/domain/training").status_code == 503
    finally:
        up.dispose()
        down.dispose()


def test_the_frame_and_the_export_carry_the_biometrics_columns(twin, health, tmp_path):
    import pandas as pd

    from twin_pipeline.reader import TwinReader

    reader = TwinReader(twin.finance_url)
    frame = reader.frame("health", day(9), day(9))
    row = frame.loc[pd.Timestamp(day(9))]
    assert (row["biometrics.readiness_score"], row["biometrics.sleep_score"], row["biometrics.hrv_ms"]) == (70, 80, 60)
    assert row["biometrics.days_old"] == 1
    assert row["body_composition.source"] == "measurements"
    out = tmp_path / "health.csv"
    assert reader.export("health", out, "csv", day(9), day(9)) == 1
    exported = pd.read_csv(out)
    assert {"biometrics.readiness_score", "biometrics.hrv_baseline_7d", "body_composition.source"} <= set(exported.columns)
    assert exported.loc[0, "biometrics.hrv_ms"] == 60


def test_the_dashboard_plots_readiness_sleep_and_hrv_at_their_own_dates(twin, health):
    from twin_pipeline_tests.conftest import LocalClient

    from twin_pipeline.api.app import create_app
    from twin_pipeline.reader import TwinReader

    client = LocalClient(create_app(TwinReader(twin.finance_url), recheck_seconds=0))
    got = client.get("/dashboard/data", params={"range": "all", "date": D.isoformat()})
    assert got.status_code == 200, got.text
    chart = got.json()["data"]["readiness"]
    points = dict(zip(chart["days"], zip(chart["readiness_score"], chart["sleep_score"], chart["hrv_ms"])))
    # One point per reading's date, inside the stored days (04-02's state repeats 04-01's row,
    # dated before them: no point); 0 is unknown, a gap.
    assert points[day(3).isoformat()] == (None, 75, None)
    assert points[day(5).isoformat()] == (90, None, 50)
    assert points[day(8).isoformat()] == (70, 80, 60)
    assert not {day(n).isoformat() for n in (1, 2, 4, 7)} & set(points)
    assert chart["note"] is None
