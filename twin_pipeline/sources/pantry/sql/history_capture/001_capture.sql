-- Opt-in, additive history capture for autonomous_pantry (pantry_inventory keeps only the
-- current state). Installed only by `twin pantry-history install --yes`, which prints this
-- list first:
--   * table    pantry_inventory_history  one row per version of a pantry row, valid (from, to]
--   * table    pantry_history_capture    since when the history is complete (one row)
--   * function pantry_inventory_capture() and two triggers on pantry_inventory (row changes, TRUNCATE)
-- Nothing existing is altered; dropping these objects removes the feature.

CREATE TABLE IF NOT EXISTS pantry_inventory_history (
    history_id          bigserial      PRIMARY KEY,
    category            varchar(255)   NOT NULL,
    current_quantity    numeric(10, 2),
    unit                varchar(50),
    next_expiry         date,
    critical_threshold  numeric(10, 2),
    status              varchar(50),
    valid_from          timestamptz    NOT NULL,
    valid_to            timestamptz,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
-- The version of a row at instant T: valid_from < T AND (valid_to IS NULL OR valid_to >= T).
CREATE INDEX IF NOT EXISTS pantry_inventory_history_from_idx ON pantry_inventory_history (valid_from);
CREATE INDEX IF NOT EXISTS pantry_inventory_history_to_idx
    ON pantry_inventory_history ((COALESCE(valid_to, 'infinity'::timestamptz)));
CREATE UNIQUE INDEX IF NOT EXISTS pantry_inventory_history_open_idx
    ON pantry_inventory_history (category) WHERE valid_to IS NULL;

CREATE TABLE IF NOT EXISTS pantry_history_capture (
    singleton       boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    captured_since  timestamptz NOT NULL DEFAULT now()
);

CREATE OR REPLACE FUNCTION pantry_inventory_capture() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE pantry_inventory_history SET valid_to = now() WHERE valid_to IS NULL;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE pantry_inventory_history SET valid_to = now()
        WHERE category = OLD.category AND valid_to IS NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO pantry_inventory_history
            (category, current_quantity, unit, next_expiry, critical_threshold, status, valid_from)
        VALUES
            (NEW.category, NEW.current_quantity, NEW.unit, NEW.next_expiry, NEW.critical_threshold, NEW.status, now());
    END IF;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS pantry_inventory_capture_rows ON pantry_inventory;
CREATE TRIGGER pantry_inventory_capture_rows
    AFTER INSERT OR UPDATE OR DELETE ON pantry_inventory
    FOR EACH ROW EXECUTE FUNCTION pantry_inventory_capture();
DROP TRIGGER IF EXISTS pantry_inventory_capture_truncate ON pantry_inventory;
CREATE TRIGGER pantry_inventory_capture_truncate
    AFTER TRUNCATE ON pantry_inventory
    FOR EACH STATEMENT EXECUTE FUNCTION pantry_inventory_capture();

-- From now on the history is complete: open a version for every current row.
INSERT INTO pantry_inventory_history
    (category, current_quantity, unit, next_expiry, critical_threshold, status, valid_from)
SELECT p.category, p.current_quantity, p.unit, p.next_expiry, p.critical_threshold, p.status, now()
FROM pantry_inventory p
WHERE NOT EXISTS (SELECT 1 FROM pantry_inventory_history h WHERE h.category = p.category AND h.valid_to IS NULL);
INSERT INTO pantry_history_capture (captured_since) VALUES (now()) ON CONFLICT DO NOTHING;
