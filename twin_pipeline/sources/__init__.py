"""The source databases, one folder each: each folder under sources/ is a source and
defines its SPEC (see docs/how-it-works.md, "Adding a source"). Discovered here, so a new source needs
no edit anywhere else."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from twin_pipeline.paths import source_names
from twin_pipeline.sources.spec import SourceSpec


def _discover() -> dict[str, SourceSpec]:
    found = {}
    for folder in source_names():  # the contract's order, then any added source by name
        spec = getattr(importlib.import_module(f"{__name__}.{folder}"), "SPEC", None)
        if not isinstance(spec, SourceSpec) or spec.name != folder:
            raise TypeError(
                f"twin_pipeline/sources/{folder}/ is a source folder but defines no SPEC = SourceSpec(name={folder!r}, ...): "
                "add it (docs/how-it-works.md, \"Adding a source\") or move the folder out of sources/"
            )
        found[spec.name] = spec
    return found


SOURCES: dict[str, SourceSpec] = _discover()
# entity -> the source that fills it (the first one; a second one joins its section in).
ENTITY_SOURCES: dict[str, SourceSpec] = {
    spec.entity_type: spec for spec in SOURCES.values() if spec.join is None}
# entity -> every source contributing to it, the filling one first.
ENTITY_CONTRIBUTORS: dict[str, list[SourceSpec]] = {
    entity: [first, *(s for s in SOURCES.values() if s.entity_type == entity and s is not first)]
    for entity, first in ENTITY_SOURCES.items()
}

# Every source's figures judged against the person's norm (core/notable.py), in the sources' order.
WATCHED_METRICS = tuple(metric for spec in SOURCES.values() for metric in spec.watched_metrics)


def compose_entity(entity: str, sections: Mapping[str, dict | None]) -> dict | None:
    """An entity's document of a day from its sources' sections (source name -> section):
    the filling source's section, with each other contributor's section joined in (None
    when the filling source has none)."""
    first, *others = ENTITY_CONTRIBUTORS[entity]
    document = sections.get(first.name)
    if document is None:
        return None
    for spec in others:
        document = spec.join(document, sections.get(spec.name))
    return document
