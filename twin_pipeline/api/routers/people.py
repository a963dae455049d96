"""`/person`, `/goals`, `/home`: the entities beside the daily sections."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import Response

from twin_pipeline.api.answers import EntityAnswer, enveloped
from twin_pipeline.api.auth import HOUSEHOLD, OWNER
from twin_pipeline.api.context import TwinApi, TwinApiDep
from twin_pipeline.api.routers import read_route
from twin_pipeline.core.briefing import person_line
from twin_pipeline.core.summary import home_line


def entity_answer(api: TwinApi, name: str, read: Callable[[], dict], line: Callable[[dict], str]) -> Response:
    """The entity's row at the top and under `data`, its line of text under `report`."""

    def document() -> dict:
        row = read()
        return enveloped(line(row), **row, data=row)

    return api.answer((name,), document)


router = APIRouter(tags=["entities"])


@read_route(router, "/person", EntityAnswer, access=OWNER, summary="The person: health metrics and goal progress")
def person(api: TwinApiDep) -> Response:
    return entity_answer(api, "person", api.reader.person, person_line)


@read_route(router, "/goals", access=OWNER, summary="The person's goals",
            description="A JSON list (no text envelope: existing callers index it).")
def goals(api: TwinApiDep) -> Response:
    return api.answer(("goals",), api.reader.goals)


@read_route(router, "/home", EntityAnswer, access=HOUSEHOLD, summary="The home: environment, devices, status")
def home(api: TwinApiDep) -> Response:
    return entity_answer(api, "home", api.reader.home, home_line)
