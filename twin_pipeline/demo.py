"""Deterministic demo data for the three source databases.

One believable person in Kraków, Poland: a salary in PLN on the 10th, rent on the 1st,
many small card payments (groceries, coffee, tickets, street food), a yearly trip paid in
EUR and a VPN billed in EUR every month (so two currencies always exist), twelve budgets a
month (some months breach one or two of them), HIT workouts about four times a week with
one set per exercise (twelve exercises a routine), a daily weigh-in (not while away) with
body fat missing on about one day in five, and a pantry of fifty categories, some low,
some expired, some expiring soon. Ten years come to about 55,000 transactions.

Where the pantry database has the opt-in history capture (sql/pantry_history), the demo
also writes the inventory's history since the first demo day: restocks on shopping trips,
logged uses, perishables going out of date; its newest versions are the current rows.

Same ``seed``, ``end`` and ``days`` give exactly the same rows: everything comes from
``random.Random(seed)`` (split into one independent stream per domain), never from the
clock; ``created_at``/``updated_at`` are derived from each row's own date.

Rows are written with ``COPY`` in one transaction per database; the three transactions
are committed together at the end, after every write has succeeded.
"""

from __future__ import annotations

import bisect
import calendar
import io
import math
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import psycopg2
from sqlalchemy import Engine

try:  # the person's wall clock, for the pantry's timestamptz columns
    from zoneinfo import ZoneInfo

    LOCAL_TZ: Any = ZoneInfo("Europe/Warsaw")
except Exception:  # pragma: no cover - no tz database on this machine
    LOCAL_TZ = timezone.utc


class DemoDataError(RuntimeError):
    """Demo data cannot be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class DemoCounts:
    transactions: int
    budgets: int
    workouts: int
    workout_sets: int
    measurements: int
    pantry_categories: int
    pantry_history_rows: int = 0  # versions written into pantry_inventory_history (0 without the capture)


# Tables the demo writes, children first (the order TRUNCATE and the checks use).
FINANCE_TABLES = ("transactions", "budgets", "categories", "merchants", "accounts")
TRAINING_TABLES = ("workout_sets", "workouts", "measurements", "exercises", "workout_templates")
PANTRY_TABLES = ("pantry_inventory", "pantry_dictionary")
# The opt-in history capture (sql/pantry_history): written too where it is installed.
PANTRY_HISTORY_TABLE = "pantry_inventory_history"

# What "the sources hold data" means for sources_are_empty().
_DATA_TABLES = (
    ("finance", "transactions"),
    ("training", "workouts"),
    ("training", "measurements"),
    ("pantry", "pantry_inventory"),
    ("pantry", "pantry_dictionary"),
)

CENT = Decimal("0.01")


# ---------------------------------------------------------------------------------------
# Public API


def sources_are_empty(finance: Engine, training: Engine, pantry: Engine) -> bool:
    """True when there are no transactions, no workouts, no measurements and no pantry rows."""
    engines = {"finance": finance, "training": training, "pantry": pantry}
    for role, table in _DATA_TABLES:
        if _non_empty(engines[role], role, (table,)):
            return False
    return True


def load_demo_data(
    finance: Engine,
    training: Engine,
    pantry: Engine,
    *,
    days: int,
    seed: int,
    end: date,
    replace: bool = False,
) -> DemoCounts:
    """Fill the three (migrated) source databases with ``days`` days of demo data ending ``end``.

    Without ``replace`` every demo table must be empty; with it they are truncated first.
    """
    if not isinstance(days, int) or days < 1:
        raise DemoDataError(f"days must be a positive whole number, not {days!r}")
    if isinstance(end, datetime):
        end = end.date()
    start = end - timedelta(days=days - 1)

    engines = {"finance": finance, "training": training, "pantry": pantry}
    tables = {"finance": FINANCE_TABLES, "training": TRAINING_TABLES, "pantry": PANTRY_TABLES}
    if not replace:
        busy = []
        for role, engine in engines.items():
            optional = (PANTRY_HISTORY_TABLE,) if role == "pantry" else ()
            busy += [f"{role}.{t}" for t in _non_empty(engine, role, tables[role], optional=optional)]
        if busy:
            raise DemoDataError(
                "the source databases already hold data (" + ", ".join(busy) + "); "
                "pass --replace to empty the demo tables and load demo data instead"
            )

    data = generate(days=days, seed=seed, end=end)
    assert data.start == start

    connections = {}
    history_rows = 0
    try:
        for role, engine in engines.items():
            connections[role] = engine.raw_connection()
        for role, conn in connections.items():
            with conn.cursor() as cur:
                history_rows += _WRITERS[role](cur, data, replace)
        for conn in connections.values():
            conn.commit()
    except Exception:
        for conn in connections.values():
            try:
                conn.rollback()
            except Exception:
                pass
        raise
    finally:
        for conn in connections.values():
            conn.close()

    return DemoCounts(
        transactions=len(data.transactions),
        budgets=len(data.budgets),
        workouts=len(data.workouts),
        workout_sets=len(data.workout_sets),
        measurements=len(data.measurements),
        pantry_categories=len(data.pantry_inventory),
        pantry_history_rows=history_rows,
    )


def _non_empty(engine: Engine, role: str, tables: Sequence[str], *, optional: Sequence[str] = ()) -> list[str]:
    """The tables among ``tables`` and the existing ones among ``optional`` that hold a row."""
    conn = engine.raw_connection()
    try:
        with conn.cursor() as cur:
            found = []
            for table in (*tables, *optional):
                cur.execute("SELECT to_regclass(%s)", (table,))
                if cur.fetchone()[0] is None:
                    if table in optional:
                        continue
                    raise DemoDataError(
                        f"table {table} is missing from the {role} database "
                        f"({engine.url.database}): apply the {role} migrations first"
                    )
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
                if cur.fetchone()[0]:
                    found.append(table)
        conn.rollback()
        return found
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# Generation (pure: no database, no clock)


@dataclass
class DemoData:
    start: date
    end: date
    accounts: list[tuple]
    merchants: list[tuple]
    categories: list[tuple]
    transactions: list[tuple]
    budgets: list[tuple]
    workout_templates: list[tuple]
    exercises: list[tuple]
    workouts: list[tuple]
    workout_sets: list[tuple]
    measurements: list[tuple]
    pantry_dictionary: list[tuple]
    pantry_inventory: list[tuple]
    # Written only where the opt-in history capture (sql/pantry_history) is installed.
    pantry_history: list[tuple]
    captured_since: datetime


@dataclass(frozen=True)
class Trip:
    start: date
    nights: int
    city: str
    country: str

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.nights + 1)]


def generate(*, days: int, seed: int, end: date) -> DemoData:
    """All demo rows, as tuples in the column order of the writers below."""
    start = end - timedelta(days=days - 1)
    master = random.Random(seed)
    # Independent streams, so that e.g. the pantry does not change when finance does.
    streams = {
        name: random.Random(master.getrandbits(64))
        for name in ("trips", "finance", "budgets", "training", "body", "pantry", "pantry_history")
    }

    trips = _trips(streams["trips"], start.year - 1, end.year)
    finance = _finance(streams["finance"], streams["budgets"], start, end, trips)
    workouts, sets = _workouts(streams["training"], start, end, trips)
    measurements = _measurements(streams["body"], start, end, trips)
    dictionary, inventory, history = _pantry(streams["pantry"], streams["pantry_history"], start, end, trips)
    return DemoData(
        start=start,
        end=end,
        accounts=finance["accounts"],
        merchants=finance["merchants"],
        categories=finance["categories"],
        transactions=finance["transactions"],
        budgets=finance["budgets"],
        workout_templates=_templates(start),
        exercises=_exercises(start),
        workouts=workouts,
        workout_sets=sets,
        measurements=measurements,
        pantry_dictionary=dictionary,
        pantry_inventory=inventory,
        pantry_history=history,
        captured_since=captured_since_of(start),
    )


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


def _daterange(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _at(day: date, minute_of_day: int) -> datetime:
    minute_of_day = max(0, min(24 * 60 - 1, minute_of_day))
    return datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60))


# --- trips ------------------------------------------------------------------------------

_DESTINATIONS = [
    ("Lisbon", "PT"), ("Barcelona", "ES"), ("Rome", "IT"), ("Vienna", "AT"), ("Berlin", "DE"),
    ("Athens", "GR"), ("Paris", "FR"), ("Valencia", "ES"), ("Porto", "PT"), ("Dubrovnik", "HR"),
]


def _trips(rng: random.Random, first_year: int, last_year: int) -> list[Trip]:
    """A summer holiday every year, and a long weekend in a city in some years."""
    trips = []
    for year in range(first_year, last_year + 1):
        city, country = rng.choice(_DESTINATIONS)
        trips.append(Trip(date(year, 6, 1) + timedelta(days=rng.randint(0, 100)), rng.randint(5, 8), city, country))
        if rng.random() < 0.5:
            city, country = rng.choice(_DESTINATIONS)
            month = rng.choice((3, 4, 10, 11))
            trips.append(Trip(date(year, month, rng.randint(1, 24)), rng.randint(2, 3), city, country))
    return trips


# --- finance ----------------------------------------------------------------------------

ACCOUNTS = [
    # id, name, type, currency, institution
    (1, "mBank eKonto", "checking", "PLN", "mBank"),
    (2, "mBank Visa Credit", "credit_card", "PLN", "mBank"),
    (3, "Revolut EUR", "multi_currency", "EUR", "Revolut"),
    (4, "mBank eMax Savings", "savings", "PLN", "mBank"),
]
CHECKING, CREDIT, REVOLUT, SAVINGS = 1, 2, 3, 4

# key: (category, subcategory, type)
CATEGORIES = {
    "rent": ("Housing", "Rent", "Expense"),
    "groceries": ("Food", "Groceries", "Expense"),
    "eating_out": ("Food", "Eating Out", "Expense"),
    "coffee": ("Food", "Coffee & Snacks", "Expense"),
    "fuel": ("Transport", "Fuel", "Expense"),
    "public_transport": ("Transport", "Public Transport", "Expense"),
    "parking": ("Transport", "Parking", "Expense"),
    "pharmacy": ("Health", "Pharmacy", "Expense"),
    "streaming": ("Entertainment", "Streaming", "Expense"),
    "events": ("Entertainment", "Events", "Expense"),
    "clothes": ("Shopping", "Clothes", "Expense"),
    "household": ("Shopping", "Household", "Expense"),
    "electricity": ("Utilities", "Electricity", "Expense"),
    "internet": ("Utilities", "Internet", "Expense"),
    "phone": ("Utilities", "Phone", "Expense"),
    "travel": ("Travel", "Trips", "Expense"),
    "salary": ("Income", "Salary", "Income"),
    "freelance": ("Income", "Freelance", "Income"),
    "savings": ("Transfer", "Savings", "Transfer"),
    "gaming": ("Entertainment", "Gaming", "Expense"),  # inactive: no transactions, no budgets
}
CATEGORY_IDS = {key: i + 1 for i, key in enumerate(CATEGORIES)}
INACTIVE_CATEGORIES = {"gaming"}

# Expense budgets: alert_threshold, priority, budget_type. Ten of the sixteen expense
# categories are budgeted (small or fixed ones such as parking, pharmacy, subscriptions and
# phone are not), plus the salary and the savings transfer: twelve budgets a month.
BUDGET_RULES = {
    "rent": (100, "Critical", "Fixed"),
    "groceries": (90, "High", "Variable"),
    "eating_out": (80, "Medium", "Flexible"),
    "coffee": (80, "Low", "Flexible"),
    "fuel": (90, "Medium", "Variable"),
    "public_transport": (90, "Low", "Variable"),
    "clothes": (80, "Medium", "Flexible"),
    "household": (80, "Medium", "Variable"),
    "electricity": (90, "High", "Variable"),
    "travel": (90, "Medium", "Flexible"),
}
# Categories that may be deliberately under-budgeted in a "breach" month.
BREACHABLE = ("groceries", "eating_out", "coffee", "fuel", "household", "clothes", "electricity")

# key: (merchant_name, statement text templates); {n} is a store number.
MERCHANTS = {
    "biedronka": ("Biedronka", ["JMP S.A. BIEDRONKA 3391 KRAKOW", "JMP S.A. BIEDRONKA 5120 KRAKOW"]),
    "lidl": ("Lidl", ["LIDL KRAKOW PRADNICKA", "LIDL KRAKOW BUDRYKA"]),
    "carrefour": ("Carrefour", ["CARREFOUR HIPERMARKET KRAKOW", "CARREFOUR EXPRESS KRAKOW 2291"]),
    "auchan": ("Auchan", ["AUCHAN KRAKOW BRONOWICE"]),
    "zabka": ("Żabka", ["ZABKA Z4512 K.1 KRAKOW", "ZABKA Z7780 K.2 KRAKOW", "ZABKA Z1033 K.1 KRAKOW"]),
    "lewiatan": ("Lewiatan", ["LEWIATAN SKLEP 112 KRAKOW"]),
    "freshmarket": ("Freshmarket", ["FRESHMARKET KRAKOW KARMELICKA"]),
    "starbucks": ("Starbucks", ["STARBUCKS KRAKOW RYNEK", "STARBUCKS GALERIA KAZIMIERZ"]),
    "costa": ("Costa Coffee", ["COSTA COFFEE KRAKOW DWORZEC"]),
    "nero": ("Green Caffè Nero", ["GREEN CAFFE NERO KRAKOW"]),
    "bunkier": ("Kawiarnia Bunkier", ["BUNKIER CAFE KRAKOW"]),
    "lajkonik": ("Lajkonik", ["LAJKONIK PIEKARNIA KRAKOW", "LAJKONIK DWORZEC GLOWNY"]),
    "putka": ("Putka", ["PUTKA PIEKARNIA KRAKOW"]),
    "ruch": ("Ruch", ["RUCH KIOSK 0451 KRAKOW"]),
    "selecta": ("Selecta", ["SELECTA VENDING KRAKOW"]),
    "bistro": ("Bistro Smakołyk", ["BISTRO SMAKOLYK KRAKOW"]),
    "bar_mleczny": ("Bar Mleczny Pod Temidą", ["BAR MLECZNY POD TEMIDA KRAKOW"]),
    "pizza": ("Pizzeria Cyklop", ["PIZZERIA CYKLOP KRAKOW"]),
    "pod_aniolami": ("Restauracja Pod Aniołami", ["POD ANIOLAMI KRAKOW"]),
    "sushi": ("Sushi Kushi", ["SUSHI KUSHI KRAKOW"]),
    "pyszne": ("Pyszne.pl", ["PYSZNE.PL", "PYSZNE.PL ZAMOWIENIE"]),
    "wolt": ("Wolt", ["WOLT KRAKOW"]),
    "glovo": ("Glovo", ["GLOVO KRAKOW"]),
    "jakdojade": ("Jakdojade", ["JAKDOJADE BILET MPK KRAKOW"]),
    "mpk": ("MPK Kraków", ["BILETOMAT MPK KRAKOW"]),
    "bolt": ("Bolt", ["BOLT.EU/O/2404 TALLINN"]),
    "uber": ("Uber", ["UBER *TRIP HELP.UBER.COM"]),
    "orlen": ("Orlen", ["ORLEN STACJA NR 4021 KRAKOW"]),
    "bp": ("BP", ["BP MOP KRAKOW BALICE"]),
    "shell": ("Shell", ["SHELL 1123 KRAKOW"]),
    "circle_k": ("Circle K", ["CIRCLE K KRAKOW ZAKOPIANSKA"]),
    "skycash": ("SkyCash", ["SKYCASH PARKING KRAKOW"]),
    "spp": ("Strefa Płatnego Parkowania", ["SPP KRAKOW PARKOMAT"]),
    "gemini": ("Apteka Gemini", ["APTEKA GEMINI KRAKOW"]),
    "superpharm": ("Super-Pharm", ["SUPER-PHARM GALERIA KRAKOWSKA"]),
    "doz": ("Apteka DOZ", ["DOZ APTEKA KRAKOW"]),
    "netflix": ("Netflix", ["NETFLIX.COM"]),
    "spotify": ("Spotify", ["SPOTIFY P1F2A3B4C5"]),
    "youtube": ("YouTube Premium", ["GOOGLE *YOUTUBE PREMIUM"]),
    "hbo": ("Max", ["MAX.COM HBO"]),
    "cinema_city": ("Cinema City", ["CINEMA CITY BONARKA KRAKOW"]),
    "multikino": ("Multikino", ["MULTIKINO KRAKOW"]),
    "empik": ("Empik", ["EMPIK KRAKOW GALERIA"]),
    "ebilet": ("eBilet", ["EBILET.PL"]),
    "zara": ("Zara", ["ZARA KRAKOW GALERIA KRAKOWSKA"]),
    "hm": ("H&M", ["H&M KRAKOW BONARKA"]),
    "reserved": ("Reserved", ["RESERVED KRAKOW"]),
    "decathlon": ("Decathlon", ["DECATHLON KRAKOW"]),
    "zalando": ("Zalando", ["ZALANDO SE BERLIN"]),
    "rossmann": ("Rossmann", ["ROSSMANN 233 KRAKOW"]),
    "hebe": ("Hebe", ["HEBE KRAKOW"]),
    "pepco": ("Pepco", ["PEPCO 1187 KRAKOW"]),
    "ikea": ("IKEA", ["IKEA KRAKOW"]),
    "castorama": ("Castorama", ["CASTORAMA KRAKOW"]),
    "allegro": ("Allegro", ["ALLEGRO.PL", "ALLEGRO PAY"]),
    "tauron": ("Tauron", ["TAURON SPRZEDAZ SP. Z O.O."]),
    "orange": ("Orange Polska", ["ORANGE POLSKA S.A. FAKTURA"]),
    "proton": ("Proton", ["PROTON AG GENEVA"]),
    "play": ("Play", ["P4 SP. Z O.O. PLAY"]),
    "landlord": ("Wynajem mieszkania", ["PRZELEW CZYNSZ UL. KRUPNICZA 12/4"]),
    "employer": ("Vistula Software Sp. z o.o.", ["VISTULA SOFTWARE SP. Z O.O. WYNAGRODZENIE"]),
    "client_a": ("Nordic Apps AB", ["NORDIC APPS AB FAKTURA"]),
    "client_b": ("Studio Kreatywne Wawel", ["STUDIO KREATYWNE WAWEL FV"]),
    "ryanair": ("Ryanair", ["RYANAIR DAC"]),
    "wizz": ("Wizz Air", ["WIZZ AIR HUNGARY"]),
    "lot": ("LOT Polish Airlines", ["PLL LOT S.A."]),
    "booking": ("Booking.com", ["BOOKING.COM AMSTERDAM"]),
    "kleparz": ("Stary Kleparz", ["TARGOWISKO STARY KLEPARZ KRAKOW", "KLEPARZ STOISKO 14 KRAKOW"]),
    "kebab": ("Bafra Kebab", ["BAFRA KEBAB KRAKOW"]),
    "good_lood": ("Good Lood", ["GOOD LOOD KRAKOW PLAC WOLNICA"]),
    "zapiekanka": ("Endzior", ["ENDZIOR ZAPIEKANKI KRAKOW"]),
}
MERCHANT_IDS = {key: i + 1 for i, key in enumerate(MERCHANTS)}


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


def _finance(rng: random.Random, budget_rng: random.Random, start: date, end: date, trips: list[Trip]) -> dict:
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
    }


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


# --- training ---------------------------------------------------------------------------

TEMPLATES = [
    # id, name, type, target minutes, notes
    ("HIT-LOWER", "HIT Lower Body", "HIT Lower", 30, "One set to failure per exercise, 10/10 cadence"),
    ("HIT-UPPER", "HIT Upper Body", "HIT Upper", 30, "One set to failure per exercise, 10/10 cadence"),
    ("HIT-FULL", "HIT Full Body", "HIT Full Body", 40, "Whole body, one set each"),
    ("CARDIO-BIKE", "Bike Intervals", "Cardio", 40, "Stationary bike, 8 x 30 s hard"),
    ("MOBILITY", "Mobility & Stretching", "Other", 20, None),
]

# id, name, muscle group, movement type, equipment, start weight (kg), step (kg)
EXERCISES = [
    ("LEG-PRESS", "Leg Press", "Quadriceps", "Compound", "Machine", 110, 5),
    ("SMITH-SQUAT", "Smith Machine Squat", "Quadriceps", "Compound", "Smith Machine", 60, 2.5),
    ("STIFF-DEADLIFT", "Stiff-Legged Deadlift", "Hamstrings", "Compound", "Barbell", 60, 2.5),
    ("LEG-CURL", "Leg Curl", "Hamstrings", "Isolation", "Machine", 40, 2.5),
    ("LEG-EXT", "Leg Extension", "Quadriceps", "Isolation", "Machine", 45, 2.5),
    ("CALF-RAISE", "Standing Calf Raise", "Calves", "Isolation", "Machine", 80, 5),
    ("HIP-ADD", "Hip Adduction", "Adductors", "Isolation", "Machine", 50, 2.5),
    ("HIP-ABD", "Hip Abduction", "Glutes", "Isolation", "Machine", 50, 2.5),
    ("BACK-EXT", "Back Extension", "Lower Back", "Compound", "Roman Chair", 10, 2.5),
    ("AB-CRUNCH", "Ab Crunch", "Abs", "Isolation", "Machine", 40, 2.5),
    ("CHEST-PRESS", "Chest Press", "Chest", "Compound", "Machine", 60, 2.5),
    ("PEC-FLY", "Pec Fly", "Chest", "Isolation", "Machine", 40, 2.5),
    ("PULLDOWN", "Lat Pulldown", "Back", "Compound", "Cable", 60, 2.5),
    ("ROW", "Seated Row", "Back", "Compound", "Machine", 60, 2.5),
    ("PULLOVER", "Pullover", "Lats", "Isolation", "Machine", 45, 2.5),
    ("SHOULDER-PRESS", "Shoulder Press", "Shoulders", "Compound", "Machine", 40, 2.5),
    ("LATERAL-RAISE", "Lateral Raise", "Shoulders", "Isolation", "Dumbbell", 8, 1),
    ("BICEPS-CURL", "Biceps Curl", "Biceps", "Isolation", "Machine", 25, 2.5),
    ("TRICEPS-EXT", "Triceps Extension", "Triceps", "Isolation", "Cable", 25, 2.5),
    ("NECK-FLEX", "Neck Flexion", "Neck", "Isolation", "Machine", 15, 2.5),
    ("HACK-SQUAT", "Hack Squat", "Quadriceps", "Compound", "Machine", 70, 5),
    ("SEATED-CALF", "Seated Calf Raise", "Calves", "Isolation", "Machine", 35, 2.5),
    ("SHRUG", "Shrug", "Traps", "Isolation", "Machine", 60, 2.5),
    ("REAR-DELT", "Rear Delt Fly", "Shoulders", "Isolation", "Machine", 25, 2.5),
    ("DIP-MACHINE", "Seated Dip", "Triceps", "Compound", "Machine", 55, 2.5),
]
EXERCISE = {e[0]: e for e in EXERCISES}

# Twelve exercises a routine, one set each (workout_sets holds one row per exercise).
ROUTINES = {
    "HIT-LOWER": ("LEG-PRESS", "SMITH-SQUAT", "HACK-SQUAT", "LEG-CURL", "LEG-EXT", "STIFF-DEADLIFT", "CALF-RAISE", "SEATED-CALF", "HIP-ADD", "HIP-ABD", "BACK-EXT", "AB-CRUNCH"),
    "HIT-UPPER": ("PULLOVER", "PULLDOWN", "CHEST-PRESS", "PEC-FLY", "ROW", "SHOULDER-PRESS", "LATERAL-RAISE", "REAR-DELT", "SHRUG", "BICEPS-CURL", "TRICEPS-EXT", "NECK-FLEX"),
    "HIT-FULL": ("LEG-PRESS", "LEG-CURL", "CALF-RAISE", "PULLOVER", "CHEST-PRESS", "ROW", "SHOULDER-PRESS", "PULLDOWN", "DIP-MACHINE", "BICEPS-CURL", "TRICEPS-EXT", "AB-CRUNCH"),
}
HIT_ROTATION = ("HIT-LOWER", "HIT-UPPER", "HIT-FULL")
STRENGTH_EPOCH = date(2012, 1, 1)  # strength depends on the calendar, not on the window


def _templates(start: date) -> list[tuple]:
    created = datetime.combine(start - timedelta(days=400), time(12))
    return [(tid, name, wtype, minutes, notes, True, created) for tid, name, wtype, minutes, notes in TEMPLATES]


def _exercises(start: date) -> list[tuple]:
    created = datetime.combine(start - timedelta(days=400), time(12))
    return [(eid, name, group, movement, equipment, None, True, created)
            for eid, name, group, movement, equipment, _w, _s in EXERCISES]


def _strength(exercise_id: str, day: date) -> float:
    """The weight the person could lift for a 90 s set on that day."""
    _, _, _, _, _, start_weight, _ = EXERCISE[exercise_id]
    years = max(0.0, (day - STRENGTH_EPOCH).days / 365.25)
    phase = (sum(map(ord, exercise_id)) % 17) / 17 * 2 * math.pi
    return start_weight * (1 + 0.55 * (1 - math.exp(-years / 3))) * (1 + 0.04 * math.sin(2 * math.pi * years / 1.3 + phase))


def _workouts(rng: random.Random, start: date, end: date, trips: list[Trip]) -> tuple[list[tuple], list[tuple]]:
    away = {d for t in trips for d in t.days}
    workouts, sets = [], []
    rotation = rng.randrange(len(HIT_ROTATION))
    previous: date | None = None
    week = start - timedelta(days=start.weekday())
    while week <= end:
        r = rng.random()
        n = 2 if r < 0.02 else (3 if r < 0.24 else (4 if r < 0.80 else 5))
        for offset in sorted(rng.sample(range(7), n)):
            day = week + timedelta(days=offset)
            kind = rng.random()
            if not (start <= day <= end) or day in away:
                continue
            if kind < 0.10:
                template = "CARDIO-BIKE"
            elif kind < 0.12:
                template = "MOBILITY"
            else:
                template = HIT_ROTATION[rotation % len(HIT_ROTATION)]
                rotation += 1
            gap = (day - previous).days if previous else None
            previous = day
            if template.startswith("HIT"):
                duration = rng.randint(26, 38) + (6 if template == "HIT-FULL" else 0)
            elif template == "CARDIO-BIKE":
                duration = rng.randint(30, 60)
            else:
                duration = rng.randint(20, 30)
            recovery = 3 + (1 if gap is None or gap >= 2 else -1) + rng.choice((-1, 0, 0, 0, 1))
            mood = rng.choices((2, 3, 4, 5), weights=(1, 4, 5, 2))[0]
            source = "Manual" if rng.random() < 0.15 else "Sheet"
            note = rng.choices(
                (None, "Felt strong", "Short on sleep", "Busy gym, waited for machines", "New PR", "Low energy"),
                weights=(80, 5, 5, 3, 4, 3),
            )[0]
            begin = _at(day, rng.randint(17 * 60, 20 * 60))
            workouts.append(
                (day, template, "gym" if template.startswith("HIT") else "home", duration, gap,
                 max(1, min(5, recovery)), mood, note, source, begin, begin + timedelta(minutes=duration))
            )
            routine = ROUTINES.get(template, ())
            for i, exercise_id in enumerate(routine):
                if rng.random() < 0.04:
                    continue  # skipped today
                step = EXERCISE[exercise_id][6]
                strength = _strength(exercise_id, day)
                weight = max(step, math.floor(strength * rng.uniform(0.88, 1.01) / step) * step)
                tut = 90 * (strength / weight) ** 2.2 * rng.uniform(0.9, 1.1)
                tut = min(240.0, max(25.0, tut))
                set_note = rng.choices((None, "Seat 4", "Slowed the negative", "Grip gave out", "Cramp"), weights=(90, 3, 3, 2, 2))[0]
                at = begin + timedelta(minutes=i * duration // len(routine))
                sets.append(
                    (day, template, exercise_id, Decimal(f"{weight:.2f}"), Decimal(f"{tut:.1f}"),
                     rng.random() < 0.93, rng.random() < 0.95, set_note, source, at, at)
                )
        week += timedelta(days=7)
    return workouts, sets


def _measurements(rng: random.Random, start: date, end: date, trips: list[Trip]) -> list[tuple]:
    # The scale is at home: no weigh-in while away, except the morning a trip starts.
    away = {d for t in trips for d in t.days[1:]}
    phase_long, phase_year = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    drift = 0.0
    gap_left = 0
    rows = []
    for day in _daterange(start, end):
        years = (day - STRENGTH_EPOCH).days / 365.25
        drift = 0.993 * drift + rng.gauss(0, 0.1)
        noise = rng.gauss(0, 0.4)
        skip_roll, gap_roll, fat_roll, fat_noise = rng.random(), rng.random(), rng.random(), rng.gauss(0, 0.5)
        if gap_left:
            gap_left -= 1
            continue
        if gap_roll < 0.0025:
            gap_left = rng.randint(2, 6)
            continue
        if day in away or skip_roll < 0.02:
            continue
        trend = 82.5 + 6.5 * math.sin(2 * math.pi * years / 4.5 + phase_long) + 1.2 * math.sin(2 * math.pi * years + phase_year)
        weight = min(94.5, max(70.5, trend + drift + noise))
        bodyfat = None
        if fat_roll >= 0.2:
            bodyfat = Decimal(f"{min(30.0, max(7.0, 10.5 + (weight - 72) * 0.55 + fat_noise)):.1f}")
        weighed = _at(day, 6 * 60 + 30 + rng.randint(0, 90))
        rows.append(
            (day, Decimal(f"{weight:.1f}"), bodyfat,
             rng.choices((None, "Evening weigh-in", "After a late dinner", "Post-travel"), weights=(94, 2, 3, 1))[0],
             "Manual" if rng.random() < 0.08 else "Sheet", weighed, weighed)
        )
    return rows


# --- pantry -----------------------------------------------------------------------------

# category, unit, critical threshold, kind (P perishable / S shelf-stable / N non-food), usual max, synonyms
PANTRY = [
    ("Rice", "kg", 1, "S", 5, "ryż, rice, basmati, jaśminowy"),
    ("Pasta", "kg", 1, "S", 4, "makaron, pasta, spaghetti, penne, fusilli"),
    ("Flour", "kg", 1, "S", 4, "mąka, flour, mąka pszenna"),
    ("Sugar", "kg", 0.5, "S", 2, "cukier, sugar"),
    ("Salt", "kg", 0.25, "S", 1, "sól, salt, sól morska"),
    ("Oats", "kg", 0.5, "S", 2, "płatki owsiane, oats, owsianka"),
    ("Eggs", "pcs", 6, "P", 30, "jajka, eggs, jaja"),
    ("Milk", "l", 1, "P", 4, "mleko, milk"),
    ("Butter", "pcs", 1, "P", 4, "masło, butter"),
    ("Cheese", "kg", 0.2, "P", 1, "ser, cheese, gouda, ser żółty"),
    ("Yogurt", "pcs", 2, "P", 10, "jogurt, yogurt, skyr"),
    ("Bread", "pcs", 1, "P", 2, "chleb, bread, bułki"),
    ("Coffee", "kg", 0.25, "S", 2, "kawa, coffee, ziarno, espresso"),
    ("Tea", "pcs", 20, "S", 100, "herbata, tea"),
    ("Olive Oil", "l", 0.25, "S", 2, "oliwa, olive oil, oliwa z oliwek"),
    ("Sunflower Oil", "l", 0.5, "S", 2, "olej, sunflower oil, olej słonecznikowy"),
    ("Canned Tomatoes", "cans", 2, "S", 10, "pomidory w puszce, passata, canned tomatoes"),
    ("Chickpeas", "cans", 1, "S", 6, "ciecierzyca, chickpeas"),
    ("Beans", "cans", 1, "S", 6, "fasola, beans, fasola czerwona"),
    ("Lentils", "kg", 0.5, "S", 2, "soczewica, lentils"),
    ("Potatoes", "kg", 1, "P", 5, "ziemniaki, potatoes, kartofle"),
    ("Onions", "kg", 0.5, "P", 3, "cebula, onions"),
    ("Garlic", "pcs", 2, "P", 8, "czosnek, garlic"),
    ("Carrots", "kg", 0.5, "P", 2, "marchew, carrots"),
    ("Apples", "kg", 0.5, "P", 3, "jabłka, apples"),
    ("Bananas", "pcs", 2, "P", 8, "banany, bananas"),
    ("Chicken Breast", "kg", 0.5, "P", 2, "pierś z kurczaka, chicken, filet"),
    ("Minced Beef", "kg", 0.25, "P", 1, "mielone wołowe, minced beef"),
    ("Tuna", "cans", 2, "S", 8, "tuńczyk, tuna"),
    ("Honey", "jars", 1, "S", 3, "miód, honey"),
    ("Peanut Butter", "jars", 1, "S", 3, "masło orzechowe, peanut butter"),
    ("Frozen Vegetables", "bags", 2, "S", 8, "mrożonki, frozen vegetables, warzywa mrożone"),
    ("Frozen Berries", "bags", 1, "S", 5, "mrożone owoce, frozen berries, jagody"),
    ("Protein Powder", "kg", 0.5, "S", 2, "białko, protein powder, odżywka"),
    ("Sparkling Water", "bottles", 6, "S", 24, "woda gazowana, sparkling water"),
    ("Toilet Paper", "rolls", 4, "N", 24, "papier toaletowy, toilet paper"),
    ("Dish Soap", "bottles", 1, "N", 3, "płyn do naczyń, dish soap, ludwik"),
    ("Laundry Detergent", "kg", 0.5, "N", 3, "proszek do prania, detergent, kapsułki"),
    ("Toothpaste", "pcs", 1, "N", 4, "pasta do zębów, toothpaste"),
    ("Shampoo", "bottles", 1, "N", 3, "szampon, shampoo"),
    ("Trash Bags", "rolls", 1, "N", 4, "worki na śmieci, trash bags"),
    ("Tomatoes", "kg", 0.5, "P", 2, "pomidory, tomatoes, malinowe"),
    ("Cottage Cheese", "pcs", 1, "P", 4, "twaróg, cottage cheese, biały ser"),
    ("Ham", "kg", 0.25, "P", 1, "szynka, ham, wędlina"),
    ("Buckwheat", "kg", 0.5, "S", 2, "kasza gryczana, buckwheat, kasza"),
    ("Sauerkraut", "jars", 1, "S", 3, "kapusta kiszona, sauerkraut, kiszonki"),
    ("Mustard", "jars", 1, "S", 2, "musztarda, mustard"),
    ("Dark Chocolate", "pcs", 2, "S", 8, "czekolada gorzka, dark chocolate"),
    ("Dishwasher Tablets", "pcs", 10, "N", 60, "tabletki do zmywarki, dishwasher tablets, finish"),
    ("Hand Soap", "bottles", 1, "N", 3, "mydło w płynie, hand soap, mydło"),
]

# Perishables: shelf life of a fresh pack (days) and days between restocks.
PERISHABLE = {
    "Eggs": ((21, 28), (5, 10)),
    "Milk": ((5, 10), (3, 6)),
    "Butter": ((30, 60), (7, 14)),
    "Cheese": ((14, 30), (5, 10)),
    "Yogurt": ((10, 21), (4, 8)),
    "Bread": ((3, 5), (2, 4)),
    "Potatoes": ((21, 45), (7, 14)),
    "Onions": ((21, 45), (7, 16)),
    "Garlic": ((30, 60), (10, 21)),
    "Carrots": ((10, 21), (5, 10)),
    "Apples": ((14, 30), (5, 10)),
    "Bananas": ((4, 8), (3, 6)),
    "Chicken Breast": ((3, 6), (3, 7)),
    "Minced Beef": ((2, 4), (4, 9)),
    "Tomatoes": ((5, 10), (3, 7)),
    "Ham": ((5, 10), (4, 8)),
    "Cottage Cheese": ((7, 14), (4, 9)),
}
SHELF_STABLE_LIFE = (120, 720)
RESTOCK_DAYS = {"S": (10, 40), "N": (14, 60)}
USE_LOGGED_EVERY = {"P": (1.5, 3.5), "S": (4.0, 12.0), "N": (4.0, 12.0)}  # days between logged uses
WAKING = (7 * 60, 22 * 60 + 30)  # changes are logged between 07:00 and 22:30 local time


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


# ---------------------------------------------------------------------------------------
# Writers


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat(" ")  # with its UTC offset when aware (timestamptz columns)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)  # int, Decimal


def _insert(cur, table: str, columns: str, rows: list[tuple]) -> None:
    """Rows into a table with COPY (several times faster than INSERTs for ten years of data)."""
    if rows:
        text = "".join("\t".join(map(_copy_field, row)) + "\n" for row in rows)
        cur.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text))


def _set_serial(cur, table: str, column: str) -> None:
    cur.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT max({column}) FROM {table}), 0) + 1, false)",
        (table, column),
    )


def _truncate(cur, tables: Sequence[str]) -> None:
    cur.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


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
    return 0


def _write_training(cur, data: DemoData, replace: bool) -> int:
    if replace:
        _truncate(cur, TRAINING_TABLES)
    _insert(cur, "workout_templates", "template_id, template_name, workout_type, target_duration_min, notes, is_active, created_at", data.workout_templates)
    _insert(cur, "exercises", "exercise_id, exercise_name, muscle_group, movement_type, equipment, notes, is_active, created_at", data.exercises)
    _insert(
        cur, "workouts",
        "workout_date, template_id, location, duration_min, days_since_last_workout, recovery_score, mood_score, "
        "notes, data_source, created_at, updated_at",
        data.workouts,
    )
    _insert(
        cur, "workout_sets",
        "workout_date, template_id, exercise_id, weight_kg, tut_seconds, max_effort, form_ok, notes, data_source, "
        "created_at, updated_at",
        data.workout_sets,
    )
    _insert(cur, "measurements", "measurement_date, bodyweight_kg, bodyfat_pct, notes, data_source, created_at, updated_at", data.measurements)
    return 0


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
        cur.execute(f"DELETE FROM {PANTRY_HISTORY_TABLE}")  # empty before: checked, or truncated above
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


_WRITERS = {"finance": _write_finance, "training": _write_training, "pantry": _write_pantry}
