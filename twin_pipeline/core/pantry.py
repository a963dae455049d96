"""Pantry as of a day: stock below threshold and what is expired or expiring soon."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from twin_pipeline.core.sections import iso


@dataclass(frozen=True)
class PantryItem:
    category: str
    current_quantity: Decimal | None
    unit: str | None
    next_expiry: date | None
    critical_threshold: Decimal | None


@dataclass(frozen=True)
class PantrySection:
    as_of: date
    items: tuple[PantryItem, ...]
    expiry_window_days: int
    basis: str  # where the inventory of that day comes from: "live" or "history"

    @property
    def low_stock(self) -> list[str]:
        return sorted(
            i.category
            for i in self.items
            if i.current_quantity is not None
            and i.critical_threshold is not None
            and i.current_quantity <= i.critical_threshold
        )

    @property
    def expired(self) -> list[str]:
        return sorted(i.category for i in self.items if i.next_expiry is not None and i.next_expiry < self.as_of)

    @property
    def expiring_soon(self) -> list[str]:
        horizon = self.as_of + timedelta(days=self.expiry_window_days)
        return sorted(
            i.category for i in self.items if i.next_expiry is not None and self.as_of <= i.next_expiry <= horizon
        )

    def to_json(self) -> dict:
        return {
            "as_of": iso(self.as_of),
            "status": "ok",
            "error": None,
            "basis": self.basis,
            "categories": len(self.items),
            "low_stock_count": len(self.low_stock),
            "low_stock": self.low_stock,
            "expiring_soon_count": len(self.expiring_soon),
            "expiring_soon": self.expiring_soon,
            "expired_count": len(self.expired),
            "expired": self.expired,
            "expiry_window_days": self.expiry_window_days,
        }


def pantry_section(day: date, items: Iterable[PantryItem], *, expiry_window_days: int, basis: str) -> PantrySection:
    return PantrySection(day, tuple(sorted(items, key=lambda i: i.category)), expiry_window_days, basis)
