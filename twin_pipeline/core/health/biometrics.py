"""Biometrics as of a day (readiness, sleep, HRV, the scale) and how they join the health state.

The rules (docs/state-of-a-day.md, "Rules worth knowing"), each as of D from rows dated on or before D:

* `biometrics`: the newest row on or before D gives `measurement_date`, `days_old`,
  `readiness_score`, `sleep_score`, `hrv_ms`; 0 or null is unknown (the syncs store 0 for
  "not yet synced" and for rejected HRV readings), and so is a value outside the contract's
  range (scores 0..100, HRV 0..300: counted by plausible_values).
* `*_baseline_7d`: the mean of the known values dated D-7..D-1, null with fewer than 3.
* `hrv_vs_baseline_pct` = round((hrv_ms - baseline) * 100 / baseline, 1), the baseline exact.
* `body_composition` and the weight trends run over the weight readings of both tables;
  on one date the scale's row (biometrics) wins; a row without a weight is no reading.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from twin_pipeline.core.health.trends import TREND_WINDOW_DAYS, weight_trend
from twin_pipeline.core.health.section import Measurement, missing_parts, with_changes
from twin_pipeline.core.sections import iso, money, numeric_div

BASELINE_DAYS = 7
MIN_BASELINE_VALUES = 3
SCORE_RANGE = (Decimal(0), Decimal(100))
HRV_RANGE = (Decimal(0), Decimal(300))
TENTH = Decimal("0.1")
# The sources that fill the health entity, as body_composition.source names them.
SCALE, TRAINING = "biometrics", "measurements"
NOT_CONFIGURED = "health database not configured (HEALTH_DATABASE_URL)"
BIOMETRIC_KEYS = (
    "measurement_date", "days_old", "readiness_score", "sleep_score", "hrv_ms",
    "readiness_baseline_7d", "sleep_baseline_7d", "hrv_baseline_7d", "hrv_vs_baseline_pct",
)


@dataclass(frozen=True, slots=True)
class BiometricsRow:
    """The six documented columns of autonomous_health.biometrics, in that order."""

    measurement_date: date
    readiness_score: Decimal | None
    sleep_score: Decimal | None
    hrv_ms: Decimal | None
    weight_kg: Decimal | None
    body_fat_pct: Decimal | None

    @property
    def readiness(self) -> Decimal | None:
        return _known(self.readiness_score, SCORE_RANGE)

    @property
    def sleep(self) -> Decimal | None:
        return _known(self.sleep_score, SCORE_RANGE)

    @property
    def hrv(self) -> Decimal | None:
        return _known(self.hrv_ms, HRV_RANGE)


def _known(value: Decimal | None, bounds: tuple[Decimal, Decimal]) -> Decimal | None:
    """0 and null are unknown (the syncs' "not yet"), and so is a value the contract refuses."""
    if value is None or value == 0 or not bounds[0] <= value <= bounds[1]:
        return None
    return Decimal(value)


def _number(value: Decimal | None) -> int | float | None:
    """A reading as JSON: whole numbers stay whole (scores are integers in most databases)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _mean(values: list[Decimal]) -> Decimal | None:
    return numeric_div(sum(values), len(values)) if len(values) >= MIN_BASELINE_VALUES else None


def biometrics_of_day(day: date, rows: list[BiometricsRow], dates: list[date] | None = None) -> dict:
    """The `biometrics` object of D's health state, from rows in date order (at least those
    dated D-7..D and the newest on or before D); `dates`, their dates (when many days are
    computed from the same rows, listed once)."""
    dates = [row.measurement_date for row in rows] if dates is None else dates
    upto = bisect.bisect_right(dates, day)
    latest = rows[upto - 1] if upto else None
    week = rows[bisect.bisect_left(dates, day - timedelta(days=BASELINE_DAYS)) : bisect.bisect_left(dates, day)]
    baselines = {
        name: _mean([v for v in (getattr(row, name) for row in week) if v is not None])
        for name in ("readiness", "sleep", "hrv")
    }
    few = f"fewer than {MIN_BASELINE_VALUES} known values in the {BASELINE_DAYS} days before {iso(day)}"
    hrv = latest.hrv if latest else None
    pct, pct_reason = None, None
    if hrv is None:
        pct_reason = "HRV unknown"
    elif baselines["hrv"] is None:
        pct_reason = "no HRV baseline"
    else:
        pct = numeric_div((hrv - baselines["hrv"]) * 100, baselines["hrv"]).quantize(TENTH, rounding=ROUND_HALF_UP)
    document = {
        "measurement_date": iso(latest.measurement_date) if latest else None,
        "days_old": (day - latest.measurement_date).days if latest else None,
        "readiness_score": _number(latest.readiness) if latest else None,
        "sleep_score": _number(latest.sleep) if latest else None,
        "hrv_ms": _number(hrv),
    }
    for name in ("readiness", "sleep", "hrv"):
        document[f"{name}_baseline_7d"] = money(baselines[name])
        document[f"{name}_baseline_7d_reason"] = None if baselines[name] is not None else few
    document["hrv_vs_baseline_pct"] = None if pct is None else float(pct)
    document["hrv_vs_baseline_pct_reason"] = pct_reason
    return document


def weight_readings(day: date, readings: list[Measurement], dates: list[date] | None = None) -> list[list]:
    """What the health state of D needs of one table's weight readings (date order): those
    in D-27..D (the 28-day trend) and the two newest on or before D (latest and its change).
    Kept in the source's section, so twin_state merges the two tables exactly. `dates`: the
    readings' dates (listed once when many days are computed)."""
    dates = [m.measurement_date for m in readings] if dates is None else dates
    upto = bisect.bisect_right(dates, day)
    first = min(bisect.bisect_left(dates, day - timedelta(days=TREND_WINDOW_DAYS - 1)), max(upto - 2, 0))
    return [[iso(m.measurement_date), _text(m.bodyweight_kg), _text(m.bodyfat_pct)] for m in readings[first:upto]]


def _text(value: Decimal | None) -> str | None:
    # Decimal as text: the exact value survives JSON (no binary float in between).
    return None if value is None else str(value)


def biometrics_sections(days: Iterable[date], rows: Iterable[BiometricsRow]) -> dict[date, dict]:
    """The biometrics source's section of each day: its `biometrics` object and its weight
    readings (a row without a weight, or with one outside 40..200 kg, is no reading)."""
    ordered = sorted(rows, key=lambda r: r.measurement_date)
    scale = [
        Measurement(r.measurement_date, Decimal(r.weight_kg),
                    Decimal(r.body_fat_pct) if r.body_fat_pct is not None and 3 <= r.body_fat_pct <= 50 else None)
        for r in ordered
        if r.weight_kg is not None and 40 <= r.weight_kg <= 200
    ]
    row_dates, scale_dates = [r.measurement_date for r in ordered], [m.measurement_date for m in scale]
    return {
        day: {
            "as_of": iso(day), "status": "ok", "error": None,
            "biometrics": biometrics_of_day(day, ordered, row_dates),
            "weight_readings": weight_readings(day, scale, scale_dates),
        }
        for day in sorted(set(days))
    }


def _readings(section: Mapping | None) -> list[Measurement]:
    def decimal(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    return [Measurement(date.fromisoformat(d), decimal(kg), decimal(fat))
            for d, kg, fat in (section or {}).get("weight_readings") or []]


def compose_health(training: dict, scale: dict | None) -> dict:
    """One health document from the training section and the biometrics section (None, or
    `not_configured`, when the health database is not configured). A health database that
    could not be read makes only its part unavailable: the document is degraded, names
    why, and lists the part under `parts_unavailable` (so it buries no stored state)."""
    if training.get("status") == "unavailable":
        return {k: v for k, v in training.items() if k != "weight_readings"}
    day = date.fromisoformat(training["as_of"])
    scale_ok = scale is not None and scale.get("status") == "ok"
    # Same date: the scale's row wins (the person's own API reads training only as a fallback).
    by_date = {m.measurement_date: (m, TRAINING) for m in _readings(training)}
    by_date |= {m.measurement_date: (m, SCALE) for m in _readings(scale if scale_ok else None)}
    merged = with_changes(m for m, _ in by_date.values())
    latest = merged[-1] if merged else None
    document = {k: v for k, v in training.items() if k != "weight_readings"}
    document["body_composition"] = None if latest is None else {
        **latest.to_json(), "source": by_date[latest.measurement_date][1]}
    slope, reason, _ = weight_trend(day, merged)
    window_start = day - timedelta(days=TREND_WINDOW_DAYS - 1)
    if isinstance(document.get("trends"), dict):
        document["trends"] = {
            **document["trends"],
            "weight_trend_kg_per_week": money(slope),
            "weight_trend_kg_per_week_reason": None if slope is not None else reason,
            "weight_measurements_28d": sum(1 for m in merged if window_start <= m.measurement_date <= day),
        }
    missing = missing_parts(day, document.get("last_workout_date") is not None, latest is not None)
    if scale_ok:
        document["biometrics"] = scale["biometrics"]
    else:
        document["biometrics"] = dict.fromkeys(BIOMETRIC_KEYS)
        if scale is None or scale.get("not_configured"):
            document["biometrics_reason"] = NOT_CONFIGURED
        else:
            document["biometrics_reason"] = scale.get("error") or "health database unavailable"
            missing.append(document["biometrics_reason"])
            document["parts_unavailable"] = ["biometrics"]
            if scale.get("error_detail"):
                document["biometrics_error_detail"] = scale["error_detail"]
    document["status"] = "degraded" if missing else "ok"
    document["error"] = "; ".join(missing) or None
    return document


def _shown(value: int | float) -> str:
    return f"{value:g}"


def status_readings(section: Mapping) -> str:
    """The status line's readings (` · readiness 87 · sleep 81 · HRV 45 ms`), only when the
    newest row is at most a day old; each reading left out when unknown."""
    b = section.get("biometrics") or {}
    if b.get("days_old") is None or b["days_old"] > 1:
        return ""
    parts = [f"{label} {_shown(b[key])}{unit}" for key, label, unit in
             (("readiness_score", "readiness", ""), ("sleep_score", "sleep", ""), ("hrv_ms", "HRV", " ms"))
             if b.get(key) is not None]
    return "".join(f" · {part}" for part in parts)


def briefing_lines(section: Mapping) -> list[str]:
    """The morning briefing's HEALTH lines as the person's own workflow writes them
    (`- Readiness: 87%`, `- Sleep score: 81`, `- HRV: 45ms`), each left out when unknown."""
    b = section.get("biometrics") or {}
    formats = (("readiness_score", "- Readiness: {}%"), ("sleep_score", "- Sleep score: {}"), ("hrv_ms", "- HRV: {}ms"))
    return [text.format(_shown(b[key])) for key, text in formats if b.get(key) is not None]


def top_level_readings(document: Mapping) -> dict:
    """readiness_score, sleep_score and hrv_ms at the health object's top level, where the
    person's clients (the schedule negotiator, /all) read them."""
    b = document.get("biometrics") or {}
    return {key: b.get(key) for key in ("readiness_score", "sleep_score", "hrv_ms")}
