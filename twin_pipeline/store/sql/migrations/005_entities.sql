-- The twin's entities: the person it is about, their home, and the goals they work
-- towards (the person's S04 data models). Constraint names say what was refused.

CREATE TABLE IF NOT EXISTS home (
    home_id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name               text        NOT NULL,
    address            jsonb       CONSTRAINT home_address_has_street_city_postal_code_country
                                   CHECK (address IS NULL OR (jsonb_typeof(address) = 'object'
                                          AND address ?& ARRAY['street', 'city', 'postal_code', 'country'])),
    -- Coordinates as latitude/longitude with range checks; where PostGIS is available a
    -- geography(Point, 4326) column is derived from them (below).
    latitude           double precision CONSTRAINT home_latitude_in_range CHECK (latitude BETWEEN -90 AND 90),
    longitude          double precision CONSTRAINT home_longitude_in_range CHECK (longitude BETWEEN -180 AND 180),
    environmental_data jsonb       NOT NULL DEFAULT '{}',
    device_inventory   jsonb       NOT NULL DEFAULT '[]',
    occupancy_status   text        CONSTRAINT home_occupancy_status_valid
                                   CHECK (occupancy_status IN ('Occupied', 'Vacant', 'Away')),
    operational_status text        CONSTRAINT home_operational_status_valid
                                   CHECK (operational_status IN ('Optimal', 'Degraded', 'Alert')),
    last_updated       timestamptz NOT NULL DEFAULT now()
);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis') THEN
        CREATE EXTENSION IF NOT EXISTS postgis;
        EXECUTE 'ALTER TABLE home ADD COLUMN IF NOT EXISTS location geography(Point, 4326) GENERATED ALWAYS AS '
                '(ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography) STORED';
    END IF;
END
$$;

ALTER TABLE person
    ADD COLUMN IF NOT EXISTS date_of_birth date,
    ADD COLUMN IF NOT EXISTS gender text
        CONSTRAINT person_gender_valid CHECK (gender IN ('Male', 'Female', 'Other')),
    ADD COLUMN IF NOT EXISTS contact_email text
        CONSTRAINT person_contact_email_unique UNIQUE
        CONSTRAINT person_contact_email_valid CHECK (contact_email ~ '^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$'),
    ADD COLUMN IF NOT EXISTS current_location_id uuid
        CONSTRAINT person_current_location_is_a_home REFERENCES home (home_id),
    ADD COLUMN IF NOT EXISTS health_metrics jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS preferences jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS activity_level text
        CONSTRAINT person_activity_level_valid
        CHECK (activity_level IN ('Sedentary', 'Light', 'Moderate', 'Active', 'Very Active')),
    ADD COLUMN IF NOT EXISTS goals_progress jsonb NOT NULL DEFAULT '{}';

CREATE TABLE IF NOT EXISTS goal (
    goal_id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    goal_code        varchar(20) NOT NULL CONSTRAINT goal_code_unique UNIQUE,
    name             text        NOT NULL,
    description      text,
    owner_person_id  uuid        CONSTRAINT goal_owner_is_a_person REFERENCES person (person_id),
    status           text        NOT NULL CONSTRAINT goal_status_valid
                                 CHECK (status IN ('Planning', 'Active', 'On Hold', 'Completed', 'Archived')),
    start_date       date,
    target_date      date,
    progress_metrics jsonb       NOT NULL DEFAULT '{}',
    roadmap_link     text,
    dependencies     uuid[]      NOT NULL DEFAULT '{}',
    last_updated     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT goal_target_not_before_start CHECK (target_date IS NULL OR start_date IS NULL OR target_date >= start_date)
);

-- timezone must name an IANA zone the server knows (a CHECK cannot query the catalog).
CREATE OR REPLACE FUNCTION twin_person_timezone_valid() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.timezone IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = NEW.timezone) THEN
        RAISE EXCEPTION 'person.timezone % is not an IANA time zone (for example Europe/Warsaw)', quote_literal(NEW.timezone)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$fn$;
DROP TRIGGER IF EXISTS person_timezone_valid ON person;
CREATE TRIGGER person_timezone_valid BEFORE INSERT OR UPDATE OF timezone ON person
    FOR EACH ROW EXECUTE FUNCTION twin_person_timezone_valid();

-- last_updated is managed by the database, whoever writes the row.
CREATE OR REPLACE FUNCTION twin_touch_last_updated() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.last_updated := now();
    RETURN NEW;
END
$fn$;
DROP TRIGGER IF EXISTS person_last_updated ON person;
CREATE TRIGGER person_last_updated BEFORE UPDATE ON person FOR EACH ROW EXECUTE FUNCTION twin_touch_last_updated();
DROP TRIGGER IF EXISTS home_last_updated ON home;
CREATE TRIGGER home_last_updated BEFORE UPDATE ON home FOR EACH ROW EXECUTE FUNCTION twin_touch_last_updated();
DROP TRIGGER IF EXISTS goal_last_updated ON goal;
CREATE TRIGGER goal_last_updated BEFORE UPDATE ON goal FOR EACH ROW EXECUTE FUNCTION twin_touch_last_updated();
