"""Source assets, one per source spec (sources/<name>/): each day's section of the state.

Each reads its database once for the whole range (read_section), stores the sections
with the fingerprints of the rows it read, and reports what happened and its checks.
A source that cannot be read marks its section unavailable for those days.
"""


from collections import Counter

import dagster as dg
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, partition_days
from twin_pipeline.defs.resources import PostgresDatabase, TwinConfig, TwinStore
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import SOURCES
from twin_pipeline.sources.reading import SectionOutcome, failure_reason, read_section
from twin_pipeline.sources.spec import CheckOutcome, SourceSpec

# The checks every source asset reports (docs/how-it-works.md, "Checks"). WARN: the twin goes on, degraded.
CHECKS = {
    "source_readable": "The source database answered and every day of the run was computed from it.",
    "matches_contract": "The source still has every table, view, function and column of the data contract (docs/contract.md).",
    "plausible_values": "No rows the contract's constraints would refuse (each is handled by a rule: docs/operations.md, 'Bad data').",
    "fresh": "The source's newest record is at most TWIN_FRESHNESS_DAYS old.",
}


def check_specs(spec: SourceSpec) -> list[dg.AssetCheckSpec]:
    own = {"reconciles_with_source": spec.reconcile_description} if spec.reconcile else {}
    return [
        dg.AssetCheckSpec(name, asset=spec.name, description=description)
        for name, description in {**CHECKS, **own}.items()
    ]


def build_source_asset(spec: SourceSpec, settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.name,
        kinds={"postgres", "python"},
        description=spec.description,
        check_specs=check_specs(spec),
        required_resource_keys={f"{spec.name}_db", "twin_store", "twin_config"},
        **daily_asset_options(settings, "sources"),
    )
    def source_asset(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        return materialize_section(
            context, spec, getattr(context.resources, f"{spec.name}_db"),
            context.resources.twin_store, context.resources.twin_config,
        )

    return source_asset


def materialize_section(
    context: dg.AssetExecutionContext,
    spec: SourceSpec,
    source: PostgresDatabase,
    twin_store: TwinStore,
    config: TwinConfig,
) -> dg.MaterializeResult:
    """Read the source for the run's days, store the sections, report the run and the checks."""
    days, database = partition_days(context), source

    def on_retry(exc: BaseException, wait: float) -> None:
        context.log.warning(f"{failure_reason(database, exc)}; trying again in {wait:.1f} s")

    with cyclic_gc_paused():
        outcome = read_section(spec, database, days, config.settings(), on_retry)
    if outcome.failure:
        context.log.warning(f"{outcome.failure}; {spec.entity_type} section marked unavailable for {len(days)} day(s)")
    documents = outcome.read.documents
    try:
        twin_store.write_sections(spec, documents, outcome.read.fingerprints)
    except SQLAlchemyError as exc:
        # Loud, and nothing half-written (one transaction); the next run writes these days.
        raise dg.Failure(
            description=(
                f"{failure_reason(twin_store, exc)}: the {spec.entity_type} section of {len(days)} "
                "day(s) was computed but not stored; nothing was written, the next run stores it"
            ),
            metadata={"computed_section": dg.MetadataValue.json(documents[-1])},
        ) from None

    statuses = Counter(doc["status"] for doc in documents)
    problems = {doc["as_of"]: doc["error"] for doc in documents if doc["status"] != "ok"}
    counts = {
        "run_days": len(documents),
        "run_first_day": days[0].isoformat(),
        "run_last_day": days[-1].isoformat(),
        "source_rows_read": outcome.read.rows_read,
        "dagster/row_count": len(documents),
        "days_ok": statuses["ok"],
        "days_degraded": statuses["degraded"],
        "days_unavailable": statuses["unavailable"],
    }
    if problems:
        shown = sorted(problems.items())[-20:]
        counts["problems"] = dg.MetadataValue.md(
            f"{len(problems)} day(s) not ok; the latest:\n\n| day | reason |\n|---|---|\n"
            + "\n".join(f"| {d} | {r} |" for d, r in shown)
        )
    add_day_metadata(context, {document["as_of"]: day_details(spec, document) for document in documents})
    return dg.MaterializeResult(metadata=counts, check_results=check_results(spec, outcome, config))


def day_details(spec: SourceSpec, document: dict) -> dict:
    """One day's section as metadata: its status, its figures (which the UI plots over the
    days) and its alerts as a table. The whole document is the state in digital_twin_updates;
    copying it onto every partition of a ten-year run would cost more than computing it."""
    details: dict = {"status": document["status"]}
    if document.get("error"):
        details["error"] = document["error"]
    for path in spec.plotted:
        value = document
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            details[path.rsplit(".", 1)[-1]] = value
    if document.get("alerts"):
        rows = [
            f"| {a['alert_severity']} | {a['category_path']} | {a['actual_amount']:,.2f} / {a['budget_amount']:,.2f} "
            f"| {a['utilization_pct']} % | {a['projected_month_end']:,.2f} |"
            for a in document["alerts"]
        ]
        details["alerts"] = dg.MetadataValue.md(
            "| severity | category | spent / budget | used | projected |\n|---|---|---|---|---|\n" + "\n".join(rows)
        )
    return details


def check_results(spec: SourceSpec, outcome: SectionOutcome, config: TwinConfig) -> list[dg.AssetCheckResult]:
    def result(name: str, passed: bool, severity=dg.AssetCheckSeverity.WARN, **metadata) -> dg.AssetCheckResult:
        return dg.AssetCheckResult(
            asset_key=spec.name, check_name=name, passed=passed, severity=severity, metadata=metadata
        )

    if "not_configured" in outcome.quality:
        # An optional source left out: nothing to check, and nothing wrong.
        reason = outcome.quality["not_configured"]
        return [result(name, True, reason=reason) for name in CHECKS]
    failure = outcome.failure
    blocking = [gap.description for gap in outcome.gaps if gap.used]
    reported = [gap.description for gap in outcome.gaps if not gap.used]
    quality = {k: v for k, v in outcome.quality.items() if k != "last_seen"}
    last_seen = outcome.quality.get("last_seen")
    age = None if last_seen is None else (config.today() - last_seen).days
    unreadable = failure if failure and not blocking else None
    results = [
        result("source_readable", failure is None, reason=failure or "read"),
        result(
            "matches_contract",
            not outcome.gaps,
            dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            missing_and_read_by_the_twin=", ".join(blocking) or "none",
            missing_not_read_by_the_twin=", ".join(reported) or "none",
        ),
        result(
            "plausible_values",
            bool(quality) and not any(quality.values()),
            **(quality or {"not evaluated": unreadable or "source unreadable"}),
        ),
        result(
            "fresh",
            age is not None and age <= config.freshness_days,
            newest_record=str(last_seen) if last_seen else "none",
            days_old=-1 if age is None else age,
            threshold_days=config.freshness_days,
        ),
    ]
    own: list[CheckOutcome] = outcome.own_checks
    if spec.reconcile and not own:
        own = [CheckOutcome("reconciles_with_source", False, {"not evaluated": failure or "no rows"}, blocking=False)]
    for check in own:
        severity = dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN
        results.append(result(check.name, check.passed, severity, **check.metadata))
    return results


def build_source_assets(settings: TwinSettings) -> list[dg.AssetsDefinition]:
    return [build_source_asset(spec, settings) for spec in SOURCES.values()]


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=build_source_assets(current_settings()))
