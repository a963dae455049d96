"""Pantry demo data: the dictionary, the current inventory (some low, some expired, some expiring
soon) and, for the opt-in history capture, the inventory's history; and how they are written."""

from __future__ import annotations

import bisect
import random
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg2

from twin_pipeline.demo.common import CENT, DemoData, Trip, _daterange, _delete_rows, _insert, _truncate
from twin_pipeline.demo.pantry_catalog import (
    PANTRY,
    PERISHABLE,
    RESTOCK_DAYS,
    SHELF_STABLE_LIFE,
    USE_LOGGED_EVERY,
    WAKING,
)

try:  # the person's wall clock, for the pantry's timestamptz columns
    from zoneinfo import ZoneInfo

    LOCAL_TZ: Any = ZoneInfo("Europe/Warsaw")
except Exception:  # pragma: no cover - no tz database on this machine
    LOCAL_TZ = timezone.utc

# Tables the demo writes, children first (the order TRUNCATE and the checks use).
PANTRY_TABLES = ("pantry_inventory", "pantry_dictionary")
# The opt-in history capture (sql/pantry_history): written too where it is installed.
PANTRY_HISTORY_TABLE = "pantry_inventory_history"


def _quantity(value: float, unit: str) -> Decimal:
    if unit in ("kg", "l"):
        return Decimal(round(value * 4) / 4).quantize(CENT)
    return Decimal(round(value)).quantize(CENT)


def _pantry_status(quantity: Decimal, threshold: Decimal, expiry: date | None, day: date) -> str:
    """What the pantry app writes into status when a row changes on ``day``."""
    if quantity == 0:
        return "out_of_stock"
    if expiry is not None and expiry < day:
        return "expired"
    if quantity <= threshold:
        return "low_stock"
    if expiry is not None and expiry <= day + timedelta(days=3):
        return "expiring_soon"
    return "in_stock"


def _pantry(
    rng: random.Random, history_rng: random.Random, start: date, end: date, trips: list[Trip]
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """The dictionary, the current inventory and a history of the inventory since ``start``."""
    order = list(range(len(PANTRY)))
    rng.shuffle(order)
    # The first nine shuffled items are low: two empty, two exactly at the threshold.
    low = {i: rank for rank, i in enumerate(order[:9])}
    perishable = [i for i in order if PANTRY[i][3] == "P" and low.get(i, 99) >= 2]
    expired = set(perishable[:3])
    soon = set(perishable[3:7])
    forgotten = next(i for i in order if PANTRY[i][3] == "S" and i not in low)  # an old can nobody checked
    recent = min(12, (end - start).days)  # every row was last changed inside the range

    dictionary, inventory = [], []
    for i, (category, unit, threshold, kind, usual_max, synonyms) in enumerate(PANTRY):
        threshold_d = Decimal(str(threshold)).quantize(CENT)
        created = datetime.combine(start - timedelta(days=rng.randint(1, 500)), time(10), tzinfo=LOCAL_TZ)
        dictionary.append((category, synonyms, unit, threshold_d, created, created))

        rank = low.get(i)
        if rank is not None and rank < 2:
            quantity = Decimal("0.00")
        elif rank is not None and rank < 4:
            quantity = threshold_d
        elif rank is not None:
            smallest = Decimal("0.25") if unit in ("kg", "l") else Decimal("1.00")
            quantity = min(threshold_d, max(_quantity(threshold * rng.uniform(0.2, 0.95), unit), smallest))
        else:
            quantity = _quantity(max(threshold * 1.5, rng.uniform(threshold * 1.5, usual_max)), unit)
            if quantity <= threshold_d:
                quantity = threshold_d + (Decimal("0.25") if unit in ("kg", "l") else Decimal("1.00"))

        if quantity == 0 or kind == "N":
            expiry = None
        elif i in expired:
            expiry = end - timedelta(days=rng.randint(1, 6))
        elif i in soon:
            expiry = end + timedelta(days=rng.randint(0, 3))
        elif i == forgotten:
            expiry = end - timedelta(days=rng.randint(20, 60))
        elif kind == "P":
            expiry = end + timedelta(days=rng.randint(4, max(5, PERISHABLE[category][0][1])))
        else:
            expiry = end + timedelta(days=rng.randint(30, 540))
        if expiry is not None and kind == "S" and rng.random() < 0.1 and i != forgotten:
            expiry = None  # nobody wrote the date down

        last_updated = end - timedelta(days=rng.randint(0, min(recent, 4) if kind == "P" else recent))
        if quantity == 0:
            status = "out_of_stock"
        elif expiry is not None and expiry < end:
            status = "expired"
        elif quantity <= threshold_d:
            status = "low_stock"
        elif expiry is not None and expiry <= end + timedelta(days=3):
            status = "expiring_soon"
        else:
            status = "in_stock"
        note = rng.choices((None, "Bought on offer", "Second shelf", "Check the freezer"), weights=(85, 5, 5, 5))[0]
        updated = datetime.combine(last_updated, time(rng.randint(8, 21), rng.randint(0, 59)), tzinfo=LOCAL_TZ)
        inventory.append(
            (category, quantity, unit, expiry, last_updated, status, threshold_d, note, min(created, updated), updated)
        )

    history = _pantry_history(history_rng, start, end, trips, inventory, forgotten)
    return dictionary, inventory, history


# --- pantry history ---------------------------------------------------------------------
#
# Built backwards from the current inventory, so that its newest (open) version is exactly
# the current row: undoing a logged use puts quantity back, undoing a restock takes the
# purchase away and moves next_expiry back to the previous pack's. Each category lives in
# restock cycles: a restock on one of the person's shopping trips, then a few logged uses
# down to what is left when the next restock comes (sometimes nothing, often below the
# critical threshold; perishables may pass their date before that).


def captured_since_of(start: date) -> datetime:
    """Since when the demo's pantry history is complete: midnight (Europe/Warsaw) of ``start``."""
    return datetime.combine(start, time(0), tzinfo=LOCAL_TZ)


def _local(day: date, minute_of_day: int) -> datetime:
    return datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=LOCAL_TZ)


def _minute(moment: datetime) -> int:
    return moment.hour * 60 + moment.minute


def _shopping_trips(rng: random.Random, first: date, last: date, away: set[date]) -> list[datetime]:
    """A big shop on most Saturdays, a quick one after work on some weekdays, never on Sundays."""
    trips = []
    for day in _daterange(first, last):
        weekday = day.weekday()
        if weekday == 6 or day in away:
            continue
        chance, low, high = (0.85, 9 * 60, 12 * 60 + 30) if weekday == 5 else (0.3, 17 * 60 + 15, 19 * 60 + 45)
        if rng.random() < chance:
            trips.append(_local(day, rng.randint(low, high)))
    return trips


def _pantry_history(
    rng: random.Random, start: date, end: date, trips: list[Trip], inventory: list[tuple], forgotten: int
) -> list[tuple]:
    """Rows of pantry_inventory_history (category, current_quantity, unit, next_expiry,
    critical_threshold, status, valid_from, valid_to), oldest first."""
    since = captured_since_of(start)
    away = {d for t in trips for d in t.days}
    shops = _shopping_trips(rng, start - timedelta(days=120), end, away)
    shop_days = [s.date() for s in shops]

    def shop_on_or_before(day: date) -> datetime:
        at = bisect.bisect_right(shop_days, day) - 1
        if at < 0:  # before the first generated trip: an unplanned shop
            return _local(day, 11 * 60)
        return shops[at] + timedelta(minutes=rng.randint(0, 25))  # logged while unpacking

    rows = []
    for i, (category, quantity, unit, expiry, _last, status, threshold, _note, _created, updated) in enumerate(inventory):
        kind, usual_max = PANTRY[i][3], PANTRY[i][4]
        step = 25 if unit in ("kg", "l") else 100  # in hundredths of the unit
        cents = lambda value: int(value * 100)  # noqa: E731
        shelf, restock = PERISHABLE.get(category, (SHELF_STABLE_LIFE, RESTOCK_DAYS.get(kind, (10, 40))))
        use_every = USE_LOGGED_EVERY[kind]
        threshold_c, quantity_c = cents(threshold), cents(quantity)
        forgotten_from = expiry - timedelta(days=rng.randint(365, 900)) if i == forgotten and expiry else None

        def level() -> int:
            """The quantity right after a restock (hundredths)."""
            value = cents(_quantity(usual_max * rng.uniform(0.55, 1.0), unit))
            return max(value, threshold_c + step)

        def expiry_of(restocked: datetime, later: date | None) -> date | None:
            if kind == "N" or (kind == "S" and rng.random() < 0.1):
                return None
            if forgotten_from is not None and restocked.date() >= forgotten_from:
                return expiry  # the old can at the back stays the next to expire
            value = restocked.date() + timedelta(days=rng.randint(*shelf))
            return min(value, later) if later is not None else value

        # The current cycle: a restock, then logged uses down to the current row at `updated`.
        if quantity_c > threshold_c and updated.weekday() != 6 and updated.date() not in away and rng.random() < 0.25:
            restocked, top = updated, quantity_c  # the newest change was the restock itself
        else:
            if kind == "P" and expiry is not None:
                target = expiry - timedelta(days=rng.randint(*shelf))
            else:
                target = updated.date() - timedelta(days=rng.randint(0, restock[1]))
            restocked = shop_on_or_before(min(target, updated.date() - timedelta(days=1)))
            # Bought no more than is used at the usual pace until `updated`.
            days_used = (updated - restocked).total_seconds() / 86400
            pace = cents(usual_max) * 0.75 / ((restock[0] + restock[1]) / 2)
            top = min(max(level(), quantity_c + step), quantity_c + int(pace * days_used * rng.uniform(0.7, 1.3)))
            top = quantity_c + max(1, -(-(top - quantity_c) // step)) * step  # whole steps above the current quantity
        cycle_expiry = expiry if quantity_c > 0 else expiry_of(restocked, None)
        events = _cycle(rng, restocked, updated, top, quantity_c, cycle_expiry, step, use_every, away, last_at_end=True)

        # Earlier cycles, newest first, until one began before the capture did.
        next_at, next_top, next_expiry = restocked, top, cycle_expiry
        while next_at > since:
            at = shop_on_or_before(next_at.date() - timedelta(days=rng.randint(*restock)))
            top = level()
            cycle_expiry = expiry_of(at, next_expiry)
            room = max(0, min(top, next_top - step))  # a restock always adds at least a step
            # What is left when the next restock comes: sometimes nothing, often low, else some.
            roll, empty = rng.random(), (0.12 if kind == "P" else 0.05)
            if roll < empty:
                left = 0
            elif roll < empty + 0.35:
                left = min(room, threshold_c * rng.randint(30, 100) // 100)
            else:
                floor = min(room, threshold_c + step)
                left = rng.randint(floor, max(floor, room * 3 // 4))
            left -= left % step
            # Perishables past their date are thrown away a few days later, if nobody used them.
            discard = (
                cycle_expiry + timedelta(days=rng.randint(1, 3))
                if kind == "P" and cycle_expiry is not None and rng.random() < 0.6
                else None
            )
            events = _cycle(
                rng, at, next_at, top, left, cycle_expiry, step, use_every, away, last_at_end=False, discard_after=discard
            ) + events
            next_at, next_top, next_expiry = at, top, cycle_expiry

        # Versions from the capture on: the state at `since`, then every later change.
        first = max(k for k, (moment, _q, _e) in enumerate(events) if moment <= since)
        versions = [(since, *events[first][1:], events[first][0].date())]
        versions += [(moment, q, e, moment.date()) for moment, q, e in events[first + 1:]]
        for k, (valid_from, q, e, day) in enumerate(versions):
            amount = Decimal(q) / 100
            valid_to = versions[k + 1][0] if k + 1 < len(versions) else None
            state = status if valid_to is None else _pantry_status(amount, threshold, e, day)
            rows.append((category, amount.quantize(CENT), unit, e, threshold, state, valid_from, valid_to))
        assert rows[-1][1:6] == (quantity, unit, expiry, threshold, status), category

    rows.sort(key=lambda r: (r[6], r[0]))
    return rows


def _cycle(
    rng: random.Random,
    restocked: datetime,
    until: datetime,
    top: int,
    left: int,
    expiry: date | None,
    step: int,
    use_every: tuple[float, float],
    away: set[date],
    *,
    last_at_end: bool,
    discard_after: date | None = None,
) -> list[tuple[datetime, int, date | None]]:
    """(moment, quantity, next_expiry) after the restock at ``restocked`` and after each logged
    use until ``until``, by which ``top`` has gone down to ``left``. With ``last_at_end`` the
    last use happens exactly at ``until`` (the current row's update); otherwise before it.
    A use logged after ``discard_after`` throws the rest away (the quantity ends below ``left``)."""
    events = [(restocked, top, expiry if top > 0 else None)]
    used = top - left
    if used <= 0:
        return events
    # Days with a waking-hours window strictly between the two moments (20 min margins).
    windows = []
    day = restocked.date()
    while day <= until.date():
        if day not in away:
            low, high = WAKING
            if day == restocked.date():
                low = max(low, _minute(restocked) + 20)
            if day == until.date():
                high = min(high, _minute(until) - 20)
            if low < high:
                windows.append((day, low, high))
        day += timedelta(days=1)
    span = max(1.0, (until - restocked).total_seconds() / 86400)
    wanted = max(1, round(span / rng.uniform(*use_every)))
    fixed = 1 if last_at_end else 0
    uses = min(wanted, max(1, used // step), len(windows) + fixed)
    if uses == 0:  # no waking moment in between: the rest stays until the next restock
        return events
    # Split what was used into `uses` portions of whole steps (any odd remainder goes first).
    quanta, odd = divmod(used, step)
    if uses == 1:
        portions = [used]
    else:
        cuts = sorted(rng.sample(range(1, quanta), uses - 1))
        portions = [(b - a) * step for a, b in zip([0, *cuts], [*cuts, quanta])]
        portions[0] += odd
    moments = sorted(_local(d, rng.randint(low, high)) for d, low, high in rng.sample(windows, uses - fixed))
    if last_at_end:
        moments.append(until)
    quantity = top
    for moment, portion in zip(moments, portions, strict=True):
        if discard_after is not None and moment.date() > discard_after:
            events.append((moment, 0, None))
            return events
        quantity -= portion
        events.append((moment, quantity, expiry if quantity > 0 else None))
    assert quantity == left
    return events


def _write_pantry(cur, data: DemoData, replace: bool) -> int:
    """The dictionary and the inventory; where the history capture is installed, also the
    inventory's history since the first demo day. Returns the number of history rows."""
    cur.execute(
        "SELECT to_regclass('pantry_inventory_history') IS NOT NULL AND to_regclass('pantry_history_capture') IS NOT NULL"
    )
    capture = cur.fetchone()[0]
    # The capture's triggers would record the demo's own TRUNCATE and INSERTs as changes made
    # now. The demo writes the history itself, so it keeps them silent in this transaction
    # (as the superuser of our own databases); elsewhere it deletes what they wrote.
    silenced = capture and _silence_triggers(cur)
    if replace:
        _truncate(cur, PANTRY_TABLES + ((PANTRY_HISTORY_TABLE,) if capture else ()))
    _insert(cur, "pantry_dictionary", "category, ai_synonyms, default_unit, critical_threshold, created_at, updated_at", data.pantry_dictionary)
    _insert(
        cur, "pantry_inventory",
        "category, current_quantity, unit, next_expiry, last_updated, status, critical_threshold, notes, created_at, updated_at",
        data.pantry_inventory,
    )
    if not capture:
        return 0
    if not silenced:
        _delete_rows(cur, PANTRY_HISTORY_TABLE)  # empty before: checked, or truncated above
    _insert(
        cur, PANTRY_HISTORY_TABLE,
        "category, current_quantity, unit, next_expiry, critical_threshold, status, valid_from, valid_to",
        data.pantry_history,
    )
    cur.execute(
        "INSERT INTO pantry_history_capture (singleton, captured_since) VALUES (true, %s) "
        "ON CONFLICT (singleton) DO UPDATE SET captured_since = EXCLUDED.captured_since",
        (data.captured_since,),
    )
    return len(data.pantry_history)


def _silence_triggers(cur) -> bool:
    """``SET LOCAL session_replication_role = replica`` if allowed: no ordinary trigger fires
    for the rest of the transaction. False when the role may not do that."""
    cur.execute("SAVEPOINT demo_replica")
    try:
        cur.execute("SET LOCAL session_replication_role = replica")
    except psycopg2.Error:
        cur.execute("ROLLBACK TO SAVEPOINT demo_replica")
        return False
    cur.execute("RELEASE SAVEPOINT demo_replica")
    return True
