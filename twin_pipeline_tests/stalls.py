"""A database stalled under a served API, for real (a lock held by another session), and what
the API's other callers see meanwhile: the tests assert these figures and bench/api.py prints
them beside their targets.

- the twin store: `digital_twin_updates` locked ACCESS EXCLUSIVE, requests waiting on it, and
  /health/live timed;
- one source: its table locked for at least `slowed_seconds`, a change committed on another
  source, a whole-day answer waiting on the locked one, and concurrent /pantry calls timed.
"""

from __future__ import annotations

import statistics
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from twin_pipeline_tests.conftest import wait_until

WAITING = 6  # requests left waiting on the locked store
CALLS = 32  # concurrent /pantry calls while a source is slow
SLOWED_SECONDS = 2.0
WAITERS = "SELECT count(*) FROM pg_locks WHERE relation = CAST(:table AS regclass) AND NOT granted"


def call(url: str, key: str | None = None, timeout: float = 60) -> tuple[int, float, bytes]:
    """status, seconds, body of one GET."""
    request = urllib.request.Request(url, headers={"X-API-KEY": key} if key else {})
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, time.perf_counter() - began, response.read()
    except urllib.error.HTTPError as error:
        return error.code, time.perf_counter() - began, error.read()


@dataclass(frozen=True)
class StoreStall:
    live_seconds: float  # /health/live while the requests waited
    domain: tuple[int, float]  # /health/domain/pantry meanwhile (a worker thread, no store): status, seconds
    waiting: int  # requests seen waiting on the lock
    statuses: list[int]  # theirs, once the lock was released


def live_while_the_store_is_locked(base: str, key: str, store_url: str, days: list[date]) -> StoreStall:
    """/health/live timed while WAITING requests for days not asked before (answers not cached)
    wait on `digital_twin_updates`, locked by another session's open transaction, and a request
    that needs a worker thread but not the store (/health/domain/pantry): the waiting ones
    must not have taken every thread."""
    locker = create_engine(store_url, poolclass=NullPool)
    try:
        with locker.connect() as conn, ThreadPoolExecutor(WAITING) as pool:
            locking = conn.begin()
            conn.execute(text("LOCK TABLE digital_twin_updates IN ACCESS EXCLUSIVE MODE"))
            try:
                pending = [pool.submit(call, f"{base}/status?date={day}", key) for day in days[:WAITING]]

                def waiters() -> int:
                    return conn.execute(text(WAITERS), {"table": "digital_twin_updates"}).scalar()

                waiting = wait_until(lambda: (count := waiters()) >= WAITING and count,
                                     f"{WAITING} requests waiting on the locked digital_twin_updates",
                                     timeout=20, every=0.05, last=waiters)
                _, seconds, _ = call(f"{base}/health/live", timeout=10)
                domain, domain_seconds, _ = call(f"{base}/health/domain/pantry", key, timeout=10)
            finally:
                locking.rollback()
            return StoreStall(seconds, (domain, domain_seconds), waiting, [future.result()[0] for future in pending])
    finally:
        locker.dispose()


@dataclass(frozen=True)
class SourceStall:
    first_ms: float  # the first /pantry after the change: its own source read again, live
    p50_ms: float  # the CALLS concurrent ones after it
    p99_ms: float
    pantry_bodies: list[bytes]  # the /pantry answers, to check they saw the change
    whole_day_seconds: float  # the /status that waited on the slow source
    whole_day_status: int


def pantry_while_a_source_is_slow(base: str, key: str, slow_url: str, slow_table: str, pantry_url: str,
                                  change: str) -> SourceStall:
    """/pantry timed while `slow_table` of another source is locked (for at least
    SLOWED_SECONDS): `change` committed on the pantry source first, so today's answers must be
    read again, and a /status (which shows the slow source) waiting on the lock. The first
    /pantry reads its own source again (timed on its own: the pantry's read, not the stall);
    then CALLS concurrent ones, which the slow source must not delay."""
    locker = create_engine(slow_url, poolclass=NullPool)
    writer = create_engine(pantry_url, poolclass=NullPool)
    try:
        with locker.connect() as conn, ThreadPoolExecutor(CALLS + 1) as pool:
            locking = conn.begin()
            conn.execute(text(f"LOCK TABLE {slow_table} IN ACCESS EXCLUSIVE MODE"))
            locked_at = time.monotonic()
            try:
                with writer.begin() as pantry:
                    pantry.execute(text(change))
                whole_day = pool.submit(call, f"{base}/status", key)
                wait_until(lambda: conn.execute(text(WAITERS), {"table": slow_table}).scalar() >= 1,
                           f"/status waiting on the locked {slow_table}", timeout=20, every=0.05)
                first = call(f"{base}/pantry", key)
                answers = [first] + [future.result() for future in [pool.submit(call, f"{base}/pantry", key)
                                                                    for _ in range(CALLS)]]
                time.sleep(max(0.0, SLOWED_SECONDS - (time.monotonic() - locked_at)))  # the slowdown itself
            finally:
                locking.rollback()
            status, whole_day_seconds, _ = whole_day.result()
    finally:
        locker.dispose()
        writer.dispose()
    milliseconds = [seconds * 1000 for code, seconds, _ in answers[1:]]
    assert all(code == 200 for code, _, _ in answers), [(code, body[:200]) for code, _, body in answers]
    return SourceStall(answers[0][1] * 1000, statistics.median(milliseconds),
                       statistics.quantiles(milliseconds, n=100, method="inclusive")[98],
                       [body for _, _, body in answers], whole_day_seconds, status)
