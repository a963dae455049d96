"""A day's sections straight from the sources, without Dagster or the twin store: the one place
a live day is read, for `twin snapshot` when the store cannot take it and for the API's fresh
today (api/freshness.py decides when to read and how it weighs against the stored day)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

from twin_pipeline.database import Database
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources import ENTITY_SOURCES, SOURCES, compose_entity
from twin_pipeline.sources.reading import read_section, unavailable_outcome


def sections_of_day(
    settings: TwinSettings, day: date, failed: Mapping[str, Exception] | None = None,
    entities: Collection[str] | None = None,
) -> dict[str, dict]:
    """entity -> that day's section, by the same readers and rules as a run (a source that
    cannot be read gives its section unavailable, with the reason). A source named in
    `failed` is not asked again: its section is unavailable with that failure. An entity
    filled by several sources (health) is their sections composed. `entities`: only those
    (their sources alone are read), else every one."""
    entities = ENTITY_SOURCES if entities is None else entities
    sections = {}
    for name, spec in SOURCES.items():
        if spec.entity_type not in entities:
            continue
        database = Database.for_role(settings, name)
        outcome = (unavailable_outcome(spec, database, [day], settings, failed[name]) if failed and name in failed
                   else read_section(spec, database, [day], settings))
        sections[name] = outcome.read.documents[0]
    return {entity: compose_entity(entity, sections) for entity in ENTITY_SOURCES if entity in entities}
