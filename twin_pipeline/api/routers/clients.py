"""The calls the person's n8n workflows already make: the planner's `/today`, the
reflection workflows' `/all`, and the briefing workflow's `/morning_briefing`."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from twin_pipeline.api.answers import AllAnswer, DayText, TodayAnswer, enveloped, with_old_names
from twin_pipeline.api.auth import HOUSEHOLD, CallerDep
from twin_pipeline.api.context import TwinApiDep
from twin_pipeline.api.freshness import DayView
from twin_pipeline.api.routers import DAY_QUERY, read_route
from twin_pipeline.core.briefing import everything_text, morning_briefing, today_dashboard


router = APIRouter(tags=["the person's workflows"])


@read_route(router, "/today", TodayAnswer, access=HOUSEHOLD, summary="Today's dashboard text (the planner workflow)",
            description="JSON in both formats: the planner asks for `format=text` and reads "
            "`response_text` (`📱 Today's Dashboard …`); `format=json` adds the documents under `data`.")
def today(api: TwinApiDep, caller: CallerDep, format: Literal["json", "text"] = "json") -> Response:
    def document(view: DayView) -> dict:
        text = today_dashboard(view.as_of, view.text)
        extra = {"data": view.entities, **view.fields()} if format == "json" else {}
        return enveloped(text, as_of=view.as_of, **extra)

    return api.day_answer(f"today-{format}", None, document, tier=caller.tier)


@read_route(router, "/all", AllAnswer, access=HOUSEHOLD, summary="Everything the twin knows about a day, in one answer",
            description="Every section as stored (forecasts included when a section carries them), "
            "the person, the goals and the home under `data`; the status text and goals due as text. "
            "A household key reads the pantry and the home only.")
def everything(api: TwinApiDep, caller: CallerDep, day: date | None = DAY_QUERY) -> Response:
    owner = caller.tier == "owner"

    def document(view: DayView) -> dict:
        goals = api.reader.goals() if owner else []
        # The names the person's clients read beside the documents' own (health:
        # readiness_score, sleep_score, hrv_ms at the top level).
        sections = {name: with_old_names(name, doc) for name, doc in view.entities.items()}
        person = {"person": api.known(api.reader.person), "goals": goals} if owner else {}
        data = {**sections, **person, "home": api.known(api.reader.home)}
        return enveloped(everything_text(view.text, goals, view.as_of), as_of=view.as_of, data=data,
                         **view.fields())

    return api.day_answer("all", day, document, tier=caller.tier)


@read_route(router, "/morning_briefing", DayText, access=HOUSEHOLD, summary="The 🌅 MORNING BRIEFING text (the briefing workflow)",
            description="Health, finance (month to date, budget), pantry, home and goals due; sections the "
            "twin knows nothing of (tasks) are left out; readiness, sleep and HRV each when known. "
            "A household key's briefing has the pantry and the home only.")
def briefing(api: TwinApiDep, caller: CallerDep, day: date | None = DAY_QUERY) -> Response:
    def document(view: DayView) -> dict:
        text = morning_briefing(
            view.as_of, view.entities, weekly_workout_target=api.weekly_workout_target,
            home=api.known(api.reader.home), goals=api.reader.goals() if caller.tier == "owner" else (),
            notable=api.notable_items(view) if caller.tier == "owner" else (),
        )
        return enveloped(text, as_of=view.as_of, **view.fields())

    return api.day_answer("briefing", day, document, tier=caller.tier)
