"""Demo rows of autonomous_health.biometrics: the watch's readiness, sleep and HRV every
night (some nights missing, some not yet synced: 0), and the scale's weigh-ins on the
days it synced (the same weigh-in as training's measurement that day)."""

from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal

from twin_pipeline.demo.common import DemoData, Trip, _at, _daterange, _insert, _truncate

BIOMETRICS_TABLES = ("biometrics",)


def _biometrics(rng: random.Random, start: date, end: date, trips: list[Trip], measurements: list[tuple]) -> list[tuple]:
    weighed = {row[0]: (row[1], row[2]) for row in measurements}
    away = {d for t in trips for d in t.days[1:]}
    phase = rng.uniform(0, 2 * math.pi)
    rows = []
    for day in _daterange(start, end):
        missing, unsynced, glitch, scale = rng.random(), rng.random(), rng.random(), rng.random()
        base = 0.5 + 0.5 * math.sin(2 * math.pi * (day - start).days / 97 + phase)
        readiness = max(20, min(99, round(60 + 25 * base + rng.gauss(0, 8))))
        sleep = max(25, min(98, round(70 + 15 * base + rng.gauss(0, 7) - (8 if day in away else 0))))
        hrv = Decimal(f"{max(18.0, min(110.0, 38 + 20 * base + rng.gauss(0, 6))):.1f}")
        resting_hr = round(62 - 8 * base + rng.gauss(0, 2))
        hydration = Decimal(f"{rng.uniform(52, 62):.1f}")
        if missing < 0.04:
            continue  # the watch was not worn
        if unsynced < 0.03:
            sleep = 0  # the night's sleep had not synced
        if glitch < 0.03:
            hrv = Decimal(0)  # a rejected HRV reading
        weight, fat = weighed.get(day, (None, None)) if scale < 0.35 else (None, None)
        synced = _at(day, 7 * 60 + rng.randint(0, 120))
        rows.append((day, readiness, sleep, hrv, weight, fat, resting_hr, hydration, synced, synced))
    return rows


def _write_biometrics(cur, data: DemoData, replace: bool) -> int:
    if replace:
        _truncate(cur, BIOMETRICS_TABLES)
    _insert(cur, "biometrics", "measurement_date, readiness_score, sleep_score, hrv_ms, weight_kg, body_fat_pct, "
            "resting_hr, hydration_pct, created_at, updated_at", data.biometrics)
    return 0
