"""Files shipped inside the package (importlib.resources, so a wheel installed anywhere has
them), and the names of the sources: the folders under sources/, read without importing them."""

from __future__ import annotations

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
    """Each folder under sources/ that is a Python package is a source (README, "Adding a
    source"). Listed from the files, so the settings know every source's URL variable
    without importing the sources (which are built on the settings)."""
    found = {
        entry.name for entry in (PACKAGE / "sources").iterdir()
        if entry.is_dir() and (entry / "__init__.py").is_file()
    }
    return (*[name for name in CONTRACT_SOURCES if name in found], *sorted(found - set(CONTRACT_SOURCES)))
