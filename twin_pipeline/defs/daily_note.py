"""daily_note (only with TWIN_NOTES_DIR): each day's status text in the Obsidian vault."""


from pathlib import Path

import dagster as dg

from twin_pipeline.defs.partitions import add_day_metadata, daily_asset_options, partition_days
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.note_file import write_daily_note
from twin_pipeline.settings import TwinSettings, current_settings


def build_daily_note(settings: TwinSettings, vault: Path) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["daily_summary"],
        kinds={"python"},
        description=(
            f"The daily status text written into the Obsidian vault {vault} as YYYY-MM-DD.md, between "
            "%%TWIN_START%% and %%TWIN_END%%; nothing else in a note is touched."
        ),
        **daily_asset_options(settings, "outputs"),
    )
    def daily_note(
        context: dg.AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig
    ) -> dg.MaterializeResult:
        days = partition_days(context)
        summaries = twin_store.summaries_between(twin_store.person(twin_config.person_id), days[0], days[-1])
        outcomes = {day: write_daily_note(vault, day, text) for day, text in summaries.items()}
        counts = {
            "notes_written": sum(1 for o in outcomes.values() if o != "unchanged"),
            "notes_unchanged": sum(1 for o in outcomes.values() if o == "unchanged"),
            "days_without_summary": len(days) - len(summaries),
            "vault": str(vault),
        }
        add_day_metadata(context, {
            day: {"note": str(vault / f"{day}.md"), "note_outcome": outcome} for day, outcome in outcomes.items()
        })
        return dg.MaterializeResult(metadata=counts)

    return daily_note


@dg.definitions
def defs() -> dg.Definitions:
    # The Obsidian note is an output only where there is a vault to write to.
    settings = current_settings()
    return dg.Definitions(assets=[build_daily_note(settings, settings.notes_dir)] if settings.notes_dir else [])
