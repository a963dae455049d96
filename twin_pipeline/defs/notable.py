"""notable: what was out of the person's norm, or needed them, on each day; and today's push."""

from collections.abc import Mapping
from datetime import date, timedelta

import dagster as dg

from twin_pipeline.core.notable import LOOKBACK_DAYS, new_items, notable_days, notice_text
from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, partition_days
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.notify import push_items
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import WATCHED_METRICS

# Days computed per read of states: a decade's states do not fit in memory at once.
DAYS_PER_READ = 92


def documents_of(twin_store: TwinStore, person_id: str, first: date, last: date) -> dict[date, dict[str, dict]]:
    """day -> entity -> the day's state, first..last (one set-based read)."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    documents: dict[date, dict[str, dict]] = {}
    for (entity, as_of), state in twin_store.newest_states(person_id, days).items():
        documents.setdefault(date.fromisoformat(as_of), {})[entity] = state.document
    return documents


def compute_notable(
    twin_store: TwinStore, person_id: str, days: list[date], today: date, goals: list[Mapping], first_day: date | None
) -> dict[date, list[dict]]:
    """The items of the run's days, in order, each day's carried into the next; the first
    day's predecessor is the stored day before; `first_day` is the twin's first stored day
    (None: nothing stored, nothing notable). Goals, known only as they are now, count for
    today alone (like the home)."""
    if first_day is None:
        return {day: [] for day in days}
    before = days[0] - timedelta(days=1)
    previous = twin_store.notable_days(person_id, before, before).get(before, [])
    found: dict[date, list[dict]] = {}
    for start in range(0, len(days), DAYS_PER_READ):
        block = days[start:start + DAYS_PER_READ]
        documents = documents_of(twin_store, person_id, block[0] - timedelta(days=LOOKBACK_DAYS), block[-1])
        found.update(notable_days(block, first_day, WATCHED_METRICS, documents, previous,
                                  lambda day: goals if day == today else ()))
        previous = found[block[-1]]
        del documents  # freed before the next block is read
    return found


def build_notable(settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["twin_state"],
        kinds={"postgres", "python"},
        description=(
            "What is notable on each day: a watched figure out of the person's own norm (robust "
            "z-score against the 28 days before, hysteresis 3 / 2) or something that needs them "
            "(a budget running out, a planned expense due tomorrow, the pantry, an overdue goal), "
            "each condition new only on the day it starts. Stored per day in twin_notable_day "
            "(append-only); with TWIN_NOTIFY_URL set, today's items are POSTed once each: out of norm "
            "on its day, needs action with the next push (a week at most)."
        ),
        **daily_asset_options(settings, "outputs"),
    )
    def notable(context: dg.AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig) -> dg.MaterializeResult:
        days = partition_days(context)
        today = twin_config.today()
        with cyclic_gc_paused():
            person_id = twin_store.person(twin_config.person_id)
            goals = [dict(goal) for goal in twin_store.goals(person_id)] if today in days else []
            first_day = twin_store.first_state_day(person_id)
            found = compute_notable(twin_store, person_id, days, today, goals, first_day)
            appended = twin_store.write_notable_days(person_id, found)

        counts = {
            "run_days": len(days),
            "days_appended": len(appended),
            "dagster/row_count": len(appended),
            "new_items": sum(len(new_items(items)) for items in found.values()),
        }
        if twin_config.notify_url and found.get(today):
            # Only today is pushed: a backfilled past day was news on its own day, not now.
            delivery = push_items(twin_store.engine(), person_id, today, found[today], twin_config.notify_url,
                                  first_day, at_once=twin_config.notify_at_once)
            counts.update(notifications_sent=len(delivery.sent), notification_tries=delivery.tries,
                          notifications_waiting=len(delivery.waiting))
            if delivery.error:
                context.log.warning(f"today's notable items are still owed after {delivery.tries} tries: {delivery.error}; "
                                    "the next run tries again")
        add_day_metadata(context, {
            day.isoformat(): {
                "items": len(items),
                "new": len(new_items(items)),
                "notice": dg.MetadataValue.text(notice_text(items) or ""),
            }
            for day, items in found.items()
        })
        return dg.MaterializeResult(metadata=counts)

    return notable


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_notable(settings=current_settings())])
