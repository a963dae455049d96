"""Whether the stored history is behind, for /health/ready and /metrics: the newest stored
day older than the 06:00 schedule should have left it (yesterday, from 06:30 in the
person's time zone), or no Dagster daemon heartbeat for over two minutes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.faults import kind_of
from twin_pipeline.urls import describe_url
from twin_pipeline.sqlfiles import load

# The 06:00 schedule materializes yesterday; half an hour later it has long finished.
YESTERDAY_DUE = time(6, 30)
HEARTBEAT_STALE = timedelta(minutes=2)
START = "start `twin up` (or `dagster-daemon run` beside your Dagster webserver)"


@dataclass(frozen=True)
class HistoryLook:
    """What one look found; `reasons` empty when the history is current."""

    newest_day: str | None
    newest_age_days: int | None  # today minus the newest stored day
    heartbeat_age_seconds: float | None  # None: no heartbeat found (or no Dagster storage to ask)
    reasons: tuple[str, ...]

    @property
    def behind(self) -> bool:
        return bool(self.reasons)

    @property
    def message(self) -> str:
        return "history behind: " + "; ".join(self.reasons)


def due_day(now: datetime, zone: ZoneInfo) -> date:
    """The oldest newest-day the history may hold now: yesterday from 06:30 local, else the day before."""
    local = now.astimezone(zone)
    return local.date() - timedelta(days=1 if local.time() >= YESTERDAY_DUE else 2)


class HistoryWatch:
    """Looks at the store's newest day and the daemon's heartbeat in Dagster's storage
    (`dagster`: an engine on it, read only; None when the API is not told where it is)."""

    def __init__(self, timezone_name: str, dagster: Engine | None, clock: Callable[[], datetime] | None = None):
        self.zone = ZoneInfo(timezone_name)
        self.dagster = dagster
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    def heartbeat(self) -> tuple[datetime | None, str | None]:
        """(the newest daemon heartbeat in UTC, why none could be read)."""
        where = describe_url(self.dagster.url.render_as_string(hide_password=True))
        try:
            with self.dagster.connect() as conn:
                if not conn.execute(load(__package__, "daemon_heartbeats_installed")).scalar_one():
                    return None, f"Dagster's storage at {where} has no daemon heartbeats table (no daemon ever ran on it)"
                newest = conn.execute(load(__package__, "daemon_heartbeat")).scalar_one()
        except SQLAlchemyError as exc:
            return None, f"Dagster's storage {kind_of(exc)} at {where}"
        if newest is None:
            return None, f"no daemon heartbeat in Dagster's storage at {where}"
        return datetime.fromtimestamp(newest, timezone.utc), None

    def look(self, newest_day: str | None) -> HistoryLook:
        now = self.clock()
        today, due = now.astimezone(self.zone).date(), due_day(now, self.zone)
        reasons = []
        age_days = None if newest_day is None else (today - date.fromisoformat(newest_day)).days
        if newest_day is None:
            reasons.append(f"the twin store holds no day yet (due: {due}); {START}, or run `twin snapshot`")
        elif date.fromisoformat(newest_day) < due:
            reasons.append(f"the newest stored day is {newest_day}, older than {due}; {START} so the daily "
                           f"schedule and the sensor catch up (`twin backfill --start {newest_day}` fills the gap now)")
        heartbeat_age = None
        if self.dagster is not None:
            beat, problem = self.heartbeat()
            if beat is not None:
                heartbeat_age = round(max(0.0, (now - beat).total_seconds()), 1)
                if now - beat > HEARTBEAT_STALE:
                    reasons.append(f"no Dagster daemon heartbeat for {heartbeat_age:.0f} s (since "
                                   f"{beat.isoformat(timespec='seconds')}): the daemon is not running; {START}")
            else:
                reasons.append(f"{problem}: the daemon is not running; {START}")
        return HistoryLook(newest_day, age_days, heartbeat_age, tuple(reasons))
