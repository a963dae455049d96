"""`/finance`, `/health`, `/pantry`: one section of a day, its dashboard figures at the top."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from fastapi import APIRouter
from fastapi.responses import Response

from twin_pipeline.api.answers import FinanceAnswer, HealthAnswer, PantryAnswer, enveloped, with_old_names
from twin_pipeline.api.auth import HOUSEHOLD, OWNER
from twin_pipeline.api.context import TwinApi, TwinApiDep
from twin_pipeline.api.freshness import DayView
from twin_pipeline.api.routers import DAY_QUERY, read_route
from twin_pipeline.core.summary import finance_line, health_line, month_end_text, pantry_line, planned_line
from twin_pipeline.reader import NoState

# Each section's answer, and who may read it.
ANSWERS = {"health": (HealthAnswer, OWNER), "finance": (FinanceAnswer, OWNER), "pantry": (PantryAnswer, HOUSEHOLD)}


def section_line(api: TwinApi, name: str, document: dict) -> str:
    if name == "health":
        return health_line(document, api.weekly_workout_target)
    if name == "pantry":
        return pantry_line(document)
    # The month's projection and its 80 % range, then the bills planned, under the day's figures.
    month_end = month_end_text(document.get("forecast") or {}) if document.get("status") != "unavailable" else None
    lines = (finance_line(document), None if month_end is None else f"📈 {month_end}", planned_line(document))
    return "\n".join(line for line in lines if line is not None)


def section_answer(api: TwinApi, name: str, day: date | None) -> Response:
    """The section's document with its old names, its status line and the document under `data`."""

    def document(view: DayView) -> dict:
        if name not in view.entities:
            raise NoState(f"no {name} state for {day or 'the newest day'}")
        found = view.entities[name]
        return enveloped(section_line(api, name, found), **with_old_names(name, found), data=found,
                         **view.section_fields(name))

    return api.day_answer(name, day, document, sections=(name,))


def section_endpoint(name: str) -> Callable:
    def one(api: TwinApiDep, day: date | None = DAY_QUERY) -> Response:
        return section_answer(api, name, day)

    one.__name__ = f"{name}_state"
    return one


router = APIRouter(tags=["sections"])
for section, (answer, access) in ANSWERS.items():
    read_route(router, f"/{section}", answer, access=access, summary=f"The {section} state of a day")(section_endpoint(section))
