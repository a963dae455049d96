"""The push of today's new notable items to TWIN_NOTIFY_URL (the person's n8n webhook): once
per item, retried with backoff, each try recorded in the store's ledger (twin_notification)
so that a restart neither loses a delivery nor repeats one. The receiver can drop a repeat
that a crash between its answer and the ledger's commit would cause: every POST of the same
items carries the same `Idempotency-Key`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import urllib3
from sqlalchemy import Engine
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from twin_pipeline.core.notable import new_items, notice_text
from twin_pipeline.store import notable as ledger

ATTEMPTS = 4
TIMEOUT_SECONDS = 10.0


class PushFailed(RuntimeError):
    """The webhook refused the push or could not be reached."""


@dataclass(frozen=True)
class Delivery:
    """What a push of a day's new items came to."""

    sent: tuple[str, ...]  # item keys delivered by this push
    skipped: tuple[str, ...]  # item keys delivered before, or being sent by another run of the day
    tries: int
    error: str | None  # why the items are still owed (the next run of the day tries again)


def idempotency_key(person_id: str, day: date, keys: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([person_id, day.isoformat(), sorted(keys)]).encode()).hexdigest()


def payload(day: date, items: Sequence[Mapping]) -> dict:
    return {"date": day.isoformat(), "items": list(items), "text": notice_text(items)}


def _post(http: urllib3.PoolManager, url: str, body: bytes, key: str) -> None:
    response = http.request("POST", url, body=body, headers={
        "Content-Type": "application/json", "Idempotency-Key": key,
    }, retries=False, timeout=TIMEOUT_SECONDS)
    if response.status >= 300:
        raise PushFailed(f"the notification webhook answered HTTP {response.status}")


def push_new_items(
    engine: Engine, person_id: str, day: date, items: Sequence[Mapping], url: str,
    *, attempts: int = ATTEMPTS, backoff_seconds: float = 1.0,
) -> Delivery:
    """POST the day's new items not delivered yet, as one JSON document with their text.

    The ledger's rows are made (and committed) before the first try; the rows still owed are
    locked while they are sent, so a second run of the day waits for nothing and sends none of
    them twice. A failed try is tried again after backoff_seconds, doubling, `attempts` times
    in all; what is still owed then is left for the day's next run."""
    fresh = new_items(items)
    keys = [item["key"] for item in fresh]
    if not keys:
        return Delivery((), (), 0, None)
    with engine.begin() as conn:
        ledger.record_notifications(conn, person_id, day, keys)
    with engine.begin() as conn:
        owed = ledger.owed_notifications(conn, person_id, day, keys)
        if not owed:
            return Delivery((), tuple(keys), 0, None)
        sending = [item for item in fresh if item["key"] in owed]
        body = json.dumps(payload(day, sending), ensure_ascii=False).encode()
        key = idempotency_key(person_id, day, owed)
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=backoff_seconds, max=60 * backoff_seconds),
            retry=retry_if_exception_type((PushFailed, urllib3.exceptions.HTTPError)),
        )
        http = urllib3.PoolManager()
        error = None
        try:
            retrying(_post, http, url, body, key)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            # The URL may hold the webhook's secret: the reason names the failure, never the address.
            error = str(cause) if isinstance(cause, PushFailed) else f"the notification webhook is unreachable ({type(cause).__name__})"
        finally:
            http.clear()
        tries = retrying.statistics.get("attempt_number", 1)
        ledger.record_attempts(conn, person_id, day, owed, tries, error)
    sent = () if error else tuple(owed)
    return Delivery(sent, tuple(k for k in keys if k not in owed), tries, error)
