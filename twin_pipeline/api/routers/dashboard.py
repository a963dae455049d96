"""`/dashboard`: years of money, weight and pantry at a glance. The page is a shell without
data (served without a key); its script reads `/dashboard/data` with the key the person
types, which the store answers with one set-based query per chart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ConfigDict, Field

from twin_pipeline.api.answers import ENVELOPE, Envelope, enveloped
from twin_pipeline.api.auth import HOUSEHOLD, OPEN, CallerDep
from twin_pipeline.api.context import JSON, TwinApi, TwinApiDep, serialized
from twin_pipeline.api.freshness import DayView
from twin_pipeline.api.keys import HOUSEHOLD_SECTIONS, Tier
from twin_pipeline.api.routers import DAY_QUERY, read_route
from twin_pipeline.core.forecast_review import THRESHOLD_PCT
from twin_pipeline.core.summary import home_line
from twin_pipeline.reader import NoState
from twin_pipeline.store.dashboard import (
    DayRange,
    body_measurements,
    budgets_of_day,
    coverage,
    month_end_accuracy,
    month_end_bands,
    monthly_net,
    pantry_counts,
    readiness_readings,
    runout_errors,
    state_bounds,
    workouts_per_week,
)
from twin_pipeline.store.reviews import review_totals
from twin_pipeline.store.schema import StoreError

Span = Literal["30d", "1y", "all"]
SPAN_DAYS = {"30d": 30, "1y": 365}
DAILY_UP_TO = 400  # days; a longer range's pantry chart shows each week's last day
PARAMETERS = {"range", "date"}
STATIC = files("twin_pipeline.api") / "static"
MEDIA_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", "": "text/plain; charset=utf-8"}
# The page runs only its own files and reads only this server: nothing from a CDN.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "connect-src 'self'; frame-ancestors 'none'")


class DashboardAnswer(Envelope):
    model_config = ConfigDict(extra="allow")
    as_of: str | None = Field(description="The selected day (the range ends on it), or null in an empty store.")
    data: dict = Field(description="One entry per chart (columns of equal length, nulls where a day has no "
                       "state), the day's status text, corrections and coverage per entity.")
    missing: list[str] = Field(description="What the store lacks in the range, in words; empty when nothing.")


@cache
def static_files() -> dict[str, tuple[bytes, str]]:
    """Every file under api/static/ by its path there, with its media type: the only files
    /dashboard/static/ serves (no path from a request ever reaches the file system)."""
    found: dict[str, tuple[bytes, str]] = {}

    def walk(folder, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.is_file():
                suffix = "." + entry.name.rsplit(".", 1)[1] if "." in entry.name else ""
                found[prefix + entry.name] = (entry.read_bytes(), MEDIA_TYPES.get(suffix, MEDIA_TYPES[""]))

    walk(STATIC, "")
    return found


# The page and its scripts: no data, so no key (the data endpoint asks for it).
page_router = APIRouter(tags=["dashboard"])


@read_route(page_router, "/dashboard", access=OPEN, errors={}, response_class=HTMLResponse, openapi_extra={"security": []},
            summary="The dashboard page (no data, no key needed: its script reads /dashboard/data)",
            description="An HTML page drawing /dashboard/data with the vendored uPlot; it asks for the "
            "API key when /dashboard/data refuses, and keeps it in the tab's sessionStorage.")
async def dashboard_page() -> Response:
    body, media_type = static_files()["dashboard.html"]
    return Response(body, media_type=media_type,
                    headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"})


@page_router.get("/dashboard/static/{name:path}", dependencies=[Depends(OPEN)], include_in_schema=False)
async def dashboard_static(name: str) -> Response:
    found = static_files().get(name)
    if found is None:
        raise HTTPException(404, f"no dashboard file {name!r}: the page's files are {', '.join(sorted(static_files()))}")
    return Response(found[0], media_type=found[1], headers={"Cache-Control": "max-age=3600"})


# The dashboard's data, behind the API key like every other read.
router = APIRouter(tags=["dashboard"])


@read_route(router, "/dashboard/data", DashboardAnswer, access=HOUSEHOLD,
            summary="Every chart of the dashboard over a range ending on a day",
            description="`range`: 30d, 1y (default) or all; `date`: the selected day, the last of the "
            "range (default: the newest day). Days the store lacks come back as nulls and are named "
            "under `missing`; unknown parameters are named there too.")
def dashboard_data(
    api: TwinApiDep, caller: CallerDep, request: Request, span: Span = Query("1y", alias="range"),
    day: date | None = DAY_QUERY,
) -> Response:
    unknown = tuple(sorted(set(request.query_params) - PARAMETERS))
    tier = caller.tier
    try:
        # Keyed without the unknown names, which a caller can invent without end: the cached
        # answer is served with them named.
        body = api.cached(("dashboard", tier, span, day), lambda: dashboard_answer(api, span, day, tier))
    except StoreError:
        # The cache could not tell the store's version (no person yet): nothing to cache;
        # the answer says what is missing.
        body = serialized(dashboard_answer(api, span, day, tier))
    if unknown:
        body = serialized(with_unknown_named(json.loads(body), unknown))
    return Response(body, media_type=JSON)


def with_unknown_named(answer: dict, unknown: tuple[str, ...]) -> dict:
    """The answer with the parameters the dashboard does not read named first under `missing`
    (and in the text, when the answer has no status text to show)."""
    missing = [f"unknown parameters ignored: {', '.join(unknown)} (the dashboard reads range and date)",
               *answer["missing"]]
    fields = {name: value for name, value in answer.items() if name not in ENVELOPE}
    return enveloped(answer["data"].get("status_text") or "; ".join(missing), **{**fields, "missing": missing})


def dashboard_answer(api: TwinApi, span: Span, day: date | None, tier: Tier = "owner") -> dict:
    """The dashboard's answer: every chart over the range ending on `day`, within what the
    store holds, and in words what it lacks there; a household key's the pantry's and the
    home's alone (the other charts absent, and the status text of the pantry and the home)."""
    notes: list[str] = []
    try:
        person = api.reader.person_id
    except StoreError as exc:
        return _answer(span, None, None, notes + [str(exc)], {})
    # One snapshot for every chart: a run writing meanwhile shows in all of them or in none.
    with api.reader.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        first_day, last_day = state_bounds(conn, person)
        if last_day is None:
            return _answer(span, day, None, notes + ["the twin store holds no state yet: run `twin snapshot` or `twin up`"], {})
        selected = day or date.fromisoformat(last_day)
        days = _range(span, selected, date.fromisoformat(first_day), date.fromisoformat(last_day))
        if days.first > days.last:
            notes.append(f"no state on {selected}: the twin store holds {first_day} .. {last_day}")
            return _answer(span, selected, None, notes, {"store": {"first_day": first_day, "last_day": last_day}})
        charts = _charts(conn, person, days, selected, api.weekly_workout_target, tier)
    try:
        found = api.reader.day(selected)
        view = DayView.stored(found, api.status_text(found))
        status_text = (view if tier == "owner" else api.household_view(view)).text
    except NoState as exc:
        status_text = None
        notes.append(str(exc))
    charts.update(home=_home(api.known(api.reader.home)), store={"first_day": first_day, "last_day": last_day},
                  status_text=status_text)
    notes += [chart["missing"] for chart in charts.values() if isinstance(chart, dict) and chart.get("missing")]
    return _answer(span, selected, (days.first, days.last), notes, charts, status_text)


def _range(span: Span, selected: date, first_day: date, last_day: date) -> DayRange:
    """The span ending on the selected day, within the days the store holds (empty, first
    after last, when the selected day lies beyond them by more than the span)."""
    earliest = first_day
    if span != "all":
        back = SPAN_DAYS[span] - 1
        earliest = max(first_day, selected - timedelta(days=back) if selected.toordinal() > back else date.min)
    latest = min(selected, last_day)
    return DayRange(earliest, latest, earliest == first_day, latest == last_day)


def _answer(span: Span, selected: date | None, bounds: tuple[date, date] | None, notes: list[str],
            charts: dict, status_text: str | None = None) -> dict:
    first, last = bounds or (None, None)
    charts = {"range": {"name": span, "first": _iso(first), "last": _iso(last)}, "selected_day": _iso(selected), **charts}
    report = status_text or "; ".join(notes) or "nothing to show"
    return enveloped(report, as_of=_iso(selected), data=charts, missing=notes)


def _charts(conn, person: str, days: DayRange, selected: date, weekly_target: int, tier: Tier) -> dict:
    """Every chart a tier sees: the owner all, a household key the pantry's (and its coverage) alone."""
    covered = {row["entity"]: row for row in coverage(conn, person, days)}
    corrected = covered.pop(None)
    if tier != "owner":
        covered = {entity: row for entity, row in covered.items() if entity in HOUSEHOLD_SECTIONS}
    gaps = {entity: _coverage_note(entity, row) for entity, row in covered.items()}
    stored = {entity: {key: row[key] for key in ("days", "stored", "unavailable", "degraded", "first_missing")}
              for entity, row in covered.items()}
    if tier != "owner":
        return {"pantry": _pantry(conn, person, days, gaps["pantry"]), "coverage": stored}
    return {
        "cashflow": _cashflow(monthly_net(conn, person, days), days.last, gaps["finance"]),
        "weight": _weight(body_measurements(conn, person, days), days.first, days.last, gaps["health"]),
        "readiness": _readiness(readiness_readings(conn, person, days), days.first, days.last),
        "workouts": _workouts(workouts_per_week(conn, person, _week_ends(days.first, days.last)), weekly_target),
        "budgets": _budgets(budgets_of_day(conn, person, selected), selected),
        "pantry": _pantry(conn, person, days, gaps["pantry"]),
        "forecasts": _forecasts(conn, person, days),
        "corrections": {"days": corrected["corrected_days"], "rows": int(corrected["replaced_rows"])},
        "coverage": stored,
    }


def _home(home: Mapping | None) -> dict:
    """The home as it is now (its line of the status text), beside the range's charts."""
    if home is None:
        return {"text": None, "operational_status": None, "last_updated": None,
                "note": "no home known yet: set TWIN_HOME_STATES and materialize the home asset"}
    return {"text": home_line(home), "operational_status": home.get("operational_status"),
            "last_updated": home.get("last_updated"), "note": None}


def _coverage_note(entity: str, row: Mapping) -> str | None:
    parts = []
    if row["days"] > row["stored"]:
        parts.append(f"no state on {row['days'] - row['stored']} of {row['days']} days")
    if row["unavailable"]:
        parts.append(f"unavailable on {row['unavailable']} days")
    if row["degraded"]:
        parts.append(f"degraded on {row['degraded']} days")
    if not parts:
        return None
    first = f" (first {row['first_missing']})" if row["first_missing"] else ""
    return f"{entity}: " + ", ".join(parts) + first


def _cashflow(rows: list[tuple], last: date, gap: str | None) -> dict:
    months = list(dict.fromkeys(month for month, *_ in rows))
    currencies = sorted({currency for _, _, currency, _ in rows if currency})
    net = {currency: [None] * len(months) for currency in currencies}
    place = {month: i for i, month in enumerate(months)}
    for month, _, currency, value in rows:
        if currency:
            net[currency][place[month]] = value
    running = [(as_of, currency, value) for month, as_of, currency, value in rows
               if currency and month == last.isoformat()[:7]]
    so_far = None
    if running:
        so_far = {"month": last.isoformat()[:7], "as_of": running[0][0],
                  "net": {currency: value for _, currency, value in running}}
    missing = gap
    if not currencies:
        missing = f"no finance state with a month-to-date net between {months[0]} and {months[-1]}"
    return {"months": months, "net": net, "month_so_far": so_far, "missing": missing}


def _weight(rows: list[tuple], first: date, last: date, gap: str | None) -> dict:
    days, weights, fats, trends = (list(column) for column in zip(*rows)) if rows else ([], [], [], [])
    notes = [gap] if gap else []
    if not rows:
        notes.append(f"no body measurement between {first} and {last}")
    elif all(fat is None for fat in fats):
        notes.append(f"body fat not measured between {first} and {last}")
    return {"days": days, "bodyweight_kg": weights, "bodyfat_pct": fats, "trend_kg": trends,
            "missing": "; ".join(notes) or None}


def _readiness(rows: list[tuple], first: date, last: date) -> dict:
    days, readiness, sleep, hrv = (list(column) for column in zip(*rows)) if rows else ([], [], [], [])
    # A note on the chart, not in the answer's `missing`: the health database is optional, and
    # an install without it (or days before it) lacks nothing the twin should have.
    note = None if rows else f"no readiness, sleep or HRV reading between {first} and {last}"
    return {"days": days, "readiness_score": readiness, "sleep_score": sleep, "hrv_ms": hrv, "note": note}


def _week_ends(first: date, last: date) -> list[date]:
    """The last day of each whole week counted back from `last` (a week's workouts are known
    from its last day's state, whatever the store holds before it)."""
    return [last - timedelta(days=7 * k) for k in range((last - first).days // 7, -1, -1)]


def _workouts(rows: list[tuple[str, int | None]], target: int) -> dict:
    absent = [as_of for as_of, count in rows if count is None]
    missing = None
    if absent:
        missing = f"workouts unknown for {len(absent)} of {len(rows)} weeks (no health state on their last day, first {absent[0]})"
    return {"weeks_ending": [as_of for as_of, _ in rows], "workouts": [count for _, count in rows],
            "target": target, "missing": missing}


def _budgets(rows: list[Mapping], selected: date) -> dict:
    budgets = [{k: v for k, v in row.items() if k != "status"} for row in rows if row["category_path"] is not None]
    missing = None
    if not rows:
        missing = f"no finance state on {selected}"
    elif rows[0]["status"] == "unavailable":
        missing = f"finance unavailable on {selected}"
    elif not budgets:
        missing = f"no budgets in the finance state of {selected}"
    return {"as_of": selected.isoformat(), "budgets": budgets, "missing": missing}


def _pantry(conn, person: str, days: DayRange, gap: str | None) -> dict:
    """Every day of a range up to DAILY_UP_TO days; each week's last day of a longer one: a
    decade of days is ten times the pixels of a chart, and reading a pantry state costs."""
    length = (days.last - days.first).days + 1
    weekly = length > DAILY_UP_TO
    shown = _week_ends(days.first, days.last) if weekly else [days.first + timedelta(days=n) for n in range(length)]
    rows = pantry_counts(conn, person, shown)
    as_of, low, expiring, expired = (list(column) for column in zip(*rows)) if rows else ([], [], [], [])
    return {"days": as_of, "low_stock": low, "expiring_soon": expiring, "expired": expired,
            "every": "week" if weekly else "day", "missing": gap}


def _forecasts(conn, person: str, days: DayRange) -> dict:
    """How good the forecasts made in the range were: the month-end projection's median
    accuracy by the day of the month it was made, each month-end projection with its 80 %
    range against the outcome (the band), each budget's run-out error in days, and per kind
    the summary of the forecasts scored in the range (count, mean absolute error in its unit,
    coverage of the ranges, median accuracy). None scored is a `note` on the chart, not a gap
    of the store: the newest forecasts always wait for their outcome."""
    accuracy = month_end_accuracy(conn, person, days)
    bands = month_end_bands(conn, person, days)
    by_kind = review_totals(conn, person, by_month=False, outcome_from=days.first,
                                  outcome_to=days.last).get(None, {})

    def column(name: str) -> list[float | None]:
        return [None if row[name] is None else float(row[name]) for row in bands]

    runouts = [{"category_path": row["subject"], "mean_error_days": float(row["mean_error_days"]),
                "mean_absolute_error_days": float(row["mean_absolute_error_days"]), "scored": row["scored"]}
               for row in runout_errors(conn, person, days)]
    note = None
    if not accuracy and not runouts:
        note = f"no forecast made between {days.first} and {days.last} has been scored yet (forecast_review)"
    return {
        "day_of_month": [dom for dom, _, _ in accuracy],
        "month_end_accuracy_pct": [None if median is None else float(median) for _, median, _ in accuracy],
        "month_end_scored": [scored for _, _, scored in accuracy],
        "threshold_pct": THRESHOLD_PCT["month_end_net"],
        "runouts": runouts,
        "month_end_band": {
            "made_on": [row["made_on"].isoformat() for row in bands], "predicted": column("predicted"),
            "low": column("range_low"), "high": column("range_high"), "actual": column("actual"),
        },
        "by_kind": {kind: summary.to_json() for kind, summary in by_kind.items()},
        "note": note,
    }


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
