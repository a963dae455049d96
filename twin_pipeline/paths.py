"""Files shipped inside the package (importlib.resources, so a wheel installed anywhere has
them), and the names of the sources: the folders under sources/, read without importing them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

PACKAGE = files("twin_pipeline")
EXAMPLES = Path(str(PACKAGE / "examples"))
DAGSTER_YAML = Path(str(PACKAGE / "dagster.yaml"))
# The code location, named twin_pipeline whether served from a checkout or an installed wheel.
WORKSPACE_YAML = Path(str(PACKAGE / "workspace.yaml"))

# The contract's order; a source added later comes after these, by name.
CONTRACT_SOURCES = ("finance", "training", "pantry")


def source_names() -> tuple[str, ...]:
    """Each folder under sources/ that is a Python package is a source (docs/how-it-works.md,
    "Adding a source"). Listed from the files, so the settings know every source's URL variable
    without importing the sources (which are built on the settings)."""
    found = {
        entry.name for entry in (PACKAGE / "sources").iterdir()
        if entry.is_dir() and (entry / "__init__.py").is_file()
    }
    return (*[name for name in CONTRACT_SOURCES if name in found], *sorted(found - set(CONTRACT_SOURCES)))


@dataclass(frozen=True)
class SourceDeclaration:
    """What the settings need of a source before any source is imported."""

    url_variable: str  # the variable holding its URL
    optional: bool  # a configured install may leave its URL out (its keys then say so)


@cache
def source_declaration(name: str) -> SourceDeclaration:
    """A source folder's `source.toml`, when it has one: `url_variable` (default
    `<NAME>_DATABASE_URL`) and `optional` (default false)."""
    path = PACKAGE / "sources" / name / "source.toml"
    declared = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    unknown = set(declared) - {"url_variable", "optional"}
    if unknown:
        raise ValueError(
            f"twin_pipeline/sources/{name}/source.toml: unknown key(s) {', '.join(sorted(unknown))}; "
            "it may set url_variable and optional only"
        )
    return SourceDeclaration(
        url_variable=declared.get("url_variable", f"{name.upper()}_DATABASE_URL"),
        optional=bool(declared.get("optional", False)),
    )
