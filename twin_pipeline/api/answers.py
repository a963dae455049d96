"""The shape of every JSON answer: the text under `report` (copied to `response_text` and
`content`, as the person's clients read it), the data, and the old names their dashboards
read. The models document it in the OpenAPI schema; answers are built as plain dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from twin_pipeline.core.health.biometrics import top_level_readings

ERROR_MARK = "❌ Error: "
KEPT = "Kept for existing clients: "
ENVELOPE = ("report", "response_text", "content")  # the text's names in every JSON answer


def enveloped(report: str, **fields: object) -> dict:
    """An answer: `fields`, then the text under `report`, `response_text` and `content`."""
    return {**fields, "report": report, "response_text": report, "content": report}


def error_answer(detail: object, message: str) -> dict:
    """An error: FastAPI's `detail` as before, and the text starting `❌ Error:`."""
    return enveloped(ERROR_MARK + message, detail=detail)


def old_names(entity: str, document: Mapping) -> dict:
    """The names the person's dashboards read, beside the document's own."""
    if entity == "health":
        body = document.get("body_composition") or {}
        return {
            "bodyfat_pct": body.get("bodyfat_pct"),
            "bodyweight_kg": body.get("bodyweight_kg"),
            "days_since_workout": document.get("days_since_last_workout"),
            **top_level_readings(document),
        }
    if entity == "pantry" and "low_stock" in document:
        return {"low_stock_items": document["low_stock"]}
    return {}


def with_old_names(entity: str, document: Mapping) -> dict:
    return {**document, **old_names(entity, document)}


class Envelope(BaseModel):
    report: str = Field(description="The answer as text (the person's API specification v6).")
    response_text: str = Field(description=KEPT + "a copy of `report` (n8n workflows read it).")
    content: str = Field(description=KEPT + "a copy of `report`.")


class ErrorAnswer(Envelope):
    detail: Any = Field(description="What went wrong: a sentence, or the list of invalid parameters (422).")
    report: str = Field(description="`❌ Error: ` and what went wrong.", examples=["❌ Error: no state for 2024-01-01"])


FRESHNESS = ("`live`: read from the sources for this answer, as a run would compute it, because they changed "
             "since the stored state; `stored`: the state the pipeline persisted (every past day).")


class DayFreshness(BaseModel):
    freshness: Literal["live", "stored"] | None = Field(None, description=FRESHNESS)
    computed_at: str | None = Field(None, description="When the state shown was computed (stored: written), ISO 8601.")
    section_freshness: dict[str, Literal["live", "stored"]] | None = Field(
        None, description="Per section, `live` or `stored`.")
    live_errors: dict[str, str] | None = Field(
        None, description="Sections whose source could not be read live: the reason; their stored state is shown.")


class SectionFreshness(BaseModel):
    freshness: Literal["live", "stored"] | None = Field(None, description=FRESHNESS)
    computed_at: str | None = Field(None, description="When the state shown was computed (stored: written), ISO 8601.")
    live_error: str | None = Field(
        None, description="Why the source could not be read live; the stored state is shown.")


class SectionState(BaseModel):
    model_config = ConfigDict(extra="allow")
    as_of: str
    status: Literal["ok", "degraded", "unavailable"]
    error: str | None = None


class StatusAnswer(Envelope, DayFreshness):
    as_of: str
    data: dict[str, SectionState] = Field(description="The day's documents: finance, health, pantry.")
    state: dict[str, SectionState] = Field(
        description=KEPT + "the same documents with the old names the Obsidian dashboard reads: "
        "`state.pantry.low_stock_count`, `state.pantry.low_stock_items`, `state.health.bodyfat_pct`, "
        "`state.health.days_since_workout`."
    )


class SectionAnswer(Envelope, SectionState, SectionFreshness):
    data: dict = Field(description="The section's document as stored.")


class FinanceAnswer(SectionAnswer):
    mtd_net: float | None = Field(None, description="Month-to-date net cashflow (the dashboard reads it).")
    active_budget_alerts: int | None = Field(None, description="Budget alerts today (the dashboard reads it).")


class HealthAnswer(SectionAnswer):
    bodyfat_pct: float | None = Field(None, description=KEPT + "`body_composition.bodyfat_pct`.")
    bodyweight_kg: float | None = Field(None, description=KEPT + "`body_composition.bodyweight_kg`.")
    days_since_workout: int | None = Field(None, description=KEPT + "`days_since_last_workout`.")
    readiness_score: float | None = Field(None, description="`biometrics.readiness_score` (G07 clients read it here).")
    sleep_score: float | None = Field(None, description="`biometrics.sleep_score` (G07 clients read it here).")
    hrv_ms: float | None = Field(None, description="`biometrics.hrv_ms` (G07 clients read it here).")


class PantryAnswer(SectionAnswer):
    low_stock_items: list[str] = Field(default_factory=list, description=KEPT + "`low_stock`.")


class DayText(Envelope, DayFreshness):
    as_of: str


class TodayAnswer(DayText):
    data: dict[str, SectionState] | None = Field(None, description="The day's documents (format=json only).")


class Everything(BaseModel):
    model_config = ConfigDict(extra="allow")
    finance: dict | None = None
    health: dict | None = None
    pantry: dict | None = None
    person: dict | None = None
    goals: list[dict] = []
    home: dict | None = None


class AllAnswer(DayText):
    data: Everything = Field(description="Every section as stored (with any forecasts it carries) and the entities.")


class EntityAnswer(Envelope):
    model_config = ConfigDict(extra="allow")
    data: dict = Field(description="The entity's row.")


class LiveAnswer(Envelope):
    status: Literal["ok"]


class HistoryState(BaseModel):
    behind: bool
    newest_day: str | None = Field(description="The newest day the twin store holds a state for.")
    newest_age_days: int | None = Field(description="Today minus the newest stored day.")
    daemon_heartbeat_age_seconds: float | None = Field(
        description="Since the newest Dagster daemon heartbeat; null when none was found.")
    reasons: list[str] = Field(description="Why the history is behind, each naming what to start.")


class ReadyAnswer(Envelope):
    status: Literal["ok", "down", "behind", "keys_file_unusable"]
    databases: dict[str, str] = Field(description="Each database: `ok`, or why it does not answer.")
    keys_file: str | None = Field(
        None, description="With TWIN_API_KEYS_FILE: `ok`, or why the file cannot be used (503 "
        "`keys_file_unusable`: every key from it is refused, the owner's DIGITAL_TWIN_API_KEY still works).")
    history: HistoryState | None = Field(
        None, description="Whether the stored history keeps up (`twin api` watches it): 503 `behind` when the "
        "newest stored day is older than yesterday after 06:30 in TWIN_TIMEZONE, or no Dagster daemon "
        "heartbeat for over two minutes.")


class DomainAnswer(Envelope):
    domain: str
    database: str
    status: Literal["ok", "down", "not_configured"]
    detail: str | None = Field(None, description="Why it does not answer (503).")
