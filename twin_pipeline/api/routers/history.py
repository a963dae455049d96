"""`/history`: state rows newest first; `/health/history`: the health state of one day."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from twin_pipeline.api.answers import HealthAnswer
from twin_pipeline.api.auth import OWNER
from twin_pipeline.api.bodies import HISTORY_BODY, TARGET_DATE, posted_day
from twin_pipeline.api.context import TwinApiDep
from twin_pipeline.api.routers import ERRORS, read_route
from twin_pipeline.api.routers.entities import section_answer
from twin_pipeline.sources import ENTITY_SOURCES


router = APIRouter(tags=["history"])


@read_route(router, "/history", access=OWNER, summary="State rows, newest first, corrections marked",
            description="A JSON list (no text envelope: existing callers index it).")
def history(
    api: TwinApiDep,
    limit: int = Query(10, ge=1, le=1000),
    entity_type: Literal[tuple(ENTITY_SOURCES)] | None = None,
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
) -> Response:
    return api.answer(("history", limit, entity_type, start, end),
                      lambda: api.reader.history(limit, entity_type, start, end))


@router.get("/health/history", dependencies=[Depends(OWNER)], summary="The health state of one day", responses={**ERRORS, 200: {"model": HealthAnswer}})
def health_of_day(api: TwinApiDep, target_date: date | None = Query(None, description=TARGET_DATE)) -> Response:
    return section_answer(api, "health", target_date)


@router.post("/health/history", dependencies=[Depends(OWNER)], summary="The health state of one day (the history client's call)",
             description="`target_date` in a JSON body, as the person's history client sends it, or as a "
             "query parameter. A body over 64 KiB is refused (413).", responses={**ERRORS, 200: {"model": HealthAnswer}},
             openapi_extra=HISTORY_BODY)
async def health_of_day_posted(
    api: TwinApiDep, request: Request, target_date: date | None = Query(None, description=TARGET_DATE),
) -> Response:
    posted = await posted_day(request)
    return await run_in_threadpool(section_answer, api, "health", posted or target_date)
