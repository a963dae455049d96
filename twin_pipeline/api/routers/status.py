"""`/status`: the day's status text and its whole state, as n8n and the dashboards read it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response

from twin_pipeline.api.answers import StatusAnswer, enveloped, with_old_names
from twin_pipeline.api.context import TEXT, TwinApi
from twin_pipeline.api.routers import DAY_QUERY, read_route


def router(api: TwinApi) -> APIRouter:
    routes = APIRouter(tags=["status"])

    @read_route(routes, "/status", StatusAnswer, summary="The status text and the whole state of a day",
                description="`format=text` answers the text as text/plain (the status workflow reads it). "
                "JSON carries the text under `report`, `response_text` and `content`, the documents under "
                "`data`, and under `state` the same with the old names the Obsidian dashboard reads.")
    async def status(day: date | None = DAY_QUERY, format: Literal["json", "text"] = "json") -> Response:
        if format == "text":
            return api.answer(("status-text", day), lambda: api.status_text(api.reader.day(day)), TEXT)

        def document() -> dict:
            found = api.reader.day(day)
            state = {name: with_old_names(name, doc) for name, doc in found.entities.items()}
            return enveloped(api.status_text(found), as_of=found.as_of, data=found.entities, state=state)

        return api.answer(("status", day), document)

    return routes
