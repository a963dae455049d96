"""forecast_review: each day, score every forecast whose outcome that day made known."""

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import dagster as dg

from twin_pipeline.core.forecast_review import READ_BACK_DAYS, THRESHOLD_PCT, KindSummary, Review, review_forecasts
from twin_pipeline.defs.partitions import add_day_metadata, cyclic_gc_paused, daily_asset_options, partition_days
from twin_pipeline.defs.resources import TwinConfig, TwinStore
from twin_pipeline.settings import TwinSettings, current_settings

TOLERANCE_WINDOW_DAYS = 365
# Outcome days scored at once: a review reads states READ_BACK_DAYS back at most, so a year
# of outcome days needs that year and 42 days before it, and a decade never sits in memory.
OUTCOME_DAYS_PER_BLOCK = 366
CHECK = "forecasts_within_tolerance"
# The share of outcomes inside their 80 % ranges below which the ranges are not holding
# (the calibration aims at 75-85 % over the years).
COVERAGE_FLOOR_PCT = 65


def build_forecast_review(settings: TwinSettings) -> dg.AssetsDefinition:
    @dg.asset(
        deps=["twin_state"],
        kinds={"postgres", "python"},
        description=(
            "The twin grading its own forecasts: partition E scores every forecast (month-end net, "
            "budget run-out, 28-day weight, pantry threshold day) whose outcome became known on E, "
            "and whether it fell inside the 80 % range made with it, from the states dated up to E "
            "only, into twin_forecast_review (append-only: a rerun "
            "writes nothing, a correction adds a row)."
        ),
        check_specs=[dg.AssetCheckSpec(
            CHECK, asset="forecast_review",
            description=(
                "Over the 12 months ending the run's last day, each kind's outcomes fell inside their "
                "80 % ranges at least 65 % of the time, and the month end's and the weight's median "
                "accuracy reaches the person's threshold (finance 80 %, health 85 %)."
            ),
        )],
        **daily_asset_options(settings, "twin"),
    )
    def forecast_review(
        context: dg.AssetExecutionContext, twin_store: TwinStore, twin_config: TwinConfig
    ) -> dg.MaterializeResult:
        days = partition_days(context)
        last = days[-1]
        with cyclic_gc_paused():
            person_id = twin_store.person(twin_config.person_id)
            scored, written, per_day = score_days(twin_store, person_id, days)
            trailing = twin_store.review_totals(
                person_id, by_month=False,
                made_from=last - timedelta(days=TOLERANCE_WINDOW_DAYS + READ_BACK_DAYS),
                outcome_from=last - timedelta(days=TOLERANCE_WINDOW_DAYS - 1), outcome_to=last,
            ).get(None, {})

        add_day_metadata(context, per_day)
        context.log.info(f"{len(days)} day(s): {scored} forecast(s) scored, {written} row(s) appended")
        return dg.MaterializeResult(
            metadata={
                "run_days": len(days), "scored": scored, "rows_written": written,
                "dagster/row_count": written,
            },
            check_results=[tolerance_check(trailing, last)],
        )

    return forecast_review


def score_days(twin_store: TwinStore, person_id: str, days: list[date]) -> tuple[int, int, dict[str, dict]]:
    """Score the forecasts whose outcome day is one of `days` and append their reviews, a
    block of outcome days at a time: (scored, rows appended, each day's counts).

    The database's share overlaps Python's: the next block's states are read, and the last
    block's reviews written, on threads while this block is scored (the server works on the
    second core; at most two blocks of states are in memory)."""
    blocks = [days[start:start + OUTCOME_DAYS_PER_BLOCK] for start in range(0, len(days), OUTCOME_DAYS_PER_BLOCK)]
    per_day: dict[str, dict] = {}
    scored = written = 0

    def read(block: list[date]) -> dict:
        return twin_store.review_states(person_id, block[0] - timedelta(days=READ_BACK_DAYS), block[-1])

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="forecast_review") as pool:
        reading = pool.submit(read, blocks[0])
        writing = None
        for position, block in enumerate(blocks):
            states = reading.result()
            if position + 1 < len(blocks):
                reading = pool.submit(read, blocks[position + 1])
            reviews = review_forecasts(block, states["finance"], states["health"], states["pantry"])
            del states  # freed before the block after next is read
            if writing is not None:
                written += writing.result()
            writing = pool.submit(twin_store.write_reviews, person_id, reviews)
            scored += len(reviews)
            per_day.update(day_scored(block, reviews))
        written += writing.result()
    return scored, written, per_day


def day_scored(days: list[date], reviews: list[Review]) -> dict[str, dict]:
    """What each day scored: how many forecasts, and how many of each kind. Counts only:
    Dagster stores each day's metadata as an event, and a decade scores ~150,000 forecasts
    (the reviews and their accuracy are rows of twin_forecast_review)."""
    per_day: dict[date, dict] = {day: {"scored": 0} for day in days}
    for review in reviews:
        counts = per_day[review.outcome_on]
        counts["scored"] += 1
        counts[review.kind] = counts.get(review.kind, 0) + 1
    return {day.isoformat(): counts for day, counts in per_day.items()}


def tolerance_check(summaries: Mapping[str, KindSummary], last: date) -> dg.AssetCheckResult:
    """WARN when, over the trailing 12 months (`summaries`), a kind's outcomes fell inside
    their 80 % ranges less than COVERAGE_FLOOR_PCT of the time, or an amount's median
    accuracy is below the person's threshold. Each kind's count, mean absolute error (its
    own unit), coverage and median accuracy go in the metadata."""
    below = [k for k, s in summaries.items() if s.coverage_pct is not None and s.coverage_pct < COVERAGE_FLOOR_PCT]
    below += [k for k, s in summaries.items()
              if s.median_accuracy_pct is not None and s.median_accuracy_pct < s.threshold_pct and k not in below]
    metadata = {"window": f"{(last - timedelta(days=TOLERANCE_WINDOW_DAYS - 1)).isoformat()}..{last.isoformat()}",
                "below_threshold": ", ".join(below) or "none", "coverage_floor_pct": COVERAGE_FLOOR_PCT}
    for kind, summary in summaries.items():
        metadata[f"{kind}_count"] = summary.count
        for name in ("mean_absolute_error", "coverage_pct", "median_accuracy_pct"):
            if (value := getattr(summary, name)) is not None:
                metadata[f"{kind}_{name}"] = float(value)
        if summary.median_accuracy_pct is not None:
            metadata[f"{kind}_threshold_pct"] = THRESHOLD_PCT[kind]
    return dg.AssetCheckResult(
        # Nothing scored yet (a first day, a fresh store) is nothing below the bar.
        asset_key="forecast_review", check_name=CHECK, passed=not below,
        severity=dg.AssetCheckSeverity.WARN, metadata=metadata if summaries else {**metadata, "scored": 0},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(assets=[build_forecast_review(current_settings())])
