-- What was notable on each day (core/notable.py), stored beside the day's summary and
-- append-only like the states: a day's items are its newest row; a rerun that finds the
-- same items appends nothing, a correction appends a row and keeps the earlier one.
CREATE TABLE IF NOT EXISTS twin_notable_day (
    notable_id  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id   uuid        NOT NULL,
    as_of       date        NOT NULL,
    items       jsonb       NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS twin_notable_day_newest ON twin_notable_day (person_id, as_of, notable_id DESC);

-- The push of a day's new items to TWIN_NOTIFY_URL, one row per item and day: a row with
-- delivered_at set is never sent again; one without it is retried by the next run.
CREATE TABLE IF NOT EXISTS twin_notification (
    person_id    uuid        NOT NULL,
    as_of        date        NOT NULL,
    item_key     text        NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    delivered_at timestamptz,
    PRIMARY KEY (person_id, as_of, item_key)
);
