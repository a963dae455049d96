"""What the three sources' demo generators and writers share: the rows' container, the trips
abroad every source respects, date helpers and writing rows with COPY."""

from __future__ import annotations

import io
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from psycopg2 import sql

CENT = Decimal("0.01")


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
    biometrics: list[tuple] = field(default_factory=list)
    expense_calendar: list[tuple] = field(default_factory=list)


@dataclass(frozen=True)
class Trip:
    start: date
    nights: int
    city: str
    country: str

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.nights + 1)]


def _daterange(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


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


# ---------------------------------------------------------------------------------------
# Writing rows


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


def _names(names: Iterable[str]) -> sql.Composed:
    """Table or column names as quoted identifiers: whatever a name holds, it stays one name."""
    return sql.SQL(", ").join(map(sql.Identifier, names))


def _insert(cur, table: str, columns: str, rows: list[tuple]) -> None:
    """Rows into a table with COPY (several times faster than INSERTs for ten years of data)."""
    if rows:
        text = "".join("\t".join(map(_copy_field, row)) + "\n" for row in rows)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), _names(column.strip() for column in columns.split(",")))
        cur.copy_expert(statement, io.StringIO(text))


def _set_serial(cur, table: str, column: str) -> None:
    # pg_get_serial_sequence reads its table argument as SQL does a name (folded unless quoted).
    cur.execute(
        sql.SQL("SELECT setval(pg_get_serial_sequence(quote_ident(%s), %s), "
                "COALESCE((SELECT max({}) FROM {}), 0) + 1, false)").format(sql.Identifier(column), sql.Identifier(table)),
        (table, column),
    )


def _truncate(cur, tables: Sequence[str]) -> None:
    cur.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(_names(tables)))


def _delete_rows(cur, table: str) -> None:
    cur.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
