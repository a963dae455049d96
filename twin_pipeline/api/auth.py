"""Who may read the twin: one key, sent as `X-API-KEY` or as a bearer token, enforced or,
while the person's clients migrate, only logged (TWIN_API_AUTH=warn)."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import FastAPI, HTTPException, Request

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
AuthMode = Literal["enforce", "warn"]
AUTH_MODES: tuple[AuthMode, ...] = ("enforce", "warn")
# Shorter keys can be guessed by anyone on the network; the placeholder is the one in deploy/.env.example.
MIN_KEY_LENGTH = 16
PLACEHOLDER_KEYS = {"change_me", "changeme"}

security_log = logging.getLogger("twin_pipeline.api.security")

SECURITY_SCHEMES = {
    "X-API-KEY": {"type": "apiKey", "in": "header", "name": "X-API-KEY",
                  "description": "The key from DIGITAL_TWIN_API_KEY (or TWIN_API_TOKEN), as the person's clients send it."},
    "Bearer": {"type": "http", "scheme": "bearer",
               "description": "The same key as `Authorization: Bearer <key>`, kept for existing clients."},
}


def weak_key_problem(key: str) -> str | None:
    """Why `key` must not guard an API others can reach (the placeholder, too short); None if it may."""
    if key.lower().replace("-", "_") in PLACEHOLDER_KEYS:
        return f"still the placeholder {key}"
    if len(key) < MIN_KEY_LENGTH:
        return f"of {len(key)} characters (at least {MIN_KEY_LENGTH})"
    return None


def presented_keys(request: Request) -> list[str]:
    """The keys a request carries, in X-API-KEY or as a bearer token."""
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    bearer = credential.strip() if scheme.lower() == "bearer" else ""
    return [key for key in (request.headers.get("x-api-key", ""), bearer) if key]


def key_guard(key: str | None, mode: AuthMode) -> Callable[[Request], Awaitable[None]] | None:
    """The dependency every guarded endpoint runs (None without a key: nothing to check):
    401 without a key, 403 with a wrong one (enforce), or a security warning naming the
    client and the path, never the key (warn). Headers are read directly rather than
    through FastAPI's security classes: two sub-dependencies per request cost a third of
    an answer from the cache."""
    if mode not in AUTH_MODES:
        raise ValueError(f"auth mode {mode!r} is not one of {', '.join(AUTH_MODES)} (TWIN_API_AUTH)")
    if mode == "warn" and key is None:
        raise ValueError("TWIN_API_AUTH=warn needs a key to warn about: set DIGITAL_TWIN_API_KEY")
    if key is None:
        return None
    expected = key.encode()

    async def authorized(request: Request) -> None:
        given = presented_keys(request)
        if any(hmac.compare_digest(value.encode(), expected) for value in given):
            return
        problem = "a wrong API key" if given else "no API key"
        if mode == "warn":
            client = request.client.host if request.client else "unknown address"
            security_log.warning(
                "%s from %s for %s %s: let through because TWIN_API_AUTH=warn",
                problem, client, request.method, request.url.path,
            )
            return
        if given:
            raise HTTPException(403, "wrong API key: send the key of DIGITAL_TWIN_API_KEY in X-API-KEY")
        raise HTTPException(
            401, "an API key is required: send it in X-API-KEY (or as Authorization: Bearer)",
            headers={"WWW-Authenticate": "Bearer"},
        )

    return authorized


def document_keys(app: FastAPI) -> None:
    """Name both ways of sending the key in the OpenAPI schema, for every operation that
    does not say otherwise (/health/live says it needs none)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            schema["security"] = [{name: []} for name in SECURITY_SCHEMES]
        return app.openapi_schema

    app.openapi = openapi
