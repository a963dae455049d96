"""daily_summary: the status text of each day, rendered from its newest states."""


import dagster as dg

from datetime import date, timedelta

from twin_pipeline.core.forecast_review import READ_BACK_DAYS, review_line
from twin_pipeline.core.summary import render_summary
from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, run_days
from twin_pipeline.defs.resources import PostgresDatabase, TwinConfig
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import ENTITY_SOURCES
from twin_pipeline.store import home_row, newest_states, resolve_person, reviews_between, upsert_summaries


def build_daily_summary(settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["twin_state", "forecast_review"],
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
        context: dg.AssetExecutionContext, twin_store: PostgresDatabase, twin_config: TwinConfig
    ) -> dg.MaterializeResult:
        days = run_days(context)
        with twin_store.engine().begin() as conn, cyclic_gc_paused():
            person_id = resolve_person(conn, twin_config.person_id)
            states = newest_states(conn, person_id, days)
            # The home is only ever known as it is now: it belongs in today's text alone.
            today = twin_config.today()
            home_now = home_row(conn, person_id) if today in days else None
            reviews = monthly_reviews(conn, person_id, days)
            summaries = []
            for day in days:
                as_of = day.isoformat()
                day_states = {e: states[(e, as_of)] for e in ENTITY_SOURCES if (e, as_of) in states}
                summary_text = render_summary(
                    as_of,
                    {e: s.document for e, s in day_states.items()},
                    weekly_workout_target=twin_config.weekly_workout_target,
                    home=home_now if day == today else None,
                    forecasts=True,
                    review=reviews.get(day),
                )
                summaries.append((as_of, summary_text, [s.id for s in day_states.values()]))
            changed = upsert_summaries(conn, person_id, summaries)

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


def monthly_reviews(conn, person_id: str, days: list[date]) -> dict[date, str]:
    """The review line of each 1st among the days: the forecasts scored in the month before
    (one read for the whole range)."""
    firsts = [day for day in days if day.day == 1]
    if not firsts:
        return {}
    first_month = (firsts[0] - timedelta(days=1)).replace(day=1)
    rows = reviews_between(conn, person_id, made_from=first_month - timedelta(days=READ_BACK_DAYS),
                           outcome_from=first_month, outcome_to=firsts[-1] - timedelta(days=1))
    by_month: dict[date, list] = {}
    for row in rows:
        by_month.setdefault(row["outcome_on"].replace(day=1), []).append(row)
    lines = {}
    for first in firsts:
        month = (first - timedelta(days=1)).replace(day=1)
        line = review_line(month, by_month.get(month, ()))
        if line is not None:
            lines[first] = line
    return lines


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_daily_summary(current_settings())])
