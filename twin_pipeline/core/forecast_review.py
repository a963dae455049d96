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

A day's state that is missing or `unavailable` scores nothing (it is scored when it is
restated). No review reaches back more than READ_BACK_DAYS before its outcome day.
"""

from __future__ import annotations

import bisect
import calendar
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


def score(kind: Kind, subject: str, made_on: date, outcome_on: date, predicted: Decimal,
          actual: Decimal | None, missing: str | None = None) -> Review:
    """error and accuracy_pct by the rule; `missing` says why there is no actual."""
    if actual is None:
        return Review(kind, subject, made_on, outcome_on, predicted, None, None, None, missing)
    error, accuracy = _scored(predicted, actual)
    return Review(kind, subject, made_on, outcome_on, predicted, actual, error, accuracy,
                  "the actual is 0" if accuracy is None else None)


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
                                 _number(outcome["mtd_net"])))
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
                                 _days(predicted_on, made_on), _days(reached_on, made_on)))
    return reviews


def weight_reviews(health: Mapping[date, Mapping]) -> list[Review]:
    """weight_28d of every day whose D+28 state has a reading dated after D+20."""
    reviews = []
    for made_on, document in sorted(health.items()):
        outcome_on = made_on + timedelta(days=WEIGHT_HORIZON_DAYS)
        outcome = health.get(outcome_on)
        if not _usable(document) or not _usable(outcome):
            continue
        body = document.get("body_composition") or {}
        trend = _number((document.get("trends") or {}).get("weight_trend_kg_per_week"))
        weight = _number(body.get("bodyweight_kg"))
        later = outcome.get("body_composition") or {}
        measured_on = later.get("measurement_date")
        actual = _number(later.get("bodyweight_kg"))
        fresh_after = made_on + timedelta(days=WEIGHT_FRESH_AFTER_DAYS)
        if trend is None or weight is None or actual is None or measured_on is None:
            continue
        if date.fromisoformat(measured_on) <= fresh_after:
            continue
        reviews.append(score("weight_28d", "", made_on, outcome_on, round2(weight + 4 * trend), actual))
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
            if reached_on is not None and reached_on <= deadline:
                reviews.append(score("pantry_threshold", category, made_on, reached_on, predicted,
                                     _days(reached_on, made_on)))
            else:
                # Scored only if some usable state in (D, P+14] was looked at.
                looked = bisect.bisect_right(usable_days, deadline) - bisect.bisect_right(usable_days, made_on)
                if looked:
                    reviews.append(score("pantry_threshold", category, made_on, deadline, predicted, None,
                                         f"not at or below the threshold by {iso(deadline)}"))
    return reviews


def review_forecasts(
    outcome_days: Iterable[date],
    finance: Mapping[date, Mapping],
    health: Mapping[date, Mapping],
    pantry: Mapping[date, Mapping],
) -> list[Review]:
    """Every forecast whose outcome day is one of outcome_days, from the states given (those
    dated READ_BACK_DAYS before the first outcome day through the last one). Each review
    reads only states dated up to its outcome day."""
    wanted = set(outcome_days)
    if not wanted:
        return []
    last = max(wanted)

    def upto(states: Mapping[date, Mapping]) -> dict[date, Mapping]:
        return {day: document for day, document in states.items() if day <= last}

    by_kind: dict[str, list[Review]] = {kind: [] for kind in KINDS}
    for review in (*finance_reviews(upto(finance)), *weight_reviews(upto(health)), *pantry_reviews(upto(pantry))):
        if review.outcome_on in wanted:
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


@dataclass(frozen=True, slots=True)
class KindSummary:
    kind: str
    unit: str
    count: int
    scored: int  # with an accuracy
    mean_accuracy_pct: Decimal | None
    mean_absolute_error: Decimal | None
    within_threshold: int
    threshold_pct: int

    @property
    def within_threshold_share(self) -> Decimal | None:
        return None if not self.count else round2(numeric_div(Decimal(100 * self.within_threshold), self.count))

    def to_json(self) -> dict:
        def number(value: Decimal | None) -> float | None:
            return None if value is None else float(value)

        return {
            "kind": self.kind, "unit": self.unit, "count": self.count, "scored": self.scored,
            "mean_accuracy_pct": number(self.mean_accuracy_pct),
            "mean_absolute_error": number(self.mean_absolute_error),
            "threshold_pct": self.threshold_pct, "within_threshold": self.within_threshold,
            "within_threshold_pct": number(self.within_threshold_share),
        }


@dataclass(frozen=True, slots=True)
class KindTotals:
    """What a kind's summary is the means of: the sums over its reviews (the store adds them
    up in SQL for a decade's reviews, summarize() in Python for rows at hand)."""

    kind: str
    count: int
    scored: int  # with an accuracy
    accuracy_sum: Decimal
    errors: int  # with an actual (and so an error)
    abs_error_sum: Decimal
    within_threshold: int  # with an accuracy at or above the kind's threshold

    def summary(self) -> KindSummary:
        return KindSummary(
            self.kind, UNITS[self.kind], self.count, self.scored,
            round2(numeric_div(self.accuracy_sum, self.scored)) if self.scored else None,
            round2(numeric_div(self.abs_error_sum, self.errors)) if self.errors else None,
            self.within_threshold, THRESHOLD_PCT[self.kind],
        )


def summaries(totals: Iterable[KindTotals]) -> dict[str, KindSummary]:
    """Each kind's summary, in KINDS order."""
    by_kind = {t.kind: t for t in totals}
    return {kind: by_kind[kind].summary() for kind in KINDS if kind in by_kind and by_kind[kind].count}


def summarize(rows: Iterable[Mapping]) -> dict[str, KindSummary]:
    """Per kind: how many were scored, the mean accuracy (of those with one), the mean
    absolute error (of those with an actual), and how many reached the kind's threshold (a
    forecast without an accuracy does not)."""
    by_kind: dict[str, list[Mapping]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    totals = []
    for kind, found in by_kind.items():
        accuracies = [_number(r["accuracy_pct"]) for r in found if r["accuracy_pct"] is not None]
        errors = [abs(_number(r["error"])) for r in found if r["error"] is not None]
        totals.append(KindTotals(kind, len(found), len(accuracies), sum(accuracies, Decimal(0)), len(errors),
                                 sum(errors, Decimal(0)), sum(1 for a in accuracies if a >= THRESHOLD_PCT[kind])))
    return summaries(totals)


LABELS = {"month_end_net": "month end", "budget_run_out": "run-outs", "weight_28d": "weight",
          "pantry_threshold": "pantry"}


def review_line(month: date, month_summaries: Mapping[str, KindSummary]) -> str | None:
    """The status text's line on the 1st: how last month's scored forecasts did (the
    summaries of the reviews whose outcome day lies in that month).
    🎯 November's forecasts: month end 87.3 % (24/30 ≥ 80 %) · run-outs 91.0 % (40/44 ≥ 80 %)"""
    parts = [
        f"{LABELS[kind]} {s.mean_accuracy_pct:.1f} % ({s.within_threshold}/{s.count} ≥ {s.threshold_pct} %)"
        for kind, s in month_summaries.items() if s.mean_accuracy_pct is not None
    ]
    if not parts:
        return None
    return f"🎯 {calendar.month_name[month.month]}'s forecasts: " + " · ".join(parts)
