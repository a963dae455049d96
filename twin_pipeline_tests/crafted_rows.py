"""Crafted rows for the pure forecast tests, built the way the readers hand them over, and the
one-day forecasts over them (shared by the finance, pantry and status-text tests)."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from twin_pipeline.core.finance.forecast import FinanceForecast, finance_forecasts
from twin_pipeline.core.finance.section import Budget, DailyFlow
from twin_pipeline.core.pantry.forecast import PantryForecast, pantry_forecasts
from twin_pipeline.core.pantry.section import PantryItem, PantryVersion

WARSAW = ZoneInfo("Europe/Warsaw")


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def expense(day: date, amount: str, category: int | None = 1, currency: str = "PLN") -> DailyFlow:
    return DailyFlow(day, currency, "Expense", category, Decimal(amount), 1)


def income(day: date, amount: str, currency: str = "PLN") -> DailyFlow:
    return DailyFlow(day, currency, "Income", None, Decimal(amount), 1)


def finance_on(day: date, flows, budgets=()) -> FinanceForecast:
    return finance_forecasts([day], flows, budgets, "PLN")[day]


# 100 PLN spent every day of January to March 2026; the salary, 5,000 PLN, arrives on the 25th
# or on the 1st.
STEADY = [expense(d, "100") for d in days_between(date(2026, 1, 1), date(2026, 3, 31))]


def groceries(year: int, month: int, amount: str) -> Budget:
    return Budget(f"b-{year}-{month}", year, month, 7, "Food > Groceries", Decimal(amount), 80, "High")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WARSAW)


def chain(category: str, changes: list[tuple[datetime, str]], threshold: str | None = "1") -> list[PantryVersion]:
    """The versions a category's updates leave in the history: each valid until the next."""
    versions = []
    for i, (since, quantity) in enumerate(changes):
        until = changes[i + 1][0] if i + 1 < len(changes) else None
        item = PantryItem(
            category,
            None if quantity is None else Decimal(quantity),
            "kg",
            None,
            None if threshold is None else Decimal(threshold),
        )
        versions.append(PantryVersion(item, since, until))
    return versions


CAPTURED = date(2026, 1, 1)


def pantry_on(day: date, versions, history_starts: date | None = CAPTURED) -> PantryForecast:
    return pantry_forecasts([day], versions, history_starts, WARSAW)[day]
