"""The source databases, one folder each: each folder under sources/ is a source and
defines its SPEC (see README, "Adding a source"). Discovered here, so a new source needs
no edit anywhere else."""

from __future__ import annotations

import importlib

from twin_pipeline.paths import source_names
from twin_pipeline.sources.spec import SourceSpec


def _discover() -> dict[str, SourceSpec]:
    found = {}
    for folder in source_names():  # the contract's order, then any added source by name
        spec = getattr(importlib.import_module(f"{__name__}.{folder}"), "SPEC", None)
        if not isinstance(spec, SourceSpec) or spec.name != folder:
            raise TypeError(
                f"twin_pipeline/sources/{folder}/ is a source folder but defines no SPEC = SourceSpec(name={folder!r}, ...): "
                "add it (README, \"Adding a source\") or move the folder out of sources/"
            )
        found[spec.name] = spec
    return found


SOURCES: dict[str, SourceSpec] = _discover()
ENTITY_SOURCES: dict[str, SourceSpec] = {spec.entity_type: spec for spec in SOURCES.values()}
