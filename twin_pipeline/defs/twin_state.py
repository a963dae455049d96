"""twin_state: each day's state per entity, appended to digital_twin_updates when it changed."""


from collections import Counter
from collections.abc import Mapping

import dagster as dg

from twin_pipeline.core.forecast_ranges import range_summary
from twin_pipeline.core.sections import Unavailable
from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, partition_days
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import ENTITY_SOURCES, SOURCES
from twin_pipeline.store.schema import StoreError
from twin_pipeline.store.write_path import StateDecision


def build_twin_state(settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        deps=list(SOURCES),
        kinds={"postgres"},
        description=(
            "The digital twin's state of each day: one document per entity and day (finance, "
            "health, pantry) in digital_twin_updates (append-only), each forecast with its 80 % "
            "range calibrated on the errors of the twin's own past forecasts known by that day. "
            "A day is written again only "
            "when its state changed (a correction keeps the earlier row); the newest row is the "
            "day's state."
        ),
        **daily_asset_options(settings, "twin"),
    )
    def twin_state(
        context: dg.AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig
    ) -> dg.MaterializeResult:
        days = partition_days(context)
        with cyclic_gc_paused():
            try:
                person_id = twin_store.checked_person(twin_config.person_id)
            except StoreError as exc:
                # The one line (what is missing or pending, the owner's command) heads the run's failure.
                raise dg.Failure(description=str(exc)) from None
            # A section missing on a day is stated unavailable, with why.
            fallbacks = {
                entity: Unavailable(
                    entity, days[0], f"the {spec.name} asset has not been materialized for this day"
                ).to_json()
                for entity, spec in ENTITY_SOURCES.items()
            }
            plan, ranges = twin_store.write_day_states(person_id, days, fallbacks)

        decisions = Counter(row.decision for row in plan)
        written = sum(1 for row in plan if row.writes)
        context.log.info(
            f"{len(days)} day(s): {decisions['new']} new, {decisions['correction']} corrected, "
            f"{decisions['unchanged']} unchanged, {decisions['kept']} kept over an unavailable recomputation"
        )
        counts = {
            "person_id": person_id,
            "run_days": len(days),
            "rows_written": written,
            "dagster/row_count": written,
            "new": decisions["new"],
            "corrections": decisions["correction"],
            "unchanged": decisions["unchanged"],
            "kept_previous": decisions["kept"],
            "degraded_sections": sum(1 for row in plan if row.status == "degraded"),
            "unavailable_sections": sum(1 for row in plan if row.status == "unavailable"),
        }
        add_day_metadata(context, day_written(plan, range_summary(ranges)))
        return dg.MaterializeResult(metadata=counts)

    return twin_state


def day_written(plan: list[StateDecision], ranges: Mapping[str, dict] | None = None) -> dict[str, dict]:
    """What was written for each day: per entity new, correction, unchanged or kept (an
    unavailable recomputation did not bury the earlier state), the rows appended, each
    entity's status as written, and the forecasts' ranges (`ranges`: as_of -> range_summary)."""
    per_day: dict[str, dict] = {}
    for row in plan:
        day = per_day.setdefault(row.as_of, {"rows_written": 0, **(ranges or {}).get(row.as_of, {})})
        day[f"{row.entity_type}_written"] = row.decision
        day[f"{row.entity_type}_status"] = row.status
        day["rows_written"] += int(row.writes)
    return per_day


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_twin_state(current_settings())])
