"""The push of today's notable items to TWIN_NOTIFY_URL (the person's n8n webhook): each
condition once, retried with backoff, each try recorded in the store's ledger
(twin_notification, one row per item and the day it started) so that a restart neither loses
a delivery nor repeats one. An item out of norm goes out on its day; needs-action items wait
for the next push, a week at most (core/notable.py's push_due). The receiver can drop a
repeat that a crash between its answer and the ledger's commit would cause: every POST of
the same items carries the same `Idempotency-Key`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import urllib3
from sqlalchemy import Engine
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from twin_pipeline.core.notable import push_candidates, push_due
from twin_pipeline.store import notable as ledger

ATTEMPTS = 4
TIMEOUT_SECONDS = 10.0


class PushFailed(RuntimeError):
    """The webhook refused the push or could not be reached."""


@dataclass(frozen=True)
class Delivery:
    """What a push of a day's items came to."""

    sent: tuple[str, ...]  # item keys delivered by this push
    skipped: tuple[str, ...]  # item keys delivered before, or being sent by another run of the day
    tries: int
    error: str | None  # why the items are still owed (the next run tries again)
    waiting: tuple[str, ...] = ()  # needs-action item keys owed but not due yet (the next push takes them)


def idempotency_key(person_id: str, day: date, keys: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps([person_id, day.isoformat(), sorted(keys)]).encode()).hexdigest()


def payload(day: date, items: Sequence[Mapping]) -> dict:
    return {"date": day.isoformat(), "items": list(items), "text": "\n".join(item["text"] for item in items)}


def _post(http: urllib3.PoolManager, url: str, body: bytes, key: str) -> None:
    response = http.request("POST", url, body=body, headers={
        "Content-Type": "application/json", "Idempotency-Key": key,
    }, retries=False, timeout=TIMEOUT_SECONDS)
    if response.status >= 300:
        raise PushFailed(f"the notification webhook answered HTTP {response.status}")


def push_items(
    engine: Engine, person_id: str, day: date, items: Sequence[Mapping], url: str, first_day: date,
    *, at_once: Sequence[str] = (), attempts: int = ATTEMPTS, backoff_seconds: float = 1.0,
) -> Delivery:
    """POST the day's items still owed, when they are due (push_due), as one JSON document
    with their text.

    The ledger's rows are made (and committed) before the first try; the rows still owed are
    locked while they are sent, so a second run of the day waits for nothing and sends none of
    them twice. A failed try is tried again after backoff_seconds, doubling, `attempts` times
    in all; what is still owed then is left for the next run."""
    # Each condition is its key and the day it started: the ledger's row.
    pending = [(item, (item["key"], date.fromisoformat(item["started_on"])))
               for item in push_candidates(day, items, first_day)]
    if not pending:
        return Delivery((), (), 0, None)
    with engine.connect() as conn:
        delivered = ledger.delivered_notifications(conn, person_id, [pair for _, pair in pending])
    done = tuple(item["key"] for item, pair in pending if pair in delivered)
    owed = [(item, pair) for item, pair in pending if pair not in delivered]
    if not push_due(day, [item for item, _ in owed], at_once):
        return Delivery((), done, 0, None, tuple(item["key"] for item, _ in owed))
    with engine.begin() as conn:
        ledger.record_notifications(conn, person_id, [pair for _, pair in owed])
    with engine.begin() as conn:
        locked = set(ledger.owed_notifications(conn, person_id, [pair for _, pair in owed]))
        sending = [item for item, pair in owed if pair in locked]
        skipped = done + tuple(item["key"] for item, pair in owed if pair not in locked)
        if not sending:
            return Delivery((), skipped, 0, None)
        body = json.dumps(payload(day, sending), ensure_ascii=False).encode()
        key = idempotency_key(person_id, day, [item["key"] for item in sending])
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
        ledger.record_attempts(conn, person_id, [pair for _, pair in owed if pair in locked], tries, error)
    sent = () if error else tuple(item["key"] for item in sending)
    return Delivery(sent, skipped, tries, error)
