"""Every error as the person's clients read it: its status code, `detail`, and a `report`
starting `❌ Error:`; paths of the person's other systems are named as theirs, not the twin's."""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from twin_pipeline.api.answers import error_answer
from twin_pipeline.faults import kind_of
from twin_pipeline.reader import NoState
from twin_pipeline.store.schema import StoreError

# Words in a path's first segment -> the system the person's old API served it for.
OTHER_SYSTEMS = {
    "career": "career data", "harvest": "content harvest", "coffee": "coffee logging",
    "os": "the personal OS", "maps": "maps", "map": "maps", "tasks": "tasks", "task": "tasks",
    "vision": "vision",
}
SERVED = "/status, /today, /all, /morning_briefing, /finance, /health, /pantry, /history, /person, /goals, /home, /notable, /dashboard"


def other_system(path: str) -> str | None:
    first = path.strip("/").split("/", 1)[0].lower()
    return next((OTHER_SYSTEMS[w] for w in re.split(r"[-_.]", first) if w in OTHER_SYSTEMS), None)


def not_found_message(path: str) -> str:
    system = other_system(path)
    if system is not None:
        return f"{path} belongs to {system}, another system: the twin does not serve it (it serves {SERVED})"
    return f"no endpoint {path}: the twin serves {SERVED} (see /docs)"


def _invalid(errors: list[dict]) -> str:
    def one(error: dict) -> str:
        where = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        return f"{where}: {error.get('msg', 'invalid')}"

    return "invalid request: " + "; ".join(one(error) for error in errors)


def install_error_handlers(app: FastAPI, store_location: str) -> None:
    """Errors keep their codes and `detail`; each gains the `❌ Error:` text."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = str(exc.detail)
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = not_found_message(request.url.path)
        elif exc.status_code == 405:
            message = f"{request.method} is not served on {request.url.path}: use GET or POST"
        return JSONResponse(error_answer(exc.detail, message), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = jsonable_encoder(exc.errors())
        return JSONResponse(error_answer(errors, _invalid(errors)), 422)

    @app.exception_handler(NoState)
    async def no_state(request: Request, exc: NoState) -> JSONResponse:
        return JSONResponse(error_answer(str(exc), str(exc)), 404)

    @app.exception_handler(SQLAlchemyError)
    async def store_down(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        message = f"twin store {kind_of(exc)} at {store_location}; try again shortly"
        return JSONResponse(error_answer(message, message), 503)

    @app.exception_handler(StoreError)
    async def store_unusable(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse(error_answer(str(exc), str(exc)), 503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        message = f"{type(exc).__name__} while answering {request.url.path}; the API log has the details"
        return JSONResponse(error_answer(message, message), 500)
