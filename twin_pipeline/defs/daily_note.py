"""daily_note (only with TWIN_NOTES_DIR): each day's status text in the Obsidian vault."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition, BackfillPolicy, MaterializeResult, asset

from twin_pipeline.defs.daily_summary import daily_summary
from twin_pipeline.defs.shared import TwinConfig, daily_partitions, run_days, with_day_details
from twin_pipeline.notes import write_daily_note
from twin_pipeline.resources import PostgresDatabase
from twin_pipeline.store import resolve_person, summaries_between


def build_daily_note(vault: Path) -> AssetsDefinition:
    @asset(
        deps=[daily_summary],
        group_name="outputs",
        kinds={"python"},
        partitions_def=daily_partitions,
        backfill_policy=BackfillPolicy.single_run(),
        owners=["team:twin"],
        description=(
            f"The daily status text written into the Obsidian vault {vault} as YYYY-MM-DD.md, between "
            "%%TWIN_START%% and %%TWIN_END%%; nothing else in a note is touched."
        ),
    )
    def daily_note(
        context: AssetExecutionContext, twin_store: PostgresDatabase, twin_config: TwinConfig
    ) -> MaterializeResult:
        days = run_days(context)
        with twin_store.engine().begin() as conn:
            summaries = summaries_between(conn, resolve_person(conn, twin_config.person_id), days[0], days[-1])
        outcomes = {day: write_daily_note(vault, day, text) for day, text in summaries.items()}
        counts = {
            "notes_written": sum(1 for o in outcomes.values() if o != "unchanged"),
            "notes_unchanged": sum(1 for o in outcomes.values() if o == "unchanged"),
            "days_without_summary": len(days) - len(summaries),
            "vault": str(vault),
        }
        return MaterializeResult(metadata=with_day_details(days, counts, {"note": str(vault / f"{days[0]}.md")}))

    return daily_note
