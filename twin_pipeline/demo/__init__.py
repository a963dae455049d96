"""Deterministic demo data for the three source databases.

One believable person in Kraków, Poland: a salary in PLN on the 10th, rent on the 1st,
many small card payments (groceries, coffee, tickets, street food), a yearly trip paid in
EUR and a VPN billed in EUR every month (so two currencies always exist), twelve budgets a
month (some months breach one or two of them), an expense calendar of the bills planned
ahead (the car insurance once a year, the freelance income tax every quarter, Netflix every
month), each also paid as a transaction on its day, HIT workouts about four times a week with
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

Each source database has a module here with its generator and its writer: ``finance``,
``training``, ``pantry`` (the fixed rows of finance and of the pantry are in ``finance_catalog``
and ``pantry_catalog``); ``common`` holds what they share.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from psycopg2 import sql
from sqlalchemy import Engine

from twin_pipeline.demo.biometrics import BIOMETRICS_TABLES, _biometrics, _write_biometrics
from twin_pipeline.demo.common import DemoData, _trips
from twin_pipeline.demo.finance import FINANCE_TABLES, _finance, _write_finance
from twin_pipeline.demo.pantry import PANTRY_HISTORY_TABLE, PANTRY_TABLES, _pantry, _write_pantry, captured_since_of
from twin_pipeline.demo.training import (
    TRAINING_TABLES,
    _exercises,
    _measurements,
    _templates,
    _workouts,
    _write_training,
)


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
    biometrics: int = 0  # rows written into autonomous_health.biometrics (0 without that database)
    expense_calendar: int = 0  # planned bills written into autonomous_finance.expense_calendar


# What "the sources hold data" means for sources_are_empty().
_DATA_TABLES = (
    ("finance", "transactions"),
    ("training", "workouts"),
    ("training", "measurements"),
    ("pantry", "pantry_inventory"),
    ("pantry", "pantry_dictionary"),
    ("biometrics", "biometrics"),
)

# Each source's writer puts its rows through an open cursor and returns how many pantry history
# rows it wrote (0 but for the pantry's).
_WRITERS = {"finance": _write_finance, "training": _write_training, "pantry": _write_pantry,
            "biometrics": _write_biometrics}
# The sources demo data exists for, by name (the keyword arguments of load_demo_data).
DEMO_SOURCES = tuple(_WRITERS)


# ---------------------------------------------------------------------------------------
# Public API


def sources_are_empty(finance: Engine, training: Engine, pantry: Engine, biometrics: Engine | None = None) -> bool:
    """True when there are no transactions, no workouts, no measurements, no pantry rows
    and (with the health database) no biometrics."""
    engines = {"finance": finance, "training": training, "pantry": pantry, "biometrics": biometrics}
    for role, table in _DATA_TABLES:
        if engines[role] is not None and _non_empty(engines[role], role, (table,)):
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
    biometrics: Engine | None = None,
) -> DemoCounts:
    """Fill the three (migrated) source databases, and the health database when given, with
    ``days`` days of demo data ending ``end``.

    Without ``replace`` every demo table must be empty; with it they are truncated first.
    """
    if not isinstance(days, int) or days < 1:
        raise DemoDataError(f"days must be a positive whole number, not {days!r}")
    if isinstance(end, datetime):
        end = end.date()
    start = end - timedelta(days=days - 1)

    engines = {"finance": finance, "training": training, "pantry": pantry}
    if biometrics is not None:
        engines["biometrics"] = biometrics
    tables = {"finance": FINANCE_TABLES, "training": TRAINING_TABLES, "pantry": PANTRY_TABLES,
              "biometrics": BIOMETRICS_TABLES}
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
        biometrics=len(data.biometrics) if biometrics is not None else 0,
        expense_calendar=len(data.expense_calendar),
    )


def _non_empty(engine: Engine, role: str, tables: Sequence[str], *, optional: Sequence[str] = ()) -> list[str]:
    """The tables among ``tables`` and the existing ones among ``optional`` that hold a row."""
    conn = engine.raw_connection()
    try:
        with conn.cursor() as cur:
            found = []
            for table in (*tables, *optional):
                cur.execute("SELECT to_regclass(quote_ident(%s))", (table,))
                if cur.fetchone()[0] is None:
                    if table in optional:
                        continue
                    raise DemoDataError(
                        f"table {table} is missing from the {role} database "
                        f"({engine.url.database}): apply the {role} migrations first"
                    )
                cur.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(sql.Identifier(table)))
                if cur.fetchone()[0]:
                    found.append(table)
        conn.rollback()
        return found
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# Generation (pure: no database, no clock)


def generate(*, days: int, seed: int, end: date) -> DemoData:
    """All demo rows, as tuples in the column order of each source's writer."""
    start = end - timedelta(days=days - 1)
    master = random.Random(seed)
    # Independent streams, so that e.g. the pantry does not change when finance does.
    streams = {
        name: random.Random(master.getrandbits(64))
        # A new stream goes last, so the earlier ones (and their rows) stay as they were.
        for name in ("trips", "finance", "budgets", "training", "body", "pantry", "pantry_history", "biometrics",
                     "planned")
    }

    trips = _trips(streams["trips"], start.year - 1, end.year)
    finance = _finance(streams["finance"], streams["budgets"], streams["planned"], start, end, trips)
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
        biometrics=_biometrics(streams["biometrics"], start, end, trips, measurements),
        expense_calendar=finance["expense_calendar"],
    )
