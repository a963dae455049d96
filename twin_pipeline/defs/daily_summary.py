"""daily_summary: the status text of each day, rendered from its newest states."""


from datetime import date, timedelta

import dagster as dg

from twin_pipeline.core.forecast_review import READ_BACK_DAYS, review_line
from twin_pipeline.core.notable import status_line
from twin_pipeline.core.summary import render_summary
from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, partition_days
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import ENTITY_SOURCES

# Days whose states are read and rendered at once (a quarter).
STATES_PER_READ = 92


def build_daily_summary(settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["twin_state", "forecast_review", "notable"],
        kinds={"postgres", "python"},
        description=(
            "The short daily status text sent to Telegram and written into Obsidian daily notes: "
            "one line each for health, finance and pantry (and, for today, the home), saying plainly "
            "when a part is missing, and a ⚠️ line when something new is notable. Stored per day in twin_daily_summary; open a day under Partitions "
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
            reviews = monthly_reviews(twin_store, person_id, days)
            notable = twin_store.notable_days(person_id, days[0], days[-1])
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
                        review=reviews.get(day),
                        notable=status_line(notable.get(day, ())),
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


def monthly_reviews(twin_store: TwinStore, person_id: str, days: list[date]) -> dict[date, str]:
    """The review line of each 1st among the days: the forecasts scored in the month before
    (added up per month in the database, one statement for the whole range)."""
    firsts = [day for day in days if day.day == 1]
    if not firsts:
        return {}
    first_month = (firsts[0] - timedelta(days=1)).replace(day=1)
    by_month = twin_store.review_totals(person_id, by_month=True,
                                        made_from=first_month - timedelta(days=READ_BACK_DAYS),
                                        outcome_from=first_month, outcome_to=firsts[-1] - timedelta(days=1))
    lines = {}
    for first in firsts:
        month = (first - timedelta(days=1)).replace(day=1)
        line = review_line(month, by_month.get(month, {}))
        if line is not None:
            lines[first] = line
    return lines


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_daily_summary(current_settings())])
