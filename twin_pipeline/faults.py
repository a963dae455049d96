"""What went wrong with a database, in words a person can act on; and retrying what may pass.

Every error that reaches a state document, a log line, the UI or a skip reason goes
through here: it names the database by host:port/database (never the password) and
says what kind of failure it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

T = TypeVar("T")

# SQLSTATE classes and codes (PostgreSQL appendix A).
_DENIED = {"28000", "28P01", "42501"}
_SCHEMA = {"42P01", "42703", "42883", "3F000"}
_TIMEOUT = {"57014"}
_NOT_TRANSIENT = {"3D000", *_DENIED, *_SCHEMA, *_TIMEOUT}


def _pgcode(exc: BaseException) -> str | None:
    return getattr(getattr(exc, "orig", exc), "pgcode", None)


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def kind_of(exc: BaseException) -> str:
    """A short name for the failure: 'unreachable', 'timed out', 'access denied', ..."""
    code, text = _pgcode(exc), _first_line(exc).lower()
    if code in _TIMEOUT or "statement timeout" in text:
        return "query timed out"
    if code in _DENIED or "password authentication failed" in text or "permission denied" in text:
        return "access denied"
    if code == "3D000" or ("database" in text and "does not exist" in text):
        return "database missing"
    if code in _SCHEMA:
        return "schema mismatch"
    if code == "25006" or "read-only transaction" in text:
        return "read only"
    if isinstance(exc, OperationalError) or isinstance(getattr(exc, "orig", None), OSError):
        return "unreachable"
    return "failed"


def describe(role: str, location: str, exc: BaseException) -> str:
    """`training database unreachable at host:5432/autonomous_training (connection refused)`."""
    detail = _first_line(exc)
    if "timeout expired" in detail:
        detail = "no answer before the connect timeout"
    return f"{role} database {kind_of(exc)} at {location} ({detail})"


def is_transient(exc: BaseException) -> bool:
    """Worth another try: the server could not be reached or dropped the connection."""
    if not isinstance(exc, DBAPIError):
        return False
    return _pgcode(exc) not in _NOT_TRANSIENT and kind_of(exc) == "unreachable"


def with_retries(
    attempt: Callable[[], T],
    *,
    retries: int,
    backoff_s: float,
    on_retry: Callable[[BaseException, float], None] = lambda exc, wait: None,
) -> T:
    """Call attempt(); on a transient failure wait backoff_s, 2x, 4x ... and try again."""
    failures = 0
    while True:
        try:
            return attempt()
        except SQLAlchemyError as exc:
            if failures >= retries or not is_transient(exc):
                raise
            wait = backoff_s * 2**failures
            on_retry(exc, wait)
            time.sleep(wait)
            failures += 1
