"""The twin grading its own forecasts: each forecast of a day D scored against what the
twin's own later states say happened, once that outcome is known, and never before.

Pure functions over the states' documents (`as_of` -> document, the newest state of each
day). A review made on outcome day E reads states dated up to E only. The rules (docs/forecasts.md,
"How good the forecasts were: forecast_review"):

  error = predicted - actual; accuracy_pct = round(100 * (1 - |error| / |actual|), 2) when
  the actual is a non-zero amount, else null with a reason. Day-valued forecasts (budget
  run-out, pantry threshold) are scored in days after D: predicted = predicted day - D,
  actual = actual day - D (never 0: on D neither had happened yet).

  * month_end_net (subject: the currency): D's forecast.month_end_net_projected against the
    mtd_net of the last day of D's month, in the same currency; outcome day: that last day.
  * budget_run_out (subject: the budget's category path): each budget of D's forecast that
    is `runs_out` or `lasts` (the others are already over, or Fixed: paid once, no pace),
    against the day the month's total reached its amount (the month's last state: `over`
    and its runs_out_on) or never. `lasts` and never both count as the first day of the
    next month. Outcome day: the month's last day.
  * weight_28d (no subject): D's bodyweight_kg + 4 x weight_trend_kg_per_week (rounded to
    2 places) against the bodyweight_kg as of D+28, only when that measurement is dated
    after D+20. Outcome day: D+28.
  * pantry_threshold (subject: the category): each reaches_threshold_on P at most 28 days
    after D against the first day X after D whose pantry state lists the category in
    low_stock (at or below its threshold). Outcome day: X when X <= P+14, else P+14 with a
    null actual ("not reached by P+14"). Only days with a usable pantry state are looked at.

A forecast made on its outcome day (zero horizon: a month's last day) is not scored. Each
review carries the 80 % range its state gave the forecast (core/forecast_ranges.py; in the
forecast's own unit, days after D for a day) and in_range: the actual within it. A pantry
forecast whose category was not low by P+14 counts as reached on P+15, the earliest it
still can be, so its range held when the range reaches that far.

A day's state that is missing or `unavailable` scores nothing (it is scored when it is
restated). No review reaches back more than READ_BACK_DAYS before its outcome day.
"""

from __future__ import annotations

import bisect
import calendar
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from operator import attrgetter
from typing import Literal, NamedTuple

from twin_pipeline.core.sections import iso, numeric_div, round2

Kind = Literal["month_end_net", "budget_run_out", "weight_28d", "pantry_threshold"]
KINDS: tuple[Kind, ...] = ("month_end_net", "budget_run_out", "weight_28d", "pantry_threshold")

# The person's own bar (their "ghost schema reporter"): finance forecasts are good at 80 %,
# health ones at 85 %. The pantry is household money and stock, so the finance bar.
THRESHOLD_PCT: dict[str, int] = {
    "month_end_net": 80, "budget_run_out": 80, "weight_28d": 85, "pantry_threshold": 80,
}
UNITS: dict[str, str] = {"month_end_net": "currency", "budget_run_out": "days", "weight_28d": "kg",
                         "pantry_threshold": "days"}

WEIGHT_HORIZON_DAYS = 28
WEIGHT_FRESH_AFTER_DAYS = 20  # the reading as of D+28 must be dated after D+20
PANTRY_HORIZON_DAYS = 28  # a threshold day further out is not scored (the window it came from)
PANTRY_GRACE_DAYS = 14
# The furthest an outcome day lies after the day its forecast was made (pantry: 28 + 14);
# month ends and D+28 are nearer.
READ_BACK_DAYS = PANTRY_HORIZON_DAYS + PANTRY_GRACE_DAYS


class Review(NamedTuple):
    """One forecast, scored. (A named tuple: a decade's backfill scores about 150,000.)"""

    kind: Kind
    subject: str
    made_on: date
    outcome_on: date
    predicted: Decimal
    actual: Decimal | None
    error: Decimal | None
    accuracy_pct: Decimal | None
    reason: str | None = None  # why accuracy_pct is null
    range_low: Decimal | None = None  # the forecast's 80 % range, in its own unit
    range_high: Decimal | None = None
    in_range: bool | None = None  # null without a range


Range = tuple[Decimal, Decimal] | None


def score(kind: Kind, subject: str, made_on: date, outcome_on: date, predicted: Decimal,
          actual: Decimal | None, missing: str | None = None, made_range: Range = None,
          in_range: bool | None = None) -> Review:
    """error, accuracy_pct and in_range by the rule; `missing` says why there is no actual
    (then `in_range` says whether the range held, when that is known)."""
    low, high = made_range or (None, None)
    if actual is None:
        return Review(kind, subject, made_on, outcome_on, predicted, None, None, None, missing, low, high,
                      in_range if made_range else None)
    error, accuracy = _scored(predicted, actual)
    return Review(kind, subject, made_on, outcome_on, predicted, actual, error, accuracy,
                  "the actual is 0" if accuracy is None else None, low, high,
                  low <= actual <= high if made_range else None)


@lru_cache(maxsize=65536)
def _scored(predicted: Decimal, actual: Decimal) -> tuple[Decimal, Decimal | None]:
    """(error, accuracy_pct). Cached: day-valued forecasts (budgets, pantry) are a few
    hundred pairs of small numbers, scored about 140,000 times in a decade, and the exact
    division is the costly part."""
    error = predicted - actual
    if actual == 0:
        return error, None
    return error, round2(100 - numeric_div(100 * abs(error), abs(actual)))


def _number(value: float | int | str | None) -> Decimal | None:
    # Through str: a JSON float 0.1 is the decimal 0.1 it was written from.
    return None if value is None else Decimal(str(value))


def _usable(document: Mapping | None) -> bool:
    return document is not None and document.get("status") != "unavailable"


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def weight_28d_point(document: Mapping) -> Decimal | None:
    """D's 28-day weight forecast: bodyweight_kg + 4 x weight_trend_kg_per_week, 2 places."""
    trend = _number((document.get("trends") or {}).get("weight_trend_kg_per_week"))
    weight = _number((document.get("body_composition") or {}).get("bodyweight_kg"))
    return None if trend is None or weight is None else round2(weight + 4 * trend)


def _amount_range(made: Mapping | None) -> Range:
    return None if not made else (_number(made["low"]), _number(made["high"]))


def _day_range(made: Mapping | None, made_on: date) -> Range:
    if not made:
        return None
    return (_days(date.fromisoformat(made["earliest"]), made_on), _days(date.fromisoformat(made["latest"]), made_on))


_DAYS = [Decimal(n) for n in range(400)]


def _days(later: date, earlier: date) -> Decimal:
    # The same few Decimals for every day-valued forecast (the cache in _scored keys on them).
    n = (later - earlier).days
    return _DAYS[n] if 0 <= n < len(_DAYS) else Decimal(n)


def finance_reviews(finance: Mapping[date, Mapping]) -> list[Review]:
    """month_end_net and budget_run_out of every day whose month's last state is known."""
    reviews = []
    for made_on, document in sorted(finance.items()):
        forecast = document.get("forecast") if _usable(document) else None
        outcome_on = month_end(made_on)
        outcome = finance.get(outcome_on)
        if not forecast or not _usable(outcome):
            continue
        projected = _number(forecast.get("month_end_net_projected"))
        currency = forecast.get("currency")
        if projected is not None and outcome.get("currency") == currency and outcome.get("mtd_net") is not None:
            reviews.append(score("month_end_net", currency, made_on, outcome_on, projected,
                                 _number(outcome["mtd_net"]),
                                 made_range=_amount_range(forecast.get("month_end_net_range"))))
        at_month_end = {b["budget_id"]: b for b in (outcome.get("forecast") or {}).get("budgets") or ()}
        after_month = outcome_on + timedelta(days=1)
        for budget in forecast.get("budgets") or ():
            final = at_month_end.get(budget["budget_id"])
            if budget["status"] not in ("runs_out", "lasts") or final is None:
                continue
            predicted_on = date.fromisoformat(budget["runs_out_on"]) if budget["status"] == "runs_out" else after_month
            reached_on = date.fromisoformat(final["runs_out_on"]) if final["status"] == "over" else after_month
            subject = budget.get("category_path") or budget["budget_id"]
            reviews.append(score("budget_run_out", subject, made_on, outcome_on,
                                 _days(predicted_on, made_on), _days(reached_on, made_on),
                                 made_range=_day_range(budget.get("runs_out_range"), made_on)))
    return reviews


def weight_reviews(health: Mapping[date, Mapping]) -> list[Review]:
    """weight_28d of every day whose D+28 state has a reading dated after D+20."""
    reviews = []
    for made_on, document in sorted(health.items()):
        outcome_on = made_on + timedelta(days=WEIGHT_HORIZON_DAYS)
        outcome = health.get(outcome_on)
        if not _usable(document) or not _usable(outcome):
            continue
        predicted = weight_28d_point(document)
        later = outcome.get("body_composition") or {}
        measured_on = later.get("measurement_date")
        actual = _number(later.get("bodyweight_kg"))
        fresh_after = made_on + timedelta(days=WEIGHT_FRESH_AFTER_DAYS)
        if predicted is None or actual is None or measured_on is None:
            continue
        if date.fromisoformat(measured_on) <= fresh_after:
            continue
        reviews.append(score("weight_28d", "", made_on, outcome_on, predicted, actual,
                             made_range=_amount_range((document.get("trends") or {}).get("weight_28d_range"))))
    return reviews


def pantry_reviews(pantry: Mapping[date, Mapping]) -> list[Review]:
    """pantry_threshold of every forecast with a threshold day, its outcome day the first
    low day or P+14 (the caller keeps those whose outcome day its states reach)."""
    usable_days = sorted(day for day, document in pantry.items() if _usable(document))
    low_days: dict[str, list[date]] = {}
    for day in usable_days:
        for category in pantry[day].get("low_stock") or ():
            low_days.setdefault(category, []).append(day)
    reviews = []
    for made_on in usable_days:
        categories = (pantry[made_on].get("forecast") or {}).get("categories") or ()
        for forecast in categories:
            if forecast.get("reaches_threshold_on") is None:
                continue
            predicted_on = date.fromisoformat(forecast["reaches_threshold_on"])
            if (predicted_on - made_on).days > PANTRY_HORIZON_DAYS:
                continue
            category = forecast["category"]
            deadline = predicted_on + timedelta(days=PANTRY_GRACE_DAYS)
            lows = low_days.get(category, [])
            position = bisect.bisect_right(lows, made_on)
            reached_on = lows[position] if position < len(lows) else None
            predicted = _days(predicted_on, made_on)
            made_range = _day_range(forecast.get("reaches_threshold_range"), made_on)
            if reached_on is not None and reached_on <= deadline:
                reviews.append(score("pantry_threshold", category, made_on, reached_on, predicted,
                                     _days(reached_on, made_on), made_range=made_range))
            else:
                # Scored only if some usable state in (D, P+14] was looked at.
                looked = bisect.bisect_right(usable_days, deadline) - bisect.bisect_right(usable_days, made_on)
                if looked:
                    reviews.append(score("pantry_threshold", category, made_on, deadline, predicted, None,
                                         f"not at or below the threshold by {iso(deadline)}", made_range,
                                         made_range is not None and made_range[1] > _days(deadline, made_on)))
    return reviews


def review_forecasts(
    outcome_days: Iterable[date],
    finance: Mapping[date, Mapping],
    health: Mapping[date, Mapping],
    pantry: Mapping[date, Mapping],
) -> list[Review]:
    """Every forecast whose outcome day is one of outcome_days and lies after the day it was
    made, from the states given (those dated READ_BACK_DAYS before the first outcome day
    through the last one). Each review reads only states dated up to its outcome day."""
    wanted = set(outcome_days)
    if not wanted:
        return []
    last = max(wanted)

    def upto(states: Mapping[date, Mapping]) -> dict[date, Mapping]:
        return {day: document for day, document in states.items() if day <= last}

    by_kind: dict[str, list[Review]] = {kind: [] for kind in KINDS}
    for review in (*finance_reviews(upto(finance)), *weight_reviews(upto(health)), *pantry_reviews(upto(pantry))):
        if review.outcome_on in wanted and review.outcome_on > review.made_on:
            by_kind[review.kind].append(review)
    # Ordered by (outcome_on, kind in KINDS order, made_on, subject): each kind by (made_on,
    # subject), the kinds in order, then a stable sort by outcome_on (keys read in C: a
    # decade's 150,000 reviews sort in a tenth of the time a tuple-building key takes).
    found: list[Review] = []
    for kind in KINDS:
        found += sorted(by_kind[kind], key=_MADE_ON_SUBJECT)
    found.sort(key=_OUTCOME_ON)
    return found


_MADE_ON_SUBJECT = attrgetter("made_on", "subject")
_OUTCOME_ON = attrgetter("outcome_on")


def review_reach(changed: date) -> date:
    """The last outcome day a state of `changed` can touch: as a forecast (its month's end,
    D+28, a pantry day up to D+28 plus 14) or as an outcome."""
    return max(month_end(changed), changed + timedelta(days=READ_BACK_DAYS))


def with_outcome_days(stale: Iterable[date], today: date) -> set[date]:
    """The stale days and the outcome days their restated states can change (through
    review_reach of each, never past today), so forecast_review rescoring them rides in the
    same run."""
    days = sorted(set(stale))
    reached: set[date] = set(days)
    horizon = None  # days up to here are already in
    for day in days:
        last = min(review_reach(day), today)
        start = day if horizon is None or horizon < day else horizon
        reached.update(start + timedelta(days=i) for i in range((last - start).days + 1))
        horizon = max(horizon or last, last)
    return reached


# Date forecasts are judged in days: a percent of a day count says little (a day late on a
# 2-day forecast is "50 %"); their accuracy_pct stays in the rows, out of the summaries.
DAY_KINDS = frozenset(kind for kind, unit in UNITS.items() if unit == "days")


@dataclass(frozen=True, slots=True)
class KindSummary:
    """A kind's record: how many were scored, how far off they were in the kind's own unit,
    how often the outcome fell inside its 80 % range (coverage_pct), and the median accuracy
    (amounts only; a median, since the accuracy formula is unbounded below)."""

    kind: str
    unit: str
    count: int
    scored: int  # with an accuracy
    mean_accuracy_pct: Decimal | None  # kept for existing clients; no summary shows it
    mean_absolute_error: Decimal | None
    within_threshold: int
    threshold_pct: int
    median_accuracy_pct: Decimal | None = None
    ranged: int = 0  # made with a range
    in_range: int = 0
    currency: str | None = None  # month end: the currency of the amounts

    @property
    def within_threshold_share(self) -> Decimal | None:
        return None if not self.count else round2(numeric_div(Decimal(100 * self.within_threshold), self.count))

    @property
    def coverage_pct(self) -> Decimal | None:
        return None if not self.ranged else round2(numeric_div(Decimal(100 * self.in_range), self.ranged))

    def to_json(self) -> dict:
        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "kind": self.kind, "unit": self.unit, "count": self.count, "scored": self.scored,
            "mean_accuracy_pct": number(self.mean_accuracy_pct),
            "mean_absolute_error": number(self.mean_absolute_error),
            "threshold_pct": self.threshold_pct, "within_threshold": self.within_threshold,
            "within_threshold_pct": number(self.within_threshold_share),
            "median_accuracy_pct": number(self.median_accuracy_pct),
            "ranged": self.ranged, "in_range": self.in_range, "coverage_pct": number(self.coverage_pct),
        }


@dataclass(frozen=True, slots=True)
class KindTotals:
    """What a kind's summary is made of: the sums over its reviews (the store adds them up
    in SQL for a decade's reviews, summarize() in Python for rows at hand)."""

    kind: str
    count: int
    scored: int  # with an accuracy
    accuracy_sum: Decimal
    errors: int  # with an actual (and so an error)
    abs_error_sum: Decimal
    within_threshold: int  # with an accuracy at or above the kind's threshold
    median_accuracy: Decimal | None  # the lower median: an accuracy one of them had
    ranged: int
    in_range: int
    currency: str | None

    def summary(self) -> KindSummary:
        return KindSummary(
            self.kind, UNITS[self.kind], self.count, self.scored,
            round2(numeric_div(self.accuracy_sum, self.scored)) if self.scored else None,
            round2(numeric_div(self.abs_error_sum, self.errors)) if self.errors else None,
            self.within_threshold, THRESHOLD_PCT[self.kind],
            None if self.kind in DAY_KINDS or self.median_accuracy is None else round2(Decimal(self.median_accuracy)),
            self.ranged, self.in_range, self.currency,
        )


def summaries(totals: Iterable[KindTotals]) -> dict[str, KindSummary]:
    """Each kind's summary, in KINDS order."""
    by_kind = {t.kind: t for t in totals}
    return {kind: by_kind[kind].summary() for kind in KINDS if kind in by_kind and by_kind[kind].count}


def summarize(rows: Iterable[Mapping]) -> dict[str, KindSummary]:
    """Per kind, over the reviews made before their outcome day: how many were scored, the
    mean accuracy and the lower median accuracy (of those with one), the mean absolute error
    (of those with an actual), how many reached the kind's threshold, how many were made
    with a range and how many fell inside it."""
    by_kind: dict[str, list[Mapping]] = {}
    for row in rows:
        if row["outcome_on"] > row["made_on"]:
            by_kind.setdefault(row["kind"], []).append(row)
    totals = []
    for kind, found in by_kind.items():
        accuracies = [_number(r["accuracy_pct"]) for r in found if r["accuracy_pct"] is not None]
        errors = [abs(_number(r["error"])) for r in found if r["error"] is not None]
        judged = [r["in_range"] for r in found if r.get("in_range") is not None]
        currencies = {r["subject"] for r in found} if kind == "month_end_net" else set()
        totals.append(KindTotals(kind, len(found), len(accuracies), sum(accuracies, Decimal(0)), len(errors),
                                 sum(errors, Decimal(0)), sum(1 for a in accuracies if a >= THRESHOLD_PCT[kind]),
                                 statistics.median_low(accuracies) if accuracies else None,
                                 len(judged), sum(judged), max(currencies) if currencies else None))
    return summaries(totals)


LABELS = {"month_end_net": "month end", "budget_run_out": "run-outs", "weight_28d": "weight",
          "pantry_threshold": "pantry"}


def _off_by(summary: KindSummary) -> str:
    """The mean absolute error in the kind's own unit: ±412 PLN, ±2.1 days, ±0.45 kg."""
    error = summary.mean_absolute_error
    if summary.unit == "currency":
        return f"±{error:,.0f} {summary.currency or ''}".rstrip()
    if summary.unit == "days":
        return f"±{error:.1f} days"
    return f"±{error:.2f} kg"


def review_line(month: date, month_summaries: Mapping[str, KindSummary]) -> str | None:
    """The status text's line on the 1st: how last month's scored forecasts did (the
    summaries of the reviews whose outcome day lies in that month): per kind the mean
    absolute error in its unit, the share inside its 80 % range, and for amounts the median
    accuracy.
    🎯 November's forecasts: month end ±412 PLN, 81 % in range, median 74 % · run-outs ±2.1 days, 79 % in range"""
    parts = []
    for kind, s in month_summaries.items():
        if s.mean_absolute_error is None:
            continue
        part = f"{LABELS[kind]} {_off_by(s)}"
        if s.coverage_pct is not None:
            part += f", {s.coverage_pct:.0f} % in range"
        if s.median_accuracy_pct is not None:
            part += f", median {s.median_accuracy_pct:.0f} %"
        parts.append(part)
    if not parts:
        return None
    return f"🎯 {calendar.month_name[month.month]}'s forecasts: " + " · ".join(parts)
