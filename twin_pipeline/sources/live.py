"""A day's sections straight from the sources, without Dagster or the twin store: for
`twin snapshot` when the store cannot take them, and for fresh answers in the API."""

from __future__ import annotations

from datetime import date

from twin_pipeline.database import Database
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources import ENTITY_SOURCES, SOURCES, compose_entity
from twin_pipeline.sources.spec import Rules, read_section


def sections_of_day(settings: TwinSettings, day: date) -> dict[str, dict]:
    """entity -> that day's section, by the same readers and rules as a run (a source that
    cannot be read gives its section unavailable, with the reason)."""
    rules = Rules.from_settings(settings)
    sections = {
        name: read_section(spec, Database.for_role(settings, name), [day], rules).read.documents[0]
        for name, spec in SOURCES.items()
    }
    return {entity: compose_entity(entity, sections) for entity in ENTITY_SOURCES}
