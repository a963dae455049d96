"""`/status`: the day's status text and its whole state, as n8n and the dashboards read it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from twin_pipeline.api.answers import StatusAnswer, enveloped, with_old_names
from twin_pipeline.api.auth import HOUSEHOLD, CallerDep
from twin_pipeline.api.context import TEXT, TwinApiDep
from twin_pipeline.api.freshness import DayView
from twin_pipeline.api.routers import DAY_QUERY, read_route


router = APIRouter(tags=["status"])


@read_route(router, "/status", StatusAnswer, access=HOUSEHOLD, summary="The status text and the whole state of a day",
            description="`format=text` answers the text as text/plain (the status workflow reads it). "
            "JSON carries the text under `report`, `response_text` and `content`, the documents under "
            "`data`, and under `state` the same with the old names the Obsidian dashboard reads. "
            "Today (no `date`, or today's) reflects every source change committed before the request: "
            "`freshness` says whether it was read live from the sources or is the stored state. "
            "A household key reads the pantry and the home only: `data` and `state` hold the pantry alone.")
def status(
    api: TwinApiDep, caller: CallerDep, day: date | None = DAY_QUERY, format: Literal["json", "text"] = "json"
) -> Response:
    if format == "text":
        return api.day_answer("status-text", day, lambda view: view.text, TEXT, caller.tier)

    def document(view: DayView) -> dict:
        state = {name: with_old_names(name, doc) for name, doc in view.entities.items()}
        return enveloped(view.text, as_of=view.as_of, data=view.entities, state=state, **view.fields())

    return api.day_answer("status", day, document, tier=caller.tier)
