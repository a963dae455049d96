"""`/history`: state rows newest first; `/health/history`: the health state of one day."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from twin_pipeline.api.answers import HealthAnswer
from twin_pipeline.api.auth import OWNER
from twin_pipeline.api.context import TwinApiDep
from twin_pipeline.api.routers import ERRORS, read_route
from twin_pipeline.api.routers.entities import section_answer
from twin_pipeline.sources import ENTITY_SOURCES

TARGET_DATE = "YYYY-MM-DD; default: the newest day"


class HistoryRequest(BaseModel):
    target_date: date | None = Field(None, description=TARGET_DATE)


router = APIRouter(tags=["history"])


@read_route(router, "/history", access=OWNER, summary="State rows, newest first, corrections marked",
            description="A JSON list (no text envelope: existing callers index it).")
async def history(
    api: TwinApiDep,
    limit: int = Query(10, ge=1, le=1000),
    entity_type: Literal[tuple(ENTITY_SOURCES)] | None = None,
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
) -> Response:
    return api.answer(("history", limit, entity_type, start, end),
                      lambda: api.reader.history(limit, entity_type, start, end))


@router.get("/health/history", dependencies=[Depends(OWNER)], summary="The health state of one day", responses={**ERRORS, 200: {"model": HealthAnswer}})
async def health_of_day(api: TwinApiDep, target_date: date | None = Query(None, description=TARGET_DATE)) -> Response:
    return section_answer(api, "health", target_date)


@router.post("/health/history", dependencies=[Depends(OWNER)], summary="The health state of one day (the history client's call)",
             description="`target_date` in a JSON body, as the person's history client sends it, or as a "
             "query parameter.", responses={**ERRORS, 200: {"model": HealthAnswer}})
async def health_of_day_posted(
    api: TwinApiDep,
    target_date: date | None = Query(None, description=TARGET_DATE),
    posted: HistoryRequest | None = Body(None),
) -> Response:
    return section_answer(api, "health", (posted.target_date if posted else None) or target_date)
