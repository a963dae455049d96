-- The project's own tables in the twin store.

-- Who the twin is about. With one row, it is the default person (TWIN_PERSON_ID overrides).
CREATE TABLE IF NOT EXISTS person (
    person_id    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text        NOT NULL,
    timezone     text,
    last_updated timestamptz NOT NULL DEFAULT now()
);

-- Each source asset's section of the state, one row per entity and day (latest computation).
CREATE TABLE IF NOT EXISTS twin_section_day (
    entity_type varchar(20) NOT NULL CHECK (entity_type IN ('finance', 'health', 'pantry')),
    as_of       date        NOT NULL,
    section     jsonb       NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity_type, as_of)
);

-- The rendered status text of each day, from the newest states of that day.
CREATE TABLE IF NOT EXISTS twin_daily_summary (
    person_id     uuid        NOT NULL,
    as_of         date        NOT NULL,
    summary_text  text        NOT NULL,
    state_row_ids uuid[]      NOT NULL,
    rendered_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (person_id, as_of)
);
