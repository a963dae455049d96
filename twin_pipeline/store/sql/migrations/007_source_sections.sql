-- The part of a day's section each source computed, for an entity filled by more than one
-- source (health: training and biometrics). twin_section_day keeps one row per entity and
-- day, the parts composed (sources/__init__.py compose_entity), so twin_state reads one
-- document per (entity, day) as before; a single-source entity writes no parts here.
CREATE TABLE IF NOT EXISTS twin_source_section_day (
    source      varchar(50) NOT NULL,
    as_of       date        NOT NULL,
    entity_type varchar(20) NOT NULL,
    section     jsonb       NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, as_of)
);
