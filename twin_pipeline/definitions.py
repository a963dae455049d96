"""The twin's Dagster definitions: every module under defs/ contributes its own (dg layout)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from twin_pipeline.settings import TwinSettings


@dg.definitions
def defs() -> dg.Definitions:
    # The package's own dg.toml names the defs folder, so this also works from a wheel
    # installed outside the repository.
    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)


def daily_assets(settings: TwinSettings) -> list[dg.AssetsDefinition]:
    """The daily chain (sources -> twin_state -> daily_summary) built from the given
    settings, for tests and scripts that materialize it with settings of their own."""
    from twin_pipeline.defs.daily_summary import build_daily_summary
    from twin_pipeline.defs.sources import build_source_assets
    from twin_pipeline.defs.twin_state import build_twin_state

    return [*build_source_assets(settings), build_twin_state(settings), build_daily_summary(settings)]
