-- autonomous_health, fresh install: the biometrics table of CONTRACT.md. Its six columns
-- are the documented ones; the person's table has more (heart rates, muscle, bone,
-- hydration) under names the contract does not give, so the twin never reads them;
-- resting_hr and hydration_pct stand in for those here (the demo fills them).
CREATE TABLE IF NOT EXISTS biometrics (
    measurement_date  date PRIMARY KEY,
    readiness_score   int,
    sleep_score       int,
    hrv_ms            numeric(6, 1),
    weight_kg         numeric(5, 2),
    body_fat_pct      numeric(4, 2),
    resting_hr        int,
    hydration_pct     numeric(4, 1),
    created_at        timestamptz DEFAULT now(),
    updated_at        timestamptz DEFAULT now()
);
