-- autonomous_training, fresh install: the shapes of CONTRACT.md.

CREATE TABLE IF NOT EXISTS workout_templates (
    template_id          varchar(50) PRIMARY KEY,
    template_name        varchar(100) NOT NULL,
    workout_type         varchar(30) CHECK (workout_type IN ('HIT Lower', 'HIT Upper', 'HIT Full Body', 'Cardio', 'Other')),
    target_duration_min  int,
    notes                text,
    is_active            boolean DEFAULT true,
    created_at           timestamp DEFAULT now()
);

CREATE TABLE IF NOT EXISTS exercises (
    exercise_id    varchar(50) PRIMARY KEY,
    exercise_name  varchar(100),
    muscle_group   varchar(50),
    movement_type  varchar(50),
    equipment      varchar(50),
    notes          text,
    is_active      boolean DEFAULT true,
    created_at     timestamp DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workouts (
    workout_date             date NOT NULL,
    template_id              varchar(50) NOT NULL REFERENCES workout_templates (template_id),
    location                 varchar(50) DEFAULT 'home',
    duration_min             int CHECK (duration_min BETWEEN 1 AND 300),
    days_since_last_workout  int CHECK (days_since_last_workout >= 0),
    recovery_score           int CHECK (recovery_score BETWEEN 1 AND 5),
    mood_score               int CHECK (mood_score BETWEEN 1 AND 5),
    notes                    text,
    data_source              varchar(20) CHECK (data_source IN ('Sheet', 'Manual', 'Import')),
    created_at               timestamp DEFAULT now(),
    updated_at               timestamp DEFAULT now(),
    PRIMARY KEY (workout_date, template_id)
) PARTITION BY RANGE (workout_date);

CREATE TABLE IF NOT EXISTS workout_sets (
    workout_date  date NOT NULL,
    template_id   varchar(50) NOT NULL,
    exercise_id   varchar(50) NOT NULL REFERENCES exercises (exercise_id),
    weight_kg     numeric(6, 2) CHECK (weight_kg >= 0),
    tut_seconds   numeric(6, 2) CHECK (tut_seconds > 0 AND tut_seconds <= 300),
    max_effort    boolean,
    form_ok       boolean,
    notes         text,
    data_source   varchar(20),
    created_at    timestamp DEFAULT now(),
    updated_at    timestamp DEFAULT now(),
    PRIMARY KEY (workout_date, template_id, exercise_id),
    FOREIGN KEY (workout_date, template_id) REFERENCES workouts (workout_date, template_id)
) PARTITION BY RANGE (workout_date);

-- One partition a year, 2010..2040, and a default one, for both tables.
DO $$
DECLARE
    y int;
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workouts', 'workout_sets'] LOOP
        FOR y IN 2010..2040 LOOP
            EXECUTE format(
                'CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                t || '_' || y, t, make_date(y, 1, 1), make_date(y + 1, 1, 1));
        END LOOP;
    END LOOP;
END
$$;
CREATE TABLE IF NOT EXISTS workouts_default PARTITION OF workouts DEFAULT;
CREATE TABLE IF NOT EXISTS workout_sets_default PARTITION OF workout_sets DEFAULT;

CREATE INDEX IF NOT EXISTS idx_workouts_date ON workouts (workout_date);
CREATE INDEX IF NOT EXISTS idx_workout_sets_date ON workout_sets (workout_date);
CREATE INDEX IF NOT EXISTS idx_workout_sets_exercise ON workout_sets (exercise_id);

CREATE TABLE IF NOT EXISTS measurements (
    measurement_date  date PRIMARY KEY,
    bodyweight_kg     numeric(5, 2) CHECK (bodyweight_kg BETWEEN 40 AND 200),
    bodyfat_pct       numeric(4, 2) CHECK (bodyfat_pct BETWEEN 3 AND 50),
    notes             text,
    data_source       varchar(20),
    created_at        timestamp DEFAULT now(),
    updated_at        timestamp DEFAULT now()
);

-- The person's view, replicated as it is, including its assumption of 20 % body fat
-- when bodyfat_pct is null. The twin does not use estimated_lean_mass for that reason.
CREATE OR REPLACE VIEW v_body_composition AS
SELECT m.measurement_date,
       m.bodyweight_kg,
       m.bodyfat_pct,
       m.estimated_lean_mass,
       m.weight_change,
       m.bodyfat_change,
       CASE WHEN m.weight_change IS NULL THEN NULL
            WHEN m.weight_change > 0.5 THEN 'GAINING'
            WHEN m.weight_change < -0.5 THEN 'LOSING'
            ELSE 'STABLE'
       END AS weight_trend
FROM (
    SELECT measurement_date,
           bodyweight_kg,
           bodyfat_pct,
           round(bodyweight_kg * (1 - COALESCE(bodyfat_pct, 20) / 100), 2) AS estimated_lean_mass,
           bodyweight_kg - lag(bodyweight_kg) OVER w AS weight_change,
           bodyfat_pct - lag(bodyfat_pct) OVER w AS bodyfat_change
    FROM measurements
    WINDOW w AS (ORDER BY measurement_date)
) AS m;
