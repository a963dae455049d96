"""What is notable on a day: a watched figure out of the person's own norm, or something that
needs them (a budget about to run out, a planned expense due tomorrow, the pantry, a goal past
its target). Plain functions over the day's documents and the days before it; no database.

Each condition is an item with a key; an item is `new` only on the day its condition starts,
so the person hears of it once, however long it lasts.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

from twin_pipeline.core.summary import format_money, literal, ordinal

BASELINE_DAYS = 28  # the norm: the 28 days before the day
# The MAD of normal data times this is its standard deviation: 1 / the normal's 75th
# percentile (scipy.stats.median_abs_deviation's scale="normal"; the "1.4826" of robust z).
MAD_TO_SIGMA = 1.482602218505602
# The days before a day its items read: the baseline, and the day before the baseline's
# first (a month-to-date figure's increase).
LOOKBACK_DAYS = BASELINE_DAYS + 1
MIN_KNOWN_VALUES = 14  # fewer known values in the baseline: no judgement
MIN_SAME_WEEKDAY = 2  # a weekly metric's centre needs this many of the day's weekday
START_Z = 3.0  # beyond this the condition starts ...
END_Z = 2.0  # ... and it ends only once back within this (hysteresis)
# Before this many days of history nothing is announced: the norm is still being learnt.
LEARNING_DAYS = BASELINE_DAYS
# Iglewicz and Hoaglin's fallback when more than half the baseline is one value (MAD 0):
# the mean absolute deviation, scaled to a normal's standard deviation.
MEAN_AD_TO_SIGMA = math.sqrt(math.pi / 2)
OPEN_GOAL_STATUSES = ("Planning", "Active", "On Hold")

OUT_OF_NORM = "out_of_norm"
NEEDS_ACTION = "needs_action"
BUDGET_PREFIX = "finance.budget."
# The needs-action items by the start of their keys (TWIN_NOTIFY_AT_ONCE names them).
NEEDS_ACTION_KINDS = ("finance.budget", "finance.planned", "pantry.low", "pantry.expiring", "goals")
# The push (TWIN_NOTIFY_URL): an item out of norm goes out on its day, and so do these
# needs-action kinds (a bill due tomorrow is no use later); the other needs-action items wait
# for the next push, and once one has waited ACTION_WAIT_DAYS they go out on their own (a
# weekly round-up when nothing was out of norm). Measured on the demo decade: every
# needs-action item pushed on its day is a push on 7 days of 7 (bench/notable.py).
NOTIFY_AT_ONCE = ("finance.planned",)
ACTION_WAIT_DAYS = 7
# A condition that started longer ago than this when the push comes is not pushed any more
# (the briefing and /notable still list it): turning the push on sends no backlog.
OWED_DAYS = 14


@dataclass(frozen=True)
class WatchedMetric:
    """A figure of an entity's day document that is judged against the person's norm;
    each source declares its own (SourceSpec.watched_metrics)."""

    key: str  # the item's key: "<entity>.<name>", e.g. "health.readiness"
    path: str  # dotted path in the entity's document: "biometrics.readiness_score"
    label: str  # as the text names it: "Readiness"
    # The smallest difference the figure can show (a score's point, the scale's 0.1 kg): the
    # baseline's spread is never taken below it, so a flat baseline divides by no zero.
    resolution: float
    places: int = 0  # decimals in the text
    unit: str = ""  # " kg"; a metric in money names the document's currency with money=True
    money: bool = False
    # A dotted path to the date the figure was measured: it counts on that day only (a watch
    # not worn leaves the last reading in the document, which is not a new value).
    measured_on: str | None = None
    # The figure is a month-to-date total: the day's value is its increase over the day
    # before (on the 1st, the total itself).
    month_to_date: bool = False
    # A weekly rhythm: the centre is the median of the same weekdays, the spread that of
    # every day's distance from its own weekday's median.
    weekly: bool = False
    # A drift of its own (a cut or a bulk moves the weight by kilograms a month): the centre
    # is the baseline's robust (Theil-Sen) line carried to the day, the spread that of the
    # days' distances from the line, so a steady cut is not a jump and a jump is not hidden.
    trend: bool = False
    # The side of the norm that is notable: "above" (a day's spending below the usual needs no
    # one), "below" (a better night's score neither), or "both".
    side: Literal["both", "above", "below"] = "both"

    @property
    def entity(self) -> str:
        return self.key.split(".", 1)[0]


@dataclass(frozen=True)
class Baseline:
    """The person's norm for a figure on a day, from the known values of the 28 days before."""

    median: float  # the centre (a weekly metric's: of the day's weekday; a trending one's: its line on the day)
    mad: float  # the raw median absolute deviation (of the weekday residuals for a weekly metric)
    spread: float  # the z-score's denominator: 1.4826 * MAD, its fallbacks, at least the resolution
    days: int  # known values it was taken from

    def z(self, value: float) -> float:
        return (value - self.median) / self.spread

    def to_json(self) -> dict:
        return {"median": round(self.median, 4), "mad": round(self.mad, 4), "days": self.days}


def _dig(document: Mapping | None, path: str):
    value = document
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _usable(document: Mapping | None) -> bool:
    return document is not None and document.get("status") != "unavailable"


def metric_value(metric: WatchedMetric, day: date, document: Mapping | None, day_before: Mapping | None) -> float | None:
    """The figure's known value on the day, or None (no usable document, no reading that day)."""
    if not _usable(document):
        return None
    value = _dig(document, metric.path)
    if value is None or (metric.measured_on and _dig(document, metric.measured_on) != day.isoformat()):
        return None
    if metric.month_to_date and day.day != 1:
        before = _dig(day_before, metric.path) if _usable(day_before) else None
        if before is None:
            return None
        return float(value) - float(before)
    return float(value)


DocumentsByDay = Mapping[date, Mapping[str, Mapping]]  # day -> entity -> document


def metric_values(metric: WatchedMetric, documents: DocumentsByDay, days: Iterable[date]) -> dict[date, float]:
    """The known values of a figure on each of the days (a month-to-date one reads the day before too)."""
    values = {}
    for day in days:
        entity_documents = documents.get(day, {})
        before = documents.get(day - timedelta(days=1), {})
        value = metric_value(metric, day, entity_documents.get(metric.entity), before.get(metric.entity))
        if value is not None:
            values[day] = value
    return values


def baseline(metric: WatchedMetric, day: date, values: Mapping[date, float]) -> Baseline | None:
    """The norm of the figure on `day` from its known values over day-28..day-1; None with
    fewer than 14 of them (or, for a weekly metric, fewer than 2 of the day's weekday)."""
    window = [day - timedelta(days=back) for back in range(BASELINE_DAYS, 0, -1)]
    known = [(d, values[d]) for d in window if d in values]
    if len(known) < MIN_KNOWN_VALUES:
        return None
    observed = np.array([v for _, v in known], dtype=float)
    if metric.weekly:
        centres = {}
        for weekday in {d.weekday() for d, _ in known}:
            centres[weekday] = float(np.median([v for d, v in known if d.weekday() == weekday]))
        same_weekday = [v for d, v in known if d.weekday() == day.weekday()]
        if len(same_weekday) < MIN_SAME_WEEKDAY:
            return None
        centre = centres[day.weekday()]
        deviations = observed - np.array([centres[d.weekday()] for d, _ in known])
        spread_of = deviations
    elif metric.trend:
        offsets = np.array([(d - day).days for d, _ in known], dtype=float)
        slope, intercept = theil_sen(observed, offsets)
        centre = float(intercept)  # the line at offset 0: the day itself
        spread_of = observed - (intercept + slope * offsets)
    else:
        centre = float(np.median(observed))
        spread_of = observed
    mad = median_absolute_deviation(spread_of)
    spread = mad * MAD_TO_SIGMA
    if spread == 0:
        middle = float(np.median(spread_of))
        spread = float(np.mean(np.abs(spread_of - middle))) * MEAN_AD_TO_SIGMA
    return Baseline(centre, mad, max(spread, metric.resolution), len(known))


def _shown(metric: WatchedMetric, value: float, currency: str | None) -> str:
    if metric.money:
        return format_money(value, currency or "", places=metric.places).lstrip("+")
    return f"{value:,.{metric.places}f}{metric.unit}"


def out_of_norm_text(metric: WatchedMetric, day: date, value: float, norm: Baseline, currency: str | None) -> str:
    """⚠️ Readiness 52 (usually 80); a weekly metric says which weekday it is usually compared with."""
    usual = _shown(metric, norm.median, currency)
    if metric.weekly:
        usual += f" on {calendar.day_name[day.weekday()]}s"
    return f"⚠️ {metric.label} {_shown(metric, value, currency)} (usually {usual})"


@dataclass(frozen=True)
class Condition:
    """Something that holds on a day, before it is known whether it is new."""

    key: str
    kind: str
    value: float | str | None
    text: str
    baseline: dict | None = None


def out_of_norm(
    metric: WatchedMetric, day: date, values: Mapping[date, float], active: Mapping | None, currency: str | None
) -> Condition | None:
    """The figure's condition on `day`: it starts beyond |z| 3, and an active one (yesterday's
    item) lasts until |z| is back within 2. With no value or no baseline that day an active
    condition stands as it was: nothing says it ended."""
    value = values.get(day)
    norm = baseline(metric, day, values) if value is not None else None
    if norm is None:
        if active is None:
            return None
        return Condition(metric.key, OUT_OF_NORM, active["value"], active["text"], active["baseline"])
    z = norm.z(value)
    away = {"above": z, "below": -z, "both": abs(z)}[metric.side]
    if away <= (END_Z if active is not None else START_Z):
        return None
    return Condition(metric.key, OUT_OF_NORM, round(value, 4), out_of_norm_text(metric, day, value, norm, currency),
                     norm.to_json())


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def budget_conditions(day: date, finance: Mapping | None, active: Mapping[str, Mapping] | None = None) -> list[Condition]:
    """A budget forecast to run out before the month ends (or already spent). Once forecast
    so, it stays notable until the month ends: a forecast wavering around the month's last
    day would otherwise start (and announce) the same budget again and again. `active` is the
    day before's items by key."""
    if not _usable(finance):
        return []
    found = []
    carried = {key: item for key, item in (active or {}).items()
               if key.startswith(BUDGET_PREFIX) and date.fromisoformat(item["started_on"]).replace(day=1) == day.replace(day=1)}
    for budget in ((finance.get("forecast") or {}).get("budgets") or ()):
        name = literal((budget["category_path"] or budget["budget_id"]).rsplit(" > ", 1)[-1])
        if budget["status"] == "over":
            text = f"⚠️ {name} budget is spent"
        elif budget["status"] == "runs_out" and date.fromisoformat(budget["runs_out_on"]) <= _month_end(day):
            text = f"⚠️ {name} budget runs out by the {ordinal(date.fromisoformat(budget['runs_out_on']).day)}"
        else:
            continue
        found.append(Condition(f"{BUDGET_PREFIX}{budget['budget_id']}", NEEDS_ACTION, budget["runs_out_on"], text))
    holding = {condition.key for condition in found}
    found += [Condition(key, NEEDS_ACTION, item["value"], item["text"]) for key, item in carried.items() if key not in holding]
    return found


def planned_expense_conditions(day: date, finance: Mapping | None) -> list[Condition]:
    """A planned expense (finance forecast's `planned_expenses`) due tomorrow."""
    if not _usable(finance):
        return []
    tomorrow = (day + timedelta(days=1)).isoformat()
    currency = finance.get("currency") or ""
    return [
        Condition(f"finance.planned.{expense['name']}.{tomorrow}", NEEDS_ACTION, float(expense["amount"]),
                  f"⚠️ Tomorrow: {literal(expense['name'])} {format_money(expense['amount'], currency).lstrip('+')}")
        for expense in ((finance.get("forecast") or {}).get("planned_expenses") or ())
        if str(expense["expense_date"])[:10] == tomorrow
    ]


def pantry_conditions(pantry: Mapping | None) -> list[Condition]:
    """A pantry item at or below its threshold, or expiring within the person's window."""
    if not _usable(pantry):
        return []
    low = [Condition(f"pantry.low.{name}", NEEDS_ACTION, None, f"⚠️ {literal(name)} is running low")
           for name in pantry.get("low_stock") or ()]
    window = pantry.get("expiry_window_days")
    expiring = [Condition(f"pantry.expiring.{name}", NEEDS_ACTION, None,
                          f"⚠️ {literal(name)} expires within {window} days")
                for name in pantry.get("expiring_soon") or ()]
    return low + expiring


def goal_conditions(day: date, goals: Sequence[Mapping]) -> list[Condition]:
    """An open goal past its target date."""
    found = []
    for goal in goals:
        target = goal.get("target_date")
        if goal.get("status") not in OPEN_GOAL_STATUSES or target is None:
            continue
        target_day = target if isinstance(target, date) else date.fromisoformat(str(target)[:10])
        if target_day < day:
            found.append(Condition(f"goals.{goal['goal_code']}", NEEDS_ACTION, target_day.isoformat(),
                                   f"⚠️ {goal['goal_code']} {literal(goal['name'])} is past its target ({target_day})"))
    return found


def notable_day(
    day: date,
    first_day: date,
    metrics: Sequence[WatchedMetric],
    documents: DocumentsByDay,
    previous: Sequence[Mapping],
    goals: Sequence[Mapping] = (),
    values: Mapping[str, Mapping[date, float]] | None = None,
) -> list[dict]:
    """The items of `day`: every condition holding on it, with the day it started and
    whether that is today.

    `documents` holds the day and the 29 days before it (a month-to-date figure's first
    baseline day needs its day before); `previous` is the day before's items (its
    conditions carry their start); `first_day` is the twin's first day of history: nothing
    is out of norm, and nothing new, before 28 days of it. `values` are the figures' known
    values when already taken from the documents (a range's, once)."""
    active = {item["key"]: item for item in previous}
    learning = day < first_day + timedelta(days=LEARNING_DAYS)
    today = documents.get(day, {})
    conditions: list[Condition] = []
    if not learning:
        days = [day - timedelta(days=back) for back in range(BASELINE_DAYS, -1, -1)]
        for metric in metrics:
            currency = (today.get("finance") or {}).get("currency")
            series = values[metric.key] if values is not None else metric_values(metric, documents, days)
            found = out_of_norm(metric, day, series,
                                active.get(metric.key) if active.get(metric.key, {}).get("kind") == OUT_OF_NORM else None,
                                currency)
            if found is not None:
                conditions.append(found)
    conditions += budget_conditions(day, today.get("finance"), active)
    conditions += planned_expense_conditions(day, today.get("finance"))
    conditions += pantry_conditions(today.get("pantry"))
    conditions += goal_conditions(day, goals)
    items = []
    for condition in conditions:
        before = active.get(condition.key)
        items.append({
            "key": condition.key,
            "kind": condition.kind,
            "started_on": before["started_on"] if before is not None else day.isoformat(),
            "new": before is None and not learning,
            "value": condition.value,
            "baseline": condition.baseline,
            "text": condition.text,
        })
    return items


def notable_days(
    days: Sequence[date],
    first_day: date,
    metrics: Sequence[WatchedMetric],
    documents: DocumentsByDay,
    before_first: Sequence[Mapping],
    goals_of: Callable[[date], Sequence[Mapping]] = lambda day: (),
) -> dict[date, list[dict]]:
    """The items of consecutive days, each day's carried into the next (a backfill's range,
    the bench's decade); `before_first` are the items of the day before the first."""
    found: dict[date, list[dict]] = {}
    previous = before_first
    values = {metric.key: metric_values(metric, documents, documents) for metric in metrics}
    for day in days:
        previous = found[day] = notable_day(day, first_day, metrics, documents, previous, goals_of(day), values)
    return found


def push_candidates(day: date, items: Iterable[Mapping], first_day: date) -> list[Mapping]:
    """Of a day's items, those a push may still owe the person: holding on the day, started
    within OWED_DAYS of it and after the norm was learnt (an item of the first 28 days is
    never new, so never announced)."""
    announced_from = first_day + timedelta(days=LEARNING_DAYS)
    return [item for item in items
            if announced_from <= date.fromisoformat(item["started_on"]) and
            (day - date.fromisoformat(item["started_on"])).days < OWED_DAYS]


def push_due(day: date, owed: Iterable[Mapping], at_once: Sequence[str] = ()) -> bool:
    """Whether the items still owed (not delivered yet) go out today: something is out of
    norm, or a needs-action item whose key starts with one of `at_once` (TWIN_NOTIFY_AT_ONCE),
    or a needs-action item has waited ACTION_WAIT_DAYS."""
    prefixes = tuple(f"{kind}." for kind in at_once)
    return any(
        item["kind"] == OUT_OF_NORM or item["key"].startswith(prefixes)
        or (day - date.fromisoformat(item["started_on"])).days >= ACTION_WAIT_DAYS
        for item in owed
    )


def new_items(items: Iterable[Mapping]) -> list[Mapping]:
    return [item for item in items if item["new"]]


def notice_text(items: Iterable[Mapping]) -> str | None:
    """The text of the new items, one a line; None when nothing is new."""
    lines = [item["text"] for item in new_items(items)]
    return "\n".join(lines) if lines else None


def status_line(items: Iterable[Mapping]) -> str | None:
    """The status text's line: the new items in one line, or None when nothing is new."""
    texts = [item["text"].removeprefix("⚠️ ") for item in new_items(items)]
    return "⚠️ " + " · ".join(texts) if texts else None


# numpy's median, not scipy.stats: scipy would add 100 MB to the deployed image for these two.
def median_absolute_deviation(values: np.ndarray) -> float:
    """The median of the absolute deviations from the median (unscaled)."""
    return float(np.median(np.abs(values - np.median(values))))


def theil_sen(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Theil-Sen's robust line through (x, y): the median of the slopes between every two
    points with different x, and the intercept median(y) - slope * median(x) (as
    scipy.stats.theilslopes computes them with method="separate")."""
    dx = x[:, np.newaxis] - x
    dy = y[:, np.newaxis] - y
    slope = float(np.median(dy[dx > 0] / dx[dx > 0]))
    return slope, float(np.median(y) - slope * np.median(x))

