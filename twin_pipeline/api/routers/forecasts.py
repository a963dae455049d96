"""`/forecasts/review`: how good the twin's forecasts were (twin_forecast_review), with a summary."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from twin_pipeline.api.answers import Envelope, enveloped
from twin_pipeline.api.auth import OWNER
from twin_pipeline.api.context import TwinApiDep
from twin_pipeline.api.routers import read_route
from twin_pipeline.core.forecast_review import LABELS, summarize
from twin_pipeline.store.reviews import reviews_between

ReviewKind = Literal["month_end_net", "budget_run_out", "weight_28d", "pantry_threshold"]


class ReviewRow(BaseModel):
    kind: ReviewKind
    subject: str = Field(description="The budget's category, the pantry category or the currency; empty for weight.")
    made_on: date = Field(description="The day the forecast was made (its state's as_of).")
    outcome_on: date = Field(description="The day its outcome became known, and it was scored.")
    predicted: float
    actual: float | None = Field(description="Null when the outcome did not happen in time (pantry).")
    error: float | None = Field(description="predicted - actual (money, days or kg).")
    accuracy_pct: float | None = Field(description="round(100 * (1 - |error| / |actual|), 2); null when the actual is 0 or missing.")
    accuracy_reason: str | None
    range_low: float | None = Field(description="The low end of the 80 % range made with the forecast (its unit; days after made_on for a day).")
    range_high: float | None = Field(description="Its high end.")
    in_range: bool | None = Field(description="The actual within the range; null without a range.")


class KindSummary(BaseModel):
    kind: ReviewKind
    unit: Literal["currency", "days", "kg"]
    count: int
    scored: int = Field(description="Reviews with an accuracy.")
    mean_accuracy_pct: float | None = Field(description="The mean of the accuracy formula (unbounded below; the median says more).")
    mean_absolute_error: float | None = Field(description="In the kind's own unit: the currency, days or kg.")
    median_accuracy_pct: float | None = Field(description="The lower median accuracy; null for days (judged in days).")
    ranged: int = Field(description="Reviews of forecasts made with an 80 % range.")
    in_range: int = Field(description="Of those, the outcomes inside the range.")
    coverage_pct: float | None = Field(description="in_range / ranged, in %: about 80 when the ranges are calibrated.")
    threshold_pct: int = Field(description="The person's bar: finance 80 %, health 85 %.")
    within_threshold: int
    within_threshold_pct: float | None = Field(description="Share of the reviews at or above the threshold, in %.")


class ReviewAnswer(Envelope):
    start: date | None
    end: date | None
    kind: ReviewKind | None
    rows: list[ReviewRow]
    summary: dict[str, KindSummary] = Field(description="Per kind present.")


def review_answer(rows: list, kind: str | None, start: date | None, end: date | None) -> dict:
    summary = summarize(rows)
    span = f"{start or 'the first day'} to {end or 'the newest'}"
    lines = [f"Forecasts made from {span}: {len(rows)} scored"]
    lines += [
        f"{LABELS[k]}: {s.count} scored, mean error "
        f"{s.mean_absolute_error if s.mean_absolute_error is not None else '—'} {s.currency or s.unit}, "
        f"{s.coverage_pct if s.coverage_pct is not None else '—'} % inside their 80 % range"
        + (f", median accuracy {s.median_accuracy_pct} %" if s.median_accuracy_pct is not None else "")
        for k, s in summary.items()
    ]

    def number(value) -> float | None:
        return None if value is None else float(value)

    return enveloped(
        "\n".join(lines), start=start and start.isoformat(), end=end and end.isoformat(), kind=kind,
        rows=[{
            "kind": row["kind"], "subject": row["subject"], "made_on": row["made_on"].isoformat(),
            "outcome_on": row["outcome_on"].isoformat(), "predicted": float(row["predicted"]),
            "actual": number(row["actual"]), "error": number(row["error"]),
            "accuracy_pct": number(row["accuracy_pct"]), "accuracy_reason": row["accuracy_reason"],
            "range_low": number(row["range_low"]), "range_high": number(row["range_high"]), "in_range": row["in_range"],
        } for row in rows],
        summary={k: s.to_json() for k, s in summary.items()},
    )


router = APIRouter(tags=["forecasts"])


@read_route(router, "/forecasts/review", ReviewAnswer, access=OWNER, summary="How good the forecasts were",
            description="The current review of each forecast made from `start` to `end` (either open), "
            "of one `kind` or all, and per kind: count, mean accuracy, mean absolute error and the share "
            "at or above the person's threshold.")
def forecast_review(
    api: TwinApiDep,
    kind: ReviewKind | None = None,
    start: date | None = Query(None, description="YYYY-MM-DD: the first made_on"),
    end: date | None = Query(None, description="YYYY-MM-DD: the last made_on"),
) -> Response:
    if start is not None and end is not None and start > end:
        raise HTTPException(422, f"start {start} is after end {end}")

    def compute() -> dict:
        with api.reader.engine.connect() as conn:
            rows = reviews_between(conn, api.reader.person_id, kind=kind, made_from=start, made_to=end)
        return review_answer(rows, kind, start, end)

    return api.answer(("forecast_review", kind, start, end), compute)
