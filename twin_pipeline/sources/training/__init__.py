"""autonomous_training: workouts and body composition as of each day (the health section)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection

from twin_pipeline.core.changes import measurement_reach, with_reach, workout_reach
from twin_pipeline.core.forecasting import implausible_counts
from twin_pipeline.core.health.biometrics import weight_readings
from twin_pipeline.core.health.section import Measurement, WorkoutDay, health_sections
from twin_pipeline.core.health.trends import (
    health_lookback_start,
    health_trends,
    measurement_trends_reach,
    workout_trends_reach,
)
from twin_pipeline.core.notable import WatchedMetric
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources.contract import ContractObject
from twin_pipeline.sources.spec import SourceRead, SourceSpec, WatchedTable, Window


def windows(days: list[date], settings: TwinSettings, first_measurement: date | None = None) -> list[Window]:
    last = days[-1].isoformat()
    trend_start = days[0] - timedelta(days=27)
    return [
        ("training.workouts", min(health_lookback_start(days[0]), days[0] - timedelta(days=6)).isoformat(), last),
        ("training.measurements", min(first_measurement or trend_start, trend_start).isoformat(), last),
    ]


def read(spec: SourceSpec, conn: Connection, days: list[date], settings: TwinSettings) -> SourceRead:
    bounds = {"start": days[0], "end": days[-1]}
    lookback = {"lookback": health_lookback_start(days[0])}
    workouts = [WorkoutDay(*row) for row in conn.execute(spec.sql("workout_days"), {**bounds, **lookback})]
    measurements = [Measurement(*row) for row in conn.execute(spec.sql("measurements"), bounds)]
    sections = health_sections(days, workouts, measurements)
    trends = health_trends(days, workouts, measurements, settings.weekly_workout_target)
    ordered = sorted(measurements, key=lambda m: m.measurement_date)
    dates = [m.measurement_date for m in ordered]
    first_measurement = min((m.measurement_date for m in measurements), default=None)
    return SourceRead(
        # weight_readings: what core/health/biometrics.compose_health merges with the scale's readings.
        [{**sections[day].to_json(), "trends": trends[day].to_json(), "weight_readings": weight_readings(day, ordered, dates)}
         for day in days],
        len(workouts) + len(measurements),
        spec.fingerprints(conn, windows(days, settings, first_measurement), settings.timezone),
        implausible_counts(trends.values()),
    )


SPEC = SourceSpec(
    name="training",
    entity_type="health",
    database="autonomous_training",
    package=__name__,
    description=(
        "Body as of each day: last workout, workouts in the 7 days ending that day, and the "
        "latest body composition on or before it (lean mass only where body fat was measured), "
        "from autonomous_training."
    ),
    contract=(
        ContractObject("table", "workouts", ("workout_date", "template_id"), True),
        ContractObject("table", "measurements", ("measurement_date", "bodyweight_kg", "bodyfat_pct"), True),
        ContractObject("table", "workout_templates"),
        ContractObject("table", "workout_sets"),
        ContractObject("table", "exercises"),
        ContractObject("view", "v_body_composition"),
    ),
    watched=(
        # The trends read on: the weekly-target streak 52 weeks, the weight trend 28 days.
        WatchedTable("training.workouts", ("workouts",),
                     with_reach(workout_reach, workout_trends_reach), later_query="next_workouts"),
        WatchedTable("training.measurements", ("measurements",),
                     with_reach(measurement_reach, measurement_trends_reach),
                     later_query="second_next_measurements"),
    ),
    read=read,
    windows=windows,
    plotted=("workouts_last_7_days", "days_since_last_workout", "body_composition.bodyweight_kg",
             "body_composition.bodyfat_pct", "trends.weight_trend_kg_per_week", "trends.workouts_per_week_4w",
             "trends.weekly_target_streak"),
    watched_metrics=(
        WatchedMetric("health.weight", "body_composition.bodyweight_kg", "Weight", resolution=0.1, places=1,
                      unit=" kg", measured_on="body_composition.measurement_date", trend=True),
        WatchedMetric("health.workouts_7d", "workouts_last_7_days", "Workouts in 7 days", resolution=1),
    ),
    migrations={"training": "migrations"},
)
