"""Training demo data: HIT workouts about four times a week with one set per exercise, and a
daily weigh-in; and how they are written to the training database."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from twin_pipeline.demo.common import DemoData, Trip, _at, _daterange, _insert, _truncate

# Tables the demo writes, children first (the order TRUNCATE and the checks use).
TRAINING_TABLES = ("workout_sets", "workouts", "measurements", "exercises", "workout_templates")

TEMPLATES = [
    # id, name, type, target minutes, notes
    ("HIT-LOWER", "HIT Lower Body", "HIT Lower", 30, "One set to failure per exercise, 10/10 cadence"),
    ("HIT-UPPER", "HIT Upper Body", "HIT Upper", 30, "One set to failure per exercise, 10/10 cadence"),
    ("HIT-FULL", "HIT Full Body", "HIT Full Body", 40, "Whole body, one set each"),
    ("CARDIO-BIKE", "Bike Intervals", "Cardio", 40, "Stationary bike, 8 x 30 s hard"),
    ("MOBILITY", "Mobility & Stretching", "Other", 20, None),
]

# id, name, muscle group, movement type, equipment, start weight (kg), step (kg)
EXERCISES = [
    ("LEG-PRESS", "Leg Press", "Quadriceps", "Compound", "Machine", 110, 5),
    ("SMITH-SQUAT", "Smith Machine Squat", "Quadriceps", "Compound", "Smith Machine", 60, 2.5),
    ("STIFF-DEADLIFT", "Stiff-Legged Deadlift", "Hamstrings", "Compound", "Barbell", 60, 2.5),
    ("LEG-CURL", "Leg Curl", "Hamstrings", "Isolation", "Machine", 40, 2.5),
    ("LEG-EXT", "Leg Extension", "Quadriceps", "Isolation", "Machine", 45, 2.5),
    ("CALF-RAISE", "Standing Calf Raise", "Calves", "Isolation", "Machine", 80, 5),
    ("HIP-ADD", "Hip Adduction", "Adductors", "Isolation", "Machine", 50, 2.5),
    ("HIP-ABD", "Hip Abduction", "Glutes", "Isolation", "Machine", 50, 2.5),
    ("BACK-EXT", "Back Extension", "Lower Back", "Compound", "Roman Chair", 10, 2.5),
    ("AB-CRUNCH", "Ab Crunch", "Abs", "Isolation", "Machine", 40, 2.5),
    ("CHEST-PRESS", "Chest Press", "Chest", "Compound", "Machine", 60, 2.5),
    ("PEC-FLY", "Pec Fly", "Chest", "Isolation", "Machine", 40, 2.5),
    ("PULLDOWN", "Lat Pulldown", "Back", "Compound", "Cable", 60, 2.5),
    ("ROW", "Seated Row", "Back", "Compound", "Machine", 60, 2.5),
    ("PULLOVER", "Pullover", "Lats", "Isolation", "Machine", 45, 2.5),
    ("SHOULDER-PRESS", "Shoulder Press", "Shoulders", "Compound", "Machine", 40, 2.5),
    ("LATERAL-RAISE", "Lateral Raise", "Shoulders", "Isolation", "Dumbbell", 8, 1),
    ("BICEPS-CURL", "Biceps Curl", "Biceps", "Isolation", "Machine", 25, 2.5),
    ("TRICEPS-EXT", "Triceps Extension", "Triceps", "Isolation", "Cable", 25, 2.5),
    ("NECK-FLEX", "Neck Flexion", "Neck", "Isolation", "Machine", 15, 2.5),
    ("HACK-SQUAT", "Hack Squat", "Quadriceps", "Compound", "Machine", 70, 5),
    ("SEATED-CALF", "Seated Calf Raise", "Calves", "Isolation", "Machine", 35, 2.5),
    ("SHRUG", "Shrug", "Traps", "Isolation", "Machine", 60, 2.5),
    ("REAR-DELT", "Rear Delt Fly", "Shoulders", "Isolation", "Machine", 25, 2.5),
    ("DIP-MACHINE", "Seated Dip", "Triceps", "Compound", "Machine", 55, 2.5),
]
EXERCISE = {e[0]: e for e in EXERCISES}

# Twelve exercises a routine, one set each (workout_sets holds one row per exercise).
ROUTINES = {
    "HIT-LOWER": ("LEG-PRESS", "SMITH-SQUAT", "HACK-SQUAT", "LEG-CURL", "LEG-EXT", "STIFF-DEADLIFT", "CALF-RAISE", "SEATED-CALF", "HIP-ADD", "HIP-ABD", "BACK-EXT", "AB-CRUNCH"),
    "HIT-UPPER": ("PULLOVER", "PULLDOWN", "CHEST-PRESS", "PEC-FLY", "ROW", "SHOULDER-PRESS", "LATERAL-RAISE", "REAR-DELT", "SHRUG", "BICEPS-CURL", "TRICEPS-EXT", "NECK-FLEX"),
    "HIT-FULL": ("LEG-PRESS", "LEG-CURL", "CALF-RAISE", "PULLOVER", "CHEST-PRESS", "ROW", "SHOULDER-PRESS", "PULLDOWN", "DIP-MACHINE", "BICEPS-CURL", "TRICEPS-EXT", "AB-CRUNCH"),
}
HIT_ROTATION = ("HIT-LOWER", "HIT-UPPER", "HIT-FULL")
STRENGTH_EPOCH = date(2012, 1, 1)  # strength depends on the calendar, not on the window


def _templates(start: date) -> list[tuple]:
    created = datetime.combine(start - timedelta(days=400), time(12))
    return [(tid, name, wtype, minutes, notes, True, created) for tid, name, wtype, minutes, notes in TEMPLATES]


def _exercises(start: date) -> list[tuple]:
    created = datetime.combine(start - timedelta(days=400), time(12))
    return [(eid, name, group, movement, equipment, None, True, created)
            for eid, name, group, movement, equipment, _w, _s in EXERCISES]


def _strength(exercise_id: str, day: date) -> float:
    """The weight the person could lift for a 90 s set on that day."""
    _, _, _, _, _, start_weight, _ = EXERCISE[exercise_id]
    years = max(0.0, (day - STRENGTH_EPOCH).days / 365.25)
    phase = (sum(map(ord, exercise_id)) % 17) / 17 * 2 * math.pi
    return start_weight * (1 + 0.55 * (1 - math.exp(-years / 3))) * (1 + 0.04 * math.sin(2 * math.pi * years / 1.3 + phase))


def _workouts(rng: random.Random, start: date, end: date, trips: list[Trip]) -> tuple[list[tuple], list[tuple]]:
    away = {d for t in trips for d in t.days}
    workouts, sets = [], []
    rotation = rng.randrange(len(HIT_ROTATION))
    previous: date | None = None
    week = start - timedelta(days=start.weekday())
    while week <= end:
        r = rng.random()
        n = 2 if r < 0.02 else (3 if r < 0.24 else (4 if r < 0.80 else 5))
        for offset in sorted(rng.sample(range(7), n)):
            day = week + timedelta(days=offset)
            kind = rng.random()
            if not (start <= day <= end) or day in away:
                continue
            if kind < 0.10:
                template = "CARDIO-BIKE"
            elif kind < 0.12:
                template = "MOBILITY"
            else:
                template = HIT_ROTATION[rotation % len(HIT_ROTATION)]
                rotation += 1
            gap = (day - previous).days if previous else None
            previous = day
            if template.startswith("HIT"):
                duration = rng.randint(26, 38) + (6 if template == "HIT-FULL" else 0)
            elif template == "CARDIO-BIKE":
                duration = rng.randint(30, 60)
            else:
                duration = rng.randint(20, 30)
            recovery = 3 + (1 if gap is None or gap >= 2 else -1) + rng.choice((-1, 0, 0, 0, 1))
            mood = rng.choices((2, 3, 4, 5), weights=(1, 4, 5, 2))[0]
            source = "Manual" if rng.random() < 0.15 else "Sheet"
            note = rng.choices(
                (None, "Felt strong", "Short on sleep", "Busy gym, waited for machines", "New PR", "Low energy"),
                weights=(80, 5, 5, 3, 4, 3),
            )[0]
            begin = _at(day, rng.randint(17 * 60, 20 * 60))
            workouts.append(
                (day, template, "gym" if template.startswith("HIT") else "home", duration, gap,
                 max(1, min(5, recovery)), mood, note, source, begin, begin + timedelta(minutes=duration))
            )
            routine = ROUTINES.get(template, ())
            for i, exercise_id in enumerate(routine):
                if rng.random() < 0.04:
                    continue  # skipped today
                step = EXERCISE[exercise_id][6]
                strength = _strength(exercise_id, day)
                weight = max(step, math.floor(strength * rng.uniform(0.88, 1.01) / step) * step)
                tut = 90 * (strength / weight) ** 2.2 * rng.uniform(0.9, 1.1)
                tut = min(240.0, max(25.0, tut))
                set_note = rng.choices((None, "Seat 4", "Slowed the negative", "Grip gave out", "Cramp"), weights=(90, 3, 3, 2, 2))[0]
                at = begin + timedelta(minutes=i * duration // len(routine))
                sets.append(
                    (day, template, exercise_id, Decimal(f"{weight:.2f}"), Decimal(f"{tut:.1f}"),
                     rng.random() < 0.93, rng.random() < 0.95, set_note, source, at, at)
                )
        week += timedelta(days=7)
    return workouts, sets


def _measurements(rng: random.Random, start: date, end: date, trips: list[Trip]) -> list[tuple]:
    # The scale is at home: no weigh-in while away, except the morning a trip starts.
    away = {d for t in trips for d in t.days[1:]}
    phase_long, phase_year = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    drift = 0.0
    gap_left = 0
    rows = []
    for day in _daterange(start, end):
        years = (day - STRENGTH_EPOCH).days / 365.25
        drift = 0.993 * drift + rng.gauss(0, 0.1)
        noise = rng.gauss(0, 0.4)
        skip_roll, gap_roll, fat_roll, fat_noise = rng.random(), rng.random(), rng.random(), rng.gauss(0, 0.5)
        if gap_left:
            gap_left -= 1
            continue
        if gap_roll < 0.0025:
            gap_left = rng.randint(2, 6)
            continue
        if day in away or skip_roll < 0.02:
            continue
        trend = 82.5 + 6.5 * math.sin(2 * math.pi * years / 4.5 + phase_long) + 1.2 * math.sin(2 * math.pi * years + phase_year)
        weight = min(94.5, max(70.5, trend + drift + noise))
        bodyfat = None
        if fat_roll >= 0.2:
            bodyfat = Decimal(f"{min(30.0, max(7.0, 10.5 + (weight - 72) * 0.55 + fat_noise)):.1f}")
        weighed = _at(day, 6 * 60 + 30 + rng.randint(0, 90))
        rows.append(
            (day, Decimal(f"{weight:.1f}"), bodyfat,
             rng.choices((None, "Evening weigh-in", "After a late dinner", "Post-travel"), weights=(94, 2, 3, 1))[0],
             "Manual" if rng.random() < 0.08 else "Sheet", weighed, weighed)
        )
    return rows


def _write_training(cur, data: DemoData, replace: bool) -> int:
    if replace:
        _truncate(cur, TRAINING_TABLES)
    _insert(cur, "workout_templates", "template_id, template_name, workout_type, target_duration_min, notes, is_active, created_at", data.workout_templates)
    _insert(cur, "exercises", "exercise_id, exercise_name, muscle_group, movement_type, equipment, notes, is_active, created_at", data.exercises)
    _insert(
        cur, "workouts",
        "workout_date, template_id, location, duration_min, days_since_last_workout, recovery_score, mood_score, "
        "notes, data_source, created_at, updated_at",
        data.workouts,
    )
    _insert(
        cur, "workout_sets",
        "workout_date, template_id, exercise_id, weight_kg, tut_seconds, max_effort, form_ok, notes, data_source, "
        "created_at, updated_at",
        data.workout_sets,
    )
    _insert(cur, "measurements", "measurement_date, bodyweight_kg, bodyfat_pct, notes, data_source, created_at, updated_at", data.measurements)
    return 0
