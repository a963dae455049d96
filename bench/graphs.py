"""Jobs the benchmarks run: the twin's own, and the same graph with empty bodies."""

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetSelection,
    BackfillPolicy,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
    in_process_executor,
    multiprocess_executor,
)

from twin_pipeline.definitions import defs as twin_defs
from twin_pipeline.defs.forecast_review import CHECK as REVIEW_CHECK
from twin_pipeline.defs.partitions import daily_partitions as partitions_of
from twin_pipeline.defs.sources import check_specs
from twin_pipeline.settings import current_settings
from twin_pipeline.sources import SOURCES

daily_partitions = partitions_of(current_settings())
_common = dict(partitions_def=daily_partitions, backfill_policy=BackfillPolicy.single_run())


def _passing(specs) -> MaterializeResult:
    """Nothing done; every declared check reported, as the real assets do."""
    return MaterializeResult(check_results=[AssetCheckResult(check_name=s.name, passed=True) for s in specs])


# The same graph as the twin's: the same assets (a source asset for every source spec, as
# defs/sources.py builds them), dependencies, partitions, backfill policy and asset checks;
# only the bodies are empty.
def _empty_source(name: str):
    specs = check_specs(SOURCES[name])

    @asset(name=name, group_name="sources", check_specs=specs, **_common)
    def empty_source() -> MaterializeResult:
        return _passing(specs)

    return empty_source


_empty_sources = [_empty_source(name) for name in SOURCES]


@asset(name="twin_state", deps=list(SOURCES), group_name="twin", **_common)
def empty_twin_state() -> MaterializeResult:
    return MaterializeResult()


@asset(name="forecast_review", deps=[empty_twin_state], group_name="twin",
       check_specs=[AssetCheckSpec(REVIEW_CHECK, asset="forecast_review")], **_common)
def empty_forecast_review() -> MaterializeResult:
    return MaterializeResult(check_results=[AssetCheckResult(check_name=REVIEW_CHECK, passed=True)])


@asset(name="daily_summary", deps=[empty_twin_state, empty_forecast_review], group_name="outputs", **_common)
def empty_daily_summary() -> MaterializeResult:
    return MaterializeResult()


_empty_assets = [*_empty_sources, empty_twin_state, empty_forecast_review, empty_daily_summary]
_empty_in_process = Definitions(
    assets=_empty_assets,
    jobs=[define_asset_job("empty_job", AssetSelection.all(), partitions_def=daily_partitions)],
    executor=in_process_executor,
)
_empty_stock = Definitions(
    assets=_empty_assets,
    jobs=[define_asset_job("empty_job", AssetSelection.all(), partitions_def=daily_partitions)],
    executor=multiprocess_executor,
)


def twin_job():
    return twin_defs().resolve_job_def("twin_daily_job")


def empty_job_in_process():
    return _empty_in_process.resolve_job_def("empty_job")


def empty_job_stock():
    return _empty_stock.resolve_job_def("empty_job")
