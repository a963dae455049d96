"""daily_summary: the status text of each day, rendered from its newest states."""


import dagster as dg

from twin_pipeline.core.summary import render_summary
from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, partition_days
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import ENTITY_SOURCES

# Days whose states are read and rendered at once (a quarter).
STATES_PER_READ = 92


def build_daily_summary(settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["twin_state"],
        kinds={"postgres", "python"},
        description=(
            "The short daily status text sent to Telegram and written into Obsidian daily notes: "
            "one line each for health, finance and pantry (and, for today, the home), saying plainly "
            "when a part is missing. Stored per day in twin_daily_summary; open a day under Partitions "
            "to read its text."
        ),
        **daily_asset_options(settings, "outputs"),
    )
    def daily_summary(
        context: dg.AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig
    ) -> dg.MaterializeResult:
        days = partition_days(context)
        with cyclic_gc_paused():
            person_id = twin_store.person(twin_config.person_id)
            # The home is only ever known as it is now: it belongs in today's text alone.
            today = twin_config.today()
            home_now = twin_store.home(person_id) if today in days else None
            summaries, changed = [], 0
            # A block of days at a time: a decade's states are 54 MiB of JSON, several times
            # that as Python objects, and only the texts are needed afterwards.
            for first in range(0, len(days), STATES_PER_READ):
                block = days[first:first + STATES_PER_READ]
                states = twin_store.newest_states(person_id, block)
                rendered = []
                for day in block:
                    as_of = day.isoformat()
                    day_states = {e: states[(e, as_of)] for e in ENTITY_SOURCES if (e, as_of) in states}
                    summary_text = render_summary(
                        as_of,
                        {e: s.document for e, s in day_states.items()},
                        weekly_workout_target=twin_config.weekly_workout_target,
                        home=home_now if day == today else None,
                        forecasts=True,
                    )
                    rendered.append((as_of, summary_text, [s.id for s in day_states.values()]))
                del states  # freed before the next block is read
                changed += twin_store.write_summaries(person_id, rendered)
                summaries += rendered

        counts = {"run_days": len(summaries), "summaries_changed": changed, "dagster/row_count": len(summaries)}
        as_of, summary_text, _ = summaries[0]
        if len(summaries) == 1:
            context.log.info(f"summary of {as_of}:\n{summary_text}")
        add_day_metadata(context, {
            day_as_of: {
                "summary": dg.MetadataValue.md(text.replace("\n", "  \n")),
                "summary_text": dg.MetadataValue.text(text),
            }
            for day_as_of, text, _ in summaries
        })
        return dg.MaterializeResult(metadata=counts)

    return daily_summary


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_daily_summary(current_settings())])
