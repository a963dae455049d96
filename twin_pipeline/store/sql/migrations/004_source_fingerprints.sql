-- What the twin last computed from: a fingerprint per source table and bucket (a date, a
-- month, or 'current'), written by the source assets in the snapshot they read, and
-- compared by source_change_sensor with the sources as they are now.
CREATE TABLE IF NOT EXISTS twin_source_fingerprint (
    source_table varchar(60) NOT NULL,
    bucket       varchar(10) NOT NULL,
    fingerprint  text        NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_table, bucket)
);

-- From which bucket on each table is fingerprinted: changes dated earlier belong to an
-- explicit backfill, not to the sensor.
CREATE TABLE IF NOT EXISTS twin_source_coverage (
    source_table varchar(60) PRIMARY KEY,
    covered_from varchar(10) NOT NULL
);
