"""The API's routers, one per resource; every read endpoint answers GET and POST alike
(the person's n8n workflows POST to read endpoints), and declares who may read it (a Gate:
OPEN, HOUSEHOLD or OWNER, auth.py). An endpoint that reads a database is a plain `def`, which
FastAPI runs on a worker thread: a stalled database then holds that request's thread, never the
event loop that answers /health/live and every other request (only the endpoints that touch
nothing but memory are `async def`)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from twin_pipeline.api.answers import ErrorAnswer
from twin_pipeline.api.auth import Gate

READ_METHODS = ("GET", "POST")
ERRORS = {code: {"model": ErrorAnswer, "description": what} for code, what in {
    401: "No API key (TWIN_API_AUTH=enforce)",
    403: "A wrong API key (TWIN_API_AUTH=enforce), X-User-ID not the key's name, or a tier that may not read it",
    404: "No state for that day",
    413: "A request body over 64 KiB (only POST /health/history reads one)",
    422: "A parameter is malformed",
    503: "The twin store does not answer",
}.items()}

DAY_QUERY = Query(None, alias="date", description="YYYY-MM-DD; default: the newest day")


def read_route(
    router: APIRouter, path: str, answer: type[BaseModel] | None = None, *, access: Gate, errors: dict = ERRORS,
    **options,
) -> Callable[[Callable], Callable]:
    """Register an endpoint for GET and for POST, as two operations with their own ids, behind
    its gate; `answer` documents its JSON (the endpoint returns the serialized answer itself)."""
    responses = {**errors, **({200: {"model": answer}} if answer else {}), **options.pop("responses", {})}

    def register(endpoint: Callable) -> Callable:
        for method in READ_METHODS:
            router.add_api_route(path, endpoint, methods=[method], responses=responses,
                                 dependencies=[Depends(access)], **options)
        return endpoint

    return register
