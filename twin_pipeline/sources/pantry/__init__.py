"""autonomous_pantry: low stock and expiry as of each day; past days from the opt-in
history capture (pantry_inventory keeps only the current state)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from twin_pipeline.core.changes import CURRENT, until_yesterday, with_reach
from twin_pipeline.core.forecasting import implausible_counts
from twin_pipeline.core.pantry.forecast import (
    PANTRY_WINDOW_DAYS,
    pantry_forecasts,
    pantry_history_forecast_reach,
    pantry_history_needed_from,
)
from twin_pipeline.core.pantry.section import PantryItem, PantryVersion, inventory_at, pantry_section
from twin_pipeline.core.sections import Unavailable
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources.contract import ContractObject
from twin_pipeline.sources.spec import SourceRead, SourceSpec, WatchedTable, Window


def windows(days: list[date], settings: TwinSettings, history_read: bool = True) -> list[Window]:
    """The live inventory when today is in the run; the history the days and their 28-day
    forecasts read (also when the read failed: there is nothing else to go by)."""
    found = [("pantry.inventory", CURRENT, CURRENT)] if settings.today() in days else []
    if history_read:
        first = days[0] - timedelta(days=PANTRY_WINDOW_DAYS - 1)
        found.append(("pantry.history", first.isoformat(), days[-1].isoformat()))
    return found


def read(spec: SourceSpec, conn: Connection, days: list[date], settings: TwinSettings) -> SourceRead:
    """Today from pantry_inventory; past days from the opt-in history capture when it
    covers them, otherwise unavailable with the first day that can be reconstructed."""
    zone = ZoneInfo(settings.timezone)
    today = settings.today()
    installed = conn.execute(spec.sql("history_installed")).scalar()
    captured_since = conn.execute(spec.sql("history_capture_since")).scalar() if installed else None
    first_known = captured_since.astimezone(zone).date() if captured_since else today
    from_history = [day for day in days if first_known <= day < today]
    rows_read = 0
    inventories: dict[date, list[PantryItem]] = {}
    if today in days:
        inventories[today] = [PantryItem(*row) for row in conn.execute(spec.sql("inventory"))]
        rows_read += len(inventories[today])
    # The history serves past days, and every day's forecast (today's too) over its 28 days.
    versions, raw_versions = [], []
    if captured_since:
        day_end = {day: datetime.combine(day + timedelta(days=1), time(0), zone) for day in days}
        window = {"first_end": pantry_history_needed_from(days[0], zone), "last_end": max(day_end.values())}
        for row in conn.execute(spec.sql("history"), window):
            versions.append(PantryVersion(PantryItem(*row[:5]), row[5], row[6]))
            raw_versions.append(PantryVersion(PantryItem(row[0], row[7], *row[2:5]), row[5], row[6]))
        rows_read += len(versions)
        inventories.update(inventory_at({day: day_end[day] for day in from_history}, versions))
    forecasts = pantry_forecasts(days, raw_versions, first_known if captured_since else None, zone)

    if captured_since:
        missing = f"pantry history starts on {first_known.isoformat()}; earlier days cannot be reconstructed"
    else:
        missing = (
            "pantry_inventory keeps only the current state and its history capture is not installed "
            f"(twin pantry-history install); the first day that can be reconstructed is {today.isoformat()}"
        )
    documents = []
    for day in days:
        if day in inventories:
            section = pantry_section(day, inventories[day], expiry_window_days=settings.expiry_window_days)
            documents.append({**section.to_json(), "forecast": forecasts[day].to_json()})
        else:
            documents.append(Unavailable("pantry", day, missing).to_json())
    read_windows = windows(days, settings, history_read=captured_since is not None)
    return SourceRead(
        documents,
        rows_read,
        spec.fingerprints(conn, read_windows, settings.timezone),
        implausible_counts(forecasts.values()),
    )


SPEC = SourceSpec(
    name="pantry",
    entity_type="pantry",
    database="autonomous_pantry",
    package=__name__,
    description=(
        "Pantry as of each day: categories at or below their critical threshold, expired items "
        "and items expiring within the window, from autonomous_pantry. Today is read live; a past "
        "day comes from the opt-in history capture (twin pantry-history install) when it covers "
        "that day, and is marked unavailable otherwise."
    ),
    contract=(
        ContractObject(
            "table", "pantry_inventory",
            ("category", "current_quantity", "unit", "next_expiry", "critical_threshold", "updated_at"), True,
        ),
        ContractObject("table", "pantry_dictionary"),
    ),
    watched=(
        WatchedTable("pantry.inventory", ("pantry_inventory",), until_yesterday),
        # A past inventory reaches every later past day, and today's forecast.
        WatchedTable("pantry.history", ("pantry_inventory_history",),
                     with_reach(until_yesterday, pantry_history_forecast_reach)),
    ),
    read=read,
    windows=windows,
    plotted=("low_stock_count", "expiring_soon_count", "expired_count"),
    # The history capture is opt-in for existing databases (twin pantry-history install).
    migrations={"pantry": "migrations", "pantry_history": "history_capture"},
)
