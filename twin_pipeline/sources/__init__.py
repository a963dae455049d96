"""The source databases, one folder each: a folder with a SPEC is a source (see README,
"Adding a source"). Discovered here, so a new source needs no edit anywhere else."""

from __future__ import annotations

import importlib
import pkgutil

from twin_pipeline.sources.spec import SourceSpec


def _discover() -> dict[str, SourceSpec]:
    found = {}
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.ispkg:
            spec = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SPEC", None)
            if isinstance(spec, SourceSpec):
                found[spec.name] = spec
    # The contract's order (finance, training, pantry), then any added source by name.
    known = ("finance", "training", "pantry")
    return {name: found[name] for name in (*[k for k in known if k in found], *sorted(set(found) - set(known)))}


SOURCES: dict[str, SourceSpec] = _discover()
ENTITY_SOURCES: dict[str, SourceSpec] = {spec.entity_type: spec for spec in SOURCES.values()}
