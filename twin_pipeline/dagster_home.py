"""Dagster's instance directory for every `twin` door: DAGSTER_HOME, or one prepared under TWIN_HOME."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from twin_pipeline.paths import DAGSTER_YAML
from twin_pipeline.settings import TwinSettings


def prepare_dagster_home(settings: TwinSettings) -> Path:
    """DAGSTER_HOME if set; else <TWIN_HOME>/dagster holding a copy of the package's dagster.yaml.
    Exported to the environment, for Dagster and the processes it starts."""
    if settings.dagster_home is not None:
        home = settings.dagster_home
    else:
        home = settings.twin_home / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["TWIN_HOME"] = str(settings.twin_home)
    return home
