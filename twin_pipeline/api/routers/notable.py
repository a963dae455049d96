"""`/notable`: what is out of the person's norm, or needs them, on a day."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field

from twin_pipeline.api.answers import DayText, enveloped
from twin_pipeline.api.auth import OWNER
from twin_pipeline.api.context import TwinApiDep
from twin_pipeline.api.freshness import DayView
from twin_pipeline.api.routers import DAY_QUERY, read_route
from twin_pipeline.core.notable import notice_text


class NotableBaseline(BaseModel):
    median: float
    mad: float = Field(description="The median absolute deviation (unscaled); z = (value - median) / (1.4826 * mad).")
    days: int = Field(description="Known values in the 28 days before.")


class NotableItem(BaseModel):
    key: str = Field(examples=["health.readiness"])
    kind: Literal["out_of_norm", "needs_action"]
    started_on: str = Field(description="The day the condition started.")
    new: bool = Field(description="True only on the day the condition started.")
    value: float | str | None
    baseline: NotableBaseline | None = Field(description="The norm an out-of-norm value was judged against.")
    text: str = Field(examples=["⚠️ Readiness 52 (usually 80)"])


class NotableAnswer(DayText):
    items: list[NotableItem]


router = APIRouter(tags=["notable"])


@read_route(router, "/notable", NotableAnswer, access=OWNER, summary="What is out of the norm, or needs the person, on a day",
            description="Every condition holding on the day (`new` on the day it started); the text lists the "
            "new ones, one a line, or says nothing is new. Today (no `date`, or today's) is as fresh as `/status`.")
def notable(api: TwinApiDep, day: date | None = DAY_QUERY) -> Response:
    def document(view: DayView) -> dict:
        items = api.notable_items(view)
        text = notice_text(items) or f"Nothing new is notable on {view.as_of}"
        return enveloped(text, as_of=view.as_of, items=items, **view.fields())

    return api.day_answer("notable", day, document)
