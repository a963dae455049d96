"""Who may read what: every route declares its access (OPEN, HOUSEHOLD or OWNER) as a
dependency, a Gate; the caller is known from the key the request carries (identified once per
request by the middleware in metrics.py), `X-User-ID` must name that key, and a household key
reads only what a household route shows it. While the person's clients migrate to the owner's
key, requests without a valid key are only logged (TWIN_API_AUTH=warn) and read as the owner;
never beside a keys file, whose household keys that would bypass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from starlette.datastructures import Headers

from twin_pipeline.api.keys import LET_THROUGH, Caller, KeyRing, Refusal
from twin_pipeline.api.log_fields import api_logger
from twin_pipeline.settings import WARN_WITH_KEYS_FILE
from twin_pipeline.urls import is_placeholder

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# The Host names a keyless API answers (a name that resolves to 127.0.0.1 only by rebinding is refused).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
AuthMode = Literal["enforce", "warn"]
AUTH_MODES: tuple[AuthMode, ...] = ("enforce", "warn")
Access = Literal["open", "household", "owner"]
CALLER = "twin.caller"  # the ASGI scope's entry for the identified caller
REFUSAL = "twin.refusal"  # and for why a once good key is refused now (keys.Refusal)
# Shorter keys can be guessed by anyone on the network; the placeholder is the one in deploy/.env.example.
MIN_KEY_LENGTH = 16

security_log = api_logger("twin_pipeline.api.security")

SECURITY_SCHEMES = {
    "X-API-KEY": {"type": "apiKey", "in": "header", "name": "X-API-KEY",
                  "description": "The key from DIGITAL_TWIN_API_KEY (or TWIN_API_TOKEN), or a household "
                  "member's key from TWIN_API_KEYS_FILE, as the person's clients send it."},
    "Bearer": {"type": "http", "scheme": "bearer",
               "description": "The same key as `Authorization: Bearer <key>`, kept for existing clients."},
}


def weak_key_problem(key: str) -> str | None:
    """Why `key` must not guard an API others can reach (the placeholder, too short); None if it may."""
    if is_placeholder(key):
        return f"still the placeholder {key}"
    if len(key) < MIN_KEY_LENGTH:
        return f"of {len(key)} characters (at least {MIN_KEY_LENGTH})"
    return None


def presented_keys(headers: Headers) -> list[str]:
    """The keys a request carries, in X-API-KEY or as a bearer token."""
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    bearer = credential.strip() if scheme.lower() == "bearer" else ""
    return [key for key in (headers.get("x-api-key", ""), bearer) if key]


@dataclass(frozen=True)
class KeyPolicy:
    """The app's keys and what happens to a request without a valid one."""

    ring: KeyRing
    mode: AuthMode = "enforce"

    def __post_init__(self) -> None:
        if self.mode not in AUTH_MODES:
            raise ValueError(f"auth mode {self.mode!r} is not one of {', '.join(AUTH_MODES)} (TWIN_API_AUTH)")
        if self.mode == "warn" and not self.ring.required:
            raise ValueError("TWIN_API_AUTH=warn needs a key to warn about: set DIGITAL_TWIN_API_KEY")
        if self.mode == "warn" and self.ring.keys_file is not None:
            raise ValueError(WARN_WITH_KEYS_FILE)


class Gate:
    """The dependency declaring a route's access; it answers the caller the route serves.

    `open`: no key needed (the process is live, the dashboard's page); `household`: any key,
    the route itself showing a household key only the pantry and the home; `owner`: the
    owner's keys only, 403 naming the tier for a household key."""

    def __init__(self, access: Access):
        self.access = access

    def __repr__(self) -> str:
        return f"Gate({self.access!r})"

    async def __call__(self, request: Request) -> Caller | None:
        policy: KeyPolicy = request.app.state.keys
        caller: Caller | None = request.scope.get(CALLER)
        claimed = request.headers.get("x-user-id")
        if claimed is not None and (caller is None or claimed != caller.name):
            sent = f"the key sent ({caller.name!r})" if caller else "a key, and none valid was sent"
            raise HTTPException(403, f"X-User-ID {claimed!r} is not the name of {sent}: the user is "
                                "who the key belongs to, send their own key")
        if self.access == "open":
            return caller
        if caller is None:
            caller = self._unidentified(request, policy)
        if self.access == "owner" and caller.tier != "owner":
            raise HTTPException(403, f"the {caller.tier} tier reads the pantry and the home only: "
                                f"{request.url.path} is for the owner tier")
        return caller

    @staticmethod
    def _unidentified(request: Request, policy: KeyPolicy) -> Caller:
        """A request without a valid key: refused, or (warn) logged and read as the owner."""
        refusal: Refusal | None = request.scope.get(REFUSAL)
        if refusal is not None:
            raise HTTPException(401, refusal.reason, headers={"WWW-Authenticate": "Bearer"})
        given = presented_keys(request.headers)
        problem = "a wrong API key" if given else "no API key"
        if policy.mode == "warn":
            client = request.client.host if request.client else "unknown address"
            security_log.warning("%s from %s for %s %s: let through because TWIN_API_AUTH=warn",
                                 problem, client, request.method, request.url.path)
            request.scope[CALLER] = LET_THROUGH
            return LET_THROUGH
        if given:
            raise HTTPException(403, "wrong API key: send the key of DIGITAL_TWIN_API_KEY in X-API-KEY")
        raise HTTPException(401, "an API key is required: send it in X-API-KEY (or as Authorization: Bearer)",
                            headers={"WWW-Authenticate": "Bearer"})


OPEN, HOUSEHOLD, OWNER = Gate("open"), Gate("household"), Gate("owner")
# What a household route's endpoint receives: the caller, so it can show a household key its part.
CallerDep = Annotated[Caller, Depends(HOUSEHOLD)]


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
