"""The twin's Dagster definitions: every module under defs/ contributes its own (dg layout)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import dagster as dg

from twin_pipeline.defs.forecast_review import build_forecast_review
from twin_pipeline.defs.daily_summary import build_daily_summary
from twin_pipeline.defs.notable import build_notable
from twin_pipeline.defs.sources import build_source_assets
from twin_pipeline.defs.twin_state import build_twin_state
from twin_pipeline.settings import TwinSettings


@dg.definitions
def defs() -> dg.Definitions:
    return _load_defs()


@cache
def _load_defs() -> dg.Definitions:
    """Built once per process. Every module under defs/ builds from current_settings(), read
    once per process, so a second build could only repeat the first; Dagster calls `defs`
    again for each reconstruction of a job inside one run process (four times per run),
    and each build costs about 0.15 s after the first (0.5 s)."""
    # The package's own dg.toml names the defs folder, so this also works from a wheel
    # installed outside the repository.
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


def daily_assets(settings: TwinSettings) -> list[dg.AssetsDefinition]:
    """The daily chain (sources -> twin_state -> forecast_review, notable -> daily_summary) built
    from the given settings, for tests and scripts that materialize it with settings of their own."""
    return [*build_source_assets(settings), build_twin_state(settings), build_forecast_review(settings),
            build_notable(settings), build_daily_summary(settings)]
