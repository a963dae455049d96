"""Request bodies, bounded: the API reads none over MAX_BODY_BYTES, whether its Content-Length
says so up front (413 before a byte of it is read) or its chunks add up to more on the way (413
once they do); the only body it reads, /health/history's, it reads after the route's gate."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin_pipeline.api.answers import error_answer

# The largest body a client of the API sends is {"target_date": "YYYY-MM-DD"}: 64 KiB leaves room
# for any client's padding while a caller cannot make the process hold more than that per request.
MAX_BODY_BYTES = 64 * 1024
TOO_LARGE = (f"request body over {MAX_BODY_BYTES} bytes (64 KiB): the API reads no more; "
             "/health/history takes {\"target_date\": \"YYYY-MM-DD\"}, every other endpoint no body")
TARGET_DATE = "YYYY-MM-DD; default: the newest day"


class BodyTooLarge(HTTPException):
    """A chunked body passed MAX_BODY_BYTES while a route read it (the error handlers answer 413)."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


class BoundedBodies:
    """ASGI middleware: 413 for a declared Content-Length over the limit without reading the
    body, and a count of the bytes a route reads, raising BodyTooLarge past the limit. What
    the client still sends after the answer, uvicorn drops unread (the connection stays open,
    so the client reads the 413 rather than a reset)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            refused = JSONResponse(error_answer(TOO_LARGE, TOO_LARGE), 413)
            return await refused(scope, receive, send)
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, counted, send)


class HistoryRequest(BaseModel):
    target_date: date | None = Field(None, description=TARGET_DATE)


# /health/history's body as the OpenAPI schema documents it (the route reads it itself: posted_day).
HISTORY_BODY = {"requestBody": {"required": False, "content": {
    "application/json": {"schema": HistoryRequest.model_json_schema()}}}}


async def posted_day(request: Request) -> date | None:
    """`target_date` from a JSON body (None without a body). Read in the endpoint, after its
    gate: FastAPI reads a body it is given as a parameter before it solves the dependencies,
    so a caller without a key could make the process read one."""
    body = await request.body()
    if not body:
        return None
    try:
        return HistoryRequest.model_validate_json(body).target_date
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]) from exc
