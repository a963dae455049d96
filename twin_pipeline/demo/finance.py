"""Finance demo data: a salary, rent, bills and many small card payments in PLN, a trip abroad
paid in EUR, twelve budgets a month, and the expense calendar of the bills planned ahead; and
how they are written to the finance database."""

from __future__ import annotations

import calendar
import math
import random
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from twin_pipeline.demo.common import CENT, DemoData, Trip, _at, _daterange, _insert, _set_serial, _truncate
from twin_pipeline.demo.finance_catalog import (
    ACCOUNTS,
    BREACHABLE,
    BUDGET_RULES,
    CATEGORIES,
    CATEGORY_IDS,
    CHECKING,
    CREDIT,
    INACTIVE_CATEGORIES,
    MERCHANT_IDS,
    MERCHANTS,
    REVOLUT,
)

# Tables the demo writes, children first (the order TRUNCATE and the checks use).
FINANCE_TABLES = ("expense_calendar", "transactions", "budgets", "categories", "merchants", "accounts")


def _money(value: float) -> Decimal:
    """A positive amount in cents (never below 0.01)."""
    return max(CENT, Decimal(int(round(value * 100))) * CENT)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Purchase:
    """A kind of everyday card payment: expected count per weekday/weekend day, amounts."""

    category: str
    weekday_rate: float
    weekend_rate: float
    amount: Callable[[random.Random], float]
    merchants: tuple[str, ...]
    description: str
    hours: tuple[int, int]  # when in the day it happens (minutes drawn inside)
    credit_card_share: float = 0.3


def _tri(low: float, high: float, mode: float) -> Callable[[random.Random], float]:
    return lambda rng: rng.triangular(low, high, mode)


def _pick(*values: float) -> Callable[[random.Random], float]:
    return lambda rng: rng.choice(values)


PURCHASES = [
    Purchase("groceries", 0.4, 0.7, _tri(30, 170, 60), ("biedronka", "lidl", "carrefour", "auchan", "biedronka", "lidl"), "Weekly shopping", (9, 20)),
    Purchase("groceries", 0.3, 0.9, _tri(6, 55, 16), ("kleparz",), "Market stall", (7, 14)),
    Purchase("groceries", 3.3, 2.6, _tri(2.5, 25, 5), ("zabka", "zabka", "zabka", "lewiatan", "freshmarket", "carrefour"), "Convenience store", (7, 22)),
    Purchase("coffee", 1.5, 1.0, _tri(7, 20, 11), ("starbucks", "costa", "nero", "bunkier", "bunkier"), "Coffee", (7, 17)),
    Purchase("coffee", 1.2, 1.0, _tri(3.5, 18, 6), ("lajkonik", "lajkonik", "putka"), "Bakery", (6, 19)),
    Purchase("coffee", 2.2, 1.4, _tri(2.5, 10, 3.5), ("ruch", "selecta", "zabka"), "Snack", (9, 21)),
    Purchase("eating_out", 0.32, 0.1, _tri(24, 58, 34), ("bistro", "bar_mleczny", "pizza", "bistro"), "Lunch", (12, 14)),
    Purchase("eating_out", 0.3, 0.6, _tri(9, 38, 19), ("kebab", "zapiekanka", "good_lood", "kebab"), "Street food", (12, 23)),
    Purchase("eating_out", 0.06, 0.28, _tri(50, 200, 85), ("pod_aniolami", "sushi", "pizza"), "Dinner out", (18, 21)),
    Purchase("eating_out", 0.06, 0.16, _tri(38, 125, 62), ("pyszne", "wolt", "glovo"), "Food delivery", (18, 21)),
    Purchase("public_transport", 4.5, 2.2, _pick(3.4, 4.6, 4.6, 4.6, 6.0, 6.0), ("jakdojade", "jakdojade", "jakdojade", "mpk"), "Tram ticket", (7, 21), 0.0),
    Purchase("public_transport", 0.06, 0.14, _tri(16, 72, 26), ("bolt", "bolt", "uber"), "Ride", (8, 23)),
    Purchase("parking", 1.3, 0.35, _tri(2, 14, 4), ("skycash", "skycash", "spp"), "Parking", (8, 18), 0.0),
    Purchase("pharmacy", 0.06, 0.05, _tri(11, 140, 30), ("gemini", "superpharm", "doz"), "Pharmacy", (9, 20)),
    Purchase("events", 0.025, 0.11, _tri(22, 260, 42), ("cinema_city", "multikino", "empik", "ebilet"), "Cinema, books, tickets", (11, 21), 0.6),
    Purchase("clothes", 0.025, 0.07, _tri(45, 460, 120), ("zara", "hm", "reserved", "decathlon", "zalando"), "Clothes", (11, 20), 0.6),
    Purchase("household", 0.25, 0.3, _tri(5, 120, 15), ("rossmann", "rossmann", "hebe", "pepco", "ikea", "castorama", "allegro"), "Household", (10, 20), 0.4),
]


class _Ledger:
    """Collects generated transactions before ids are assigned."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        # (date, minute of day, type, amount, currency, statement text, description, account_id,
        #  category_id, merchant_id, data_source)
        self.rows: list[tuple] = []

    def add(
        self,
        day: date,
        minute: int,
        type_: str,
        category: str,
        amount: Decimal,
        *,
        merchant: str | None,
        source: str | None = None,
        description: str,
        account: int,
        currency: str = "PLN",
        data_source: str | None = None,
    ) -> None:
        if source is None:
            assert merchant is not None
            source = self.rng.choice(MERCHANTS[merchant][1])
        if data_source is None:
            data_source = "revolut_api" if account == REVOLUT else ("manual" if self.rng.random() < 0.03 else "mbank_csv")
        self.rows.append(
            (day, minute, type_, amount, currency, source[:100], description, account,
             CATEGORY_IDS[category], MERCHANT_IDS[merchant] if merchant else None, data_source)
        )


def _finance(
    rng: random.Random, budget_rng: random.Random, planned_rng: random.Random, start: date, end: date, trips: list[Trip]
) -> dict:
    # Whole calendar months are generated so budgets can be planned for the first and the
    # last (partial) month; only start..end is kept.
    first, last = start.replace(day=1), _month_end(end)
    trip_day = {d: t for t in trips for d in t.days}
    ledger = _Ledger(rng)

    salary = {}
    for year in range(first.year, last.year + 1):
        salary[year] = Decimal(9500 + 50 * rng.randint(0, 20))
    next_fuel = first + timedelta(days=rng.randint(0, 10))

    for day in _daterange(first, last):
        weekend = day.weekday() >= 5
        m = day.month

        # --- monthly, whatever happens ---
        if day.day == 1:
            ledger.add(day, 8 * 60, "Expense", "rent", Decimal("3200.00"), merchant="landlord",
                       description="Czynsz najmu (monthly rent)", account=CHECKING, data_source="mbank_csv")
        if day.day == 10:
            bonus = Decimal(rng.choice((0, 0, 0, 500, 1000))) if m == 12 else Decimal(0)
            ledger.add(day, 9 * 60 + 5, "Income", "salary", salary[day.year] + bonus, merchant="employer",
                       description="Wynagrodzenie (salary)", account=CHECKING, data_source="mbank_csv")
        if day.day == 11:
            ledger.add(day, 7 * 60 + 30, "Transfer", "savings", Decimal(rng.choice((500, 1000, 1000, 1500))),
                       merchant=None, source="PRZELEW WLASNY NA EMAX", description="Transfer to savings",
                       account=CHECKING, data_source="mbank_csv")
        if day.day == 3:
            ledger.add(day, 6 * 60, "Expense", "streaming", Decimal("29.99"), merchant="hbo",
                       description="Max subscription", account=CREDIT)
        if day.day == 5:
            ledger.add(day, 6 * 60, "Expense", "streaming", Decimal("49.00"), merchant="netflix",
                       description="Netflix subscription", account=CREDIT)
        if day.day == 12:
            ledger.add(day, 6 * 60, "Expense", "streaming", Decimal("23.99"), merchant="spotify",
                       description="Spotify Premium", account=CREDIT)
        if day.day == 20:
            ledger.add(day, 6 * 60, "Expense", "streaming", Decimal("25.99"), merchant="youtube",
                       description="YouTube Premium", account=CREDIT)
        if day.day == 8:
            ledger.add(day, 10 * 60, "Expense", "internet", Decimal("69.99"), merchant="orange",
                       description="Światłowód (fibre internet)", account=CHECKING)
        if day.day == 22:
            ledger.add(day, 4 * 60, "Expense", "internet", Decimal("9.99"), merchant="proton",
                       description="Proton VPN Plus", account=REVOLUT, currency="EUR")
        if day.day == 18:
            ledger.add(day, 10 * 60, "Expense", "phone", Decimal("49.00"), merchant="play",
                       description="Abonament Play", account=CHECKING)
        if day.day == 15:
            season = math.cos(2 * math.pi * (m - 1) / 12)  # 1 in January, -1 in July
            kwh_cost = 185 + 75 * season + rng.gauss(0, 15)
            ledger.add(day, 10 * 60, "Expense", "electricity", _money(kwh_cost), merchant="tauron",
                       description="Prąd (electricity bill)", account=CHECKING)
        if day.day == 1 and rng.random() < 0.42:
            pay_day = day + timedelta(days=rng.randint(3, 26))
            client = rng.choice(("client_a", "client_b", "client_b"))
            ledger.add(pay_day, 11 * 60 + rng.randint(0, 300), "Income", "freelance",
                       _money(50 * round(rng.triangular(1200, 6500, 2400) / 50)), merchant=client,
                       description="Freelance invoice", account=CHECKING, data_source="mbank_csv")

        # --- holiday abroad: EUR card payments, no everyday Kraków spending ---
        trip = trip_day.get(day)
        if trip is not None:
            _trip_day(ledger, rng, day, trip)
            next_fuel = max(next_fuel, day + timedelta(days=1))
            continue

        # --- a full tank every 8..14 days ---
        if day >= next_fuel:
            ledger.add(day, rng.randint(7 * 60, 20 * 60), "Expense", "fuel", _money(rng.triangular(110, 290, 170)),
                       merchant=rng.choice(("orlen", "orlen", "bp", "shell", "circle_k")), description="Paliwo (fuel)",
                       account=CREDIT if rng.random() < 0.5 else CHECKING)
            next_fuel = day + timedelta(days=rng.randint(8, 14))

        for purchase in PURCHASES:
            rate = purchase.weekend_rate if weekend else purchase.weekday_rate
            if purchase.category in ("clothes", "events", "household") and m == 12:
                rate *= 1.8  # Christmas
            for _ in range(_poisson(rng, rate)):
                minute = rng.randint(purchase.hours[0] * 60, purchase.hours[1] * 60 - 1)
                account = CREDIT if rng.random() < purchase.credit_card_share else CHECKING
                ledger.add(day, minute, "Expense", purchase.category, _money(purchase.amount(rng)),
                           merchant=rng.choice(purchase.merchants), description=purchase.description, account=account)

    # Flights are booked five to eight weeks before each trip.
    for trip in trips:
        booked = trip.start - timedelta(days=rng.randint(35, 56))
        if first <= booked <= last:
            airline = rng.choice(("ryanair", "wizz", "lot"))
            ledger.add(booked, rng.randint(19 * 60, 23 * 60), "Expense", "travel",
                       _money(rng.triangular(380, 1500, 650) * (1 if trip.nights > 3 else 0.7)),
                       merchant=airline, description=f"Flights to {trip.city}", account=CREDIT)

    # Last, from a stream of its own: the rows above stay as they were without the calendar.
    calendar = _expense_calendar(planned_rng, ledger, first, start, end)

    # Month totals per expense category (whole months, every currency) for the budgets.
    month_totals: dict[tuple[int, int], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    category_key = {v: k for k, v in CATEGORY_IDS.items()}
    for row in ledger.rows:
        if row[2] == "Expense":
            month_totals[(row[0].year, row[0].month)][category_key[row[8]]] += row[3]

    kept = sorted((r for r in ledger.rows if start <= r[0] <= end), key=lambda r: (r[0], r[1]))
    transactions = []
    for seq, (day, minute, type_, amount, currency, source, desc, account, category, merchant, data_source) in enumerate(kept, 1):
        created = _at(day, minute)  # the moment of payment: never after the row's own day
        transactions.append(
            (f"T{seq:08d}", day, type_, amount, currency, source, desc, account, category, merchant,
             data_source, created, created)
        )

    budgets = _budgets(budget_rng, first, last, start, end, month_totals, salary)

    return {
        "accounts": [(i, n, t, c, inst, True, datetime.combine(start - timedelta(days=400), time(12))) for i, n, t, c, inst in ACCOUNTS],
        "merchants": [
            (MERCHANT_IDS[k], name, *(("Kraków", "PL") if "KRAKOW" in " ".join(raws) else (None, None)), True,
             datetime.combine(start - timedelta(days=400), time(12)))
            for k, (name, raws) in MERCHANTS.items()
        ],
        "categories": [
            (CATEGORY_IDS[k], c, s, t, k not in INACTIVE_CATEGORIES, CATEGORY_IDS[k] * 10,
             datetime.combine(start - timedelta(days=400), time(12)))
            for k, (c, s, t) in CATEGORIES.items()
        ],
        "transactions": transactions,
        "budgets": budgets,
        "expense_calendar": calendar,
    }


# The person's yearly planning evening: next year's recurring bills go into the sheet.
PLANNING_DAY = (12, 28)
INSURANCE_DAY = (3, 15)  # the car insurance renews every year on the same day
TAX_DAY = 20  # the quarter's income tax is due on the 20th of the month after it
TAX_RATE = Decimal("0.12")  # the flat rate on the freelance income (ryczałt for IT services)


def _expense_calendar(rng: random.Random, ledger: _Ledger, first: date, start: date, end: date) -> list[tuple]:
    """The expense calendar as the person's sheet sync leaves it on `end`: one row a bill
    (Netflix every month, the car insurance once a year, the freelance income's tax every
    quarter), each written down ahead of its day; a bill whose day has come is paid that
    day (a transaction of the same amount, added to the ledger) and marked paid."""
    bills: list[tuple[date, str, str, Decimal, str, str, datetime]] = []
    for year in range(first.year, end.year + 2):
        planned_on = datetime(year - 1, *PLANNING_DAY, 20, 30)
        for month in range(1, 13):
            bills.append((date(year, month, 5), "NETFLIX", "Netflix", Decimal("49.00"), "monthly", "streaming", planned_on))
        renewal = date(year, *INSURANCE_DAY)
        premium = Decimal(int(rng.triangular(1350, 2100, 1600))).quantize(CENT)
        offer = datetime.combine(renewal - timedelta(days=rng.randint(20, 40)), time(19, rng.randint(0, 59)))
        bills.append((renewal, "CAR_INSURANCE", "Car insurance (OC/AC)", premium, "yearly", "insurance", offer))
    freelance = defaultdict(Decimal)
    income_category = CATEGORY_IDS["freelance"]
    for row in ledger.rows:
        if row[2] == "Income" and row[8] == income_category:
            freelance[(row[0].year, (row[0].month - 1) // 3)] += row[3]
    for (year, quarter), earned in freelance.items():
        due = date(year + (quarter == 3), (quarter + 1) % 4 * 3 + 1, TAX_DAY)
        computed = datetime.combine(due.replace(day=rng.randint(3, 10)), time(20, rng.randint(0, 59)))
        tax = (earned * TAX_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(CENT)  # in whole złoty
        bills.append((due, "QUARTERLY_TAX", f"Income tax Q{quarter + 1} {year}", tax, "quarterly", "taxes", computed))

    rows = []
    for due, slug, name, amount, frequency, category, created in sorted(bills):
        if not start <= due or created.date() > end or amount <= 0:
            continue  # before the demo, or not yet written down on `end`
        paid = due <= end
        if paid:
            merchant, account = {"streaming": ("netflix", CREDIT), "insurance": ("pzu", CHECKING),
                                 "taxes": ("tax_office", CHECKING)}[category]
            if category != "streaming":  # Netflix is already among the monthly payments
                ledger.add(due, 10 * 60, "Expense", category, amount, merchant=merchant,
                           source=MERCHANTS[merchant][1][0], description=name, account=account,
                           data_source="mbank_csv")
        group, sub = CATEGORIES[category][:2]
        updated = _at(due, 10 * 60 + 5) if paid else created
        rows.append(
            (f"EXP-{due.isoformat()}-{slug}", name, amount, "PLN", group, sub, frequency, due, due.month, due.day,
             None, paid, created, updated)
        )
    return rows


_TRIP_MERCHANTS = {
    "meal": ["RESTAURANTE {c}", "TRATTORIA {c}", "TAVERNA {c}", "BISTRO {c}", "CAFE CENTRAL {c}"],
    "coffee": ["CAFE {c}", "PASTELARIA {c}", "BAKERY {c}"],
    "transport": ["METRO {c}", "PUBLIC TRANSPORT {c}", "BOLT.EU {c}"],
    "museum": ["MUSEUM {c}", "TICKETS {c}"],
}


def _trip_day(ledger: _Ledger, rng: random.Random, day: date, trip: Trip) -> None:
    city = trip.city.upper()
    if day == trip.start:
        nightly = rng.triangular(65, 170, 95)
        ledger.add(day, 15 * 60, "Expense", "travel", _money(nightly * trip.nights), merchant="booking",
                   description=f"Hotel in {trip.city}, {trip.nights} nights", account=REVOLUT, currency="EUR")
    for kind, category, count, amount, hours in (
        ("coffee", "coffee", rng.randint(1, 2), (2.2, 6.5, 3.2), (8, 17)),
        ("meal", "eating_out", rng.randint(1, 3), (9, 55, 19), (12, 22)),
        ("transport", "public_transport", rng.randint(0, 2), (1.5, 12, 2.5), (8, 22)),
        ("museum", "events", 1 if rng.random() < 0.4 else 0, (8, 25, 14), (10, 17)),
    ):
        for _ in range(count):
            source = rng.choice(_TRIP_MERCHANTS[kind]).format(c=city) + f" {trip.country}"
            ledger.add(day, rng.randint(hours[0] * 60, hours[1] * 60 - 1), "Expense", category,
                       _money(rng.triangular(*amount)), merchant=None, source=source,
                       description=f"Card payment abroad ({trip.city})", account=REVOLUT, currency="EUR")


def _round_to(value: Decimal, step: int, rounding: str) -> Decimal:
    step_d = Decimal(step)
    return ((value / step_d).to_integral_value(rounding=rounding) * step_d).quantize(CENT)


def _budgets(
    rng: random.Random,
    first: date,
    last: date,
    start: date,
    end: date,
    month_totals: dict[tuple[int, int], dict[str, Decimal]],
    salary: dict[int, Decimal],
) -> list[tuple]:
    months = []
    day = first
    while day <= last:
        months.append((day.year, day.month))
        day = _month_end(day) + timedelta(days=1)

    # A planned amount per category and year: the year's average month plus a margin.
    plan: dict[tuple[int, str], Decimal] = {}
    for year in {y for y, _ in months}:
        year_months = [ym for ym in months if ym[0] == year]
        for key in BUDGET_RULES:
            mean = sum((month_totals[ym].get(key, Decimal(0)) for ym in year_months), Decimal(0)) / len(year_months)
            step = 50 if mean >= 1000 else 10
            plan[(year, key)] = _round_to(mean * Decimal("1.12"), step, ROUND_CEILING)
    for year in {y for y, _ in months}:
        plan[(year, "rent")] = Decimal("3300.00")
        plan[(year, "travel")] = Decimal("0.00")

    # Breach months: about one in three, at least one and never all of the whole months.
    whole = [ym for ym in months if date(ym[0], ym[1], 1) >= start and _month_end(date(ym[0], ym[1], 1)) <= end]
    breach = {ym for ym in months if rng.random() < 0.33}
    if whole and not any(ym in breach for ym in whole):
        breach.add(whole[len(whole) // 2])
    if len(whole) > 1 and all(ym in breach for ym in whole):
        breach.discard(whole[0])

    rows = []
    for year, month in months:
        totals = month_totals[(year, month)]
        over = set()
        if (year, month) in breach:
            candidates = [k for k in BREACHABLE if totals.get(k, Decimal(0)) >= 150]
            over = set(rng.sample(candidates, min(len(candidates), 1 if rng.random() < 0.7 else 2)))
        created = datetime.combine(date(year, month, 1) - timedelta(days=1), time(20, 0))
        for key, (threshold, priority, budget_type) in BUDGET_RULES.items():
            actual = totals.get(key, Decimal(0))
            planned = plan[(year, key)]
            step = 50 if actual >= 1000 else 10
            notes = None
            active = True
            if key in over:
                # Under-budgeted: the month's spending (all of it, the month being whole) exceeds it.
                if planned < actual:
                    amount = planned
                else:
                    amount = _round_to(actual * Decimal(rng.uniform(0.8, 0.95)), step, ROUND_FLOOR)
                assert Decimal(0) < amount < actual
                notes = "Tightened this month"
            elif actual == 0 and planned == 0:
                amount = Decimal("0.00")
                notes = "No trip planned" if key == "travel" else None
            elif planned >= actual * Decimal("1.02"):
                amount = planned
            else:
                amount = _round_to(actual * Decimal(rng.uniform(1.02, 1.10)), step, ROUND_CEILING)
                notes = "Raised for this month"
            if budget_type == "Flexible" and key not in over and rng.random() < 0.03:
                active = False
                notes = "Paused"
            slug = _slug(CATEGORIES[key][0]) + "-" + _slug(CATEGORIES[key][1])
            rows.append(
                (f"B-{year:04d}-{month:02d}-{slug}", year, month, "Expense", CATEGORY_IDS[key], amount,
                 threshold, notes, budget_type, priority, active, created, created)
            )
        rows.append((f"B-{year:04d}-{month:02d}-INCOME-SALARY", year, month, "Income", CATEGORY_IDS["salary"],
                     salary[year], 100, None, "Fixed", "High", True, created, created))
        rows.append((f"B-{year:04d}-{month:02d}-TRANSFER-SAVINGS", year, month, "Savings", CATEGORY_IDS["savings"],
                     Decimal("1500.00"), 100, None, "Fixed", "Medium", True, created, created))
    return rows


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def _write_finance(cur, data: DemoData, replace: bool) -> int:
    if replace:
        _truncate(cur, FINANCE_TABLES)
    _insert(cur, "accounts", "account_id, account_name, account_type, currency, institution, is_active, created_at", data.accounts)
    _insert(cur, "merchants", "merchant_id, merchant_name, city, country, is_active, created_at", data.merchants)
    _insert(cur, "categories", "category_id, category_name, subcategory_name, category_type, is_active, display_order, created_at", data.categories)
    for table, column in (("accounts", "account_id"), ("merchants", "merchant_id"), ("categories", "category_id")):
        _set_serial(cur, table, column)
    _insert(
        cur, "transactions",
        "transaction_id, transaction_date, type, amount, currency, merchant_source, description, account_id, "
        "category_id, merchant_id, data_source, created_at, updated_at",
        data.transactions,
    )
    _insert(
        cur, "budgets",
        "budget_id, budget_year, budget_month, type, category_id, budget_amount, alert_threshold, notes, "
        "budget_type, priority, is_active, created_at, updated_at",
        data.budgets,
    )
    _insert(
        cur, "expense_calendar",
        "transaction_id, name, amount, currency, category, sub_category, frequency, expense_date, month, day, "
        "description, is_paid, created_at, updated_at",
        data.expense_calendar,
    )
    _set_serial(cur, "expense_calendar", "id")
    return 0
