"""autonomous_health: readiness, sleep, HRV and the scale as of each day (joins the health section)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Connection

from twin_pipeline.core.changes import measurement_reach, with_reach
from twin_pipeline.core.health.biometrics import BASELINE_DAYS, BiometricsRow, biometrics_sections, compose_health
from twin_pipeline.core.health.trends import TREND_WINDOW_DAYS, measurement_trends_reach
from twin_pipeline.core.notable import WatchedMetric
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources.contract import ContractObject
from twin_pipeline.sources.spec import SourceRead, SourceSpec, WatchedTable, Window


def windows(days: list[date], settings: TwinSettings, first_row: date | None = None) -> list[Window]:
    first = days[0] - timedelta(days=TREND_WINDOW_DAYS - 1)
    first = min(first_row or first, first).isoformat()
    return [("biometrics.scores", first, days[-1].isoformat()), ("biometrics.weights", first, days[-1].isoformat())]


def read(spec: SourceSpec, conn: Connection, days: list[date], settings: TwinSettings) -> SourceRead:
    rows = [BiometricsRow(*row) for row in conn.execute(spec.sql("rows"), {"start": days[0], "end": days[-1]})]
    sections = biometrics_sections(days, rows)
    first_row = rows[0].measurement_date if rows else None
    return SourceRead(
        [sections[day] for day in days], len(rows), spec.fingerprints(conn, windows(days, settings, first_row), settings.timezone)
    )


def readings_reach(changed: date, following: date | None, today: date) -> set[date]:
    """A date's readings are the latest until the next row, and in the baselines of the
    seven days after it."""
    until = changed + timedelta(days=BASELINE_DAYS)
    if following is None:
        until = today
    elif following - timedelta(days=1) > until:
        until = following - timedelta(days=1)
    return {changed + timedelta(days=i) for i in range((until - changed).days + 1)}


SPEC = SourceSpec(
    name="biometrics",
    entity_type="health",
    database="autonomous_health",
    package=__name__,
    description=(
        "The body as the person's watch and scale measure it, as of each day: readiness, sleep "
        "score and HRV of the newest row on or before it, their 7-day baselines, and the scale's "
        "weight readings (joined with training's measurements in the health state), from "
        "autonomous_health.biometrics. Optional: without HEALTH_DATABASE_URL on a configured "
        "install its keys are null and say so."
    ),
    contract=(
        ContractObject("table", "biometrics",
                       ("measurement_date", "readiness_score", "sleep_score", "hrv_ms", "weight_kg", "body_fat_pct"),
                       True),
    ),
    watched=(
        WatchedTable("biometrics.scores", ("biometrics",), readings_reach, later_query="next_rows"),
        # A weight reading reaches as a training measurement does (latest, the next one's
        # change, the 28-day trend).
        WatchedTable("biometrics.weights", ("biometrics",),
                     with_reach(measurement_reach, measurement_trends_reach),
                     later_query="second_next_weights"),
    ),
    read=read,
    windows=windows,
    plotted=("biometrics.readiness_score", "biometrics.sleep_score", "biometrics.hrv_ms",
             "biometrics.hrv_baseline_7d", "biometrics.hrv_vs_baseline_pct"),
    # The watch's scores drift for weeks (a training block, an illness, the season): judged
    # against their robust line rather than the month's median, a drift does not widen the
    # norm and hide a bad day (measured: bench/notable.py, docs/notifications.md). Only a
    # score below the norm needs the person; a better night does not.
    watched_metrics=tuple(
        WatchedMetric(f"health.{name}", f"biometrics.{field}", label, resolution=resolution, unit=unit,
                      measured_on="biometrics.measurement_date", trend=True, side="below")
        for name, field, label, resolution, unit in (
            ("readiness", "readiness_score", "Readiness", 1, ""),
            ("sleep_score", "sleep_score", "Sleep score", 1, ""),
            ("hrv", "hrv_ms", "HRV", 0.1, " ms"),
        )
    ),
    migrations={"biometrics": "migrations"},
    join=compose_health,
)
