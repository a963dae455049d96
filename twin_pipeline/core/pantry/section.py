"""Pantry as of a day: stock below threshold and what is expired or expiring soon."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from twin_pipeline.core.sections import iso


@dataclass(frozen=True, slots=True)
class PantryItem:
    category: str
    current_quantity: Decimal | None
    unit: str | None
    next_expiry: date | None
    critical_threshold: Decimal | None


@dataclass(frozen=True, slots=True)
class PantrySection:
    as_of: date
    items: tuple[PantryItem, ...]
    expiry_window_days: int

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
            "categories": len(self.items),
            "low_stock_count": len(self.low_stock),
            "low_stock": self.low_stock,
            "expiring_soon_count": len(self.expiring_soon),
            "expiring_soon": self.expiring_soon,
            "expired_count": len(self.expired),
            "expired": self.expired,
            "expiry_window_days": self.expiry_window_days,
        }


def pantry_section(day: date, items: Iterable[PantryItem], *, expiry_window_days: int) -> PantrySection:
    # The document says what the pantry held, not how it was learnt (live or from the
    # history capture): the same pantry must give the same document, or a backfill of a
    # day recorded live would append a "correction" that corrects nothing.
    return PantrySection(day, tuple(sorted(items, key=lambda i: i.category)), expiry_window_days)


@dataclass(frozen=True, slots=True)
class PantryVersion:
    """One version of a pantry row from the history capture, valid over (valid_from, valid_to]."""

    item: PantryItem
    valid_from: datetime
    valid_to: datetime | None


def inventory_at(day_ends: Mapping[date, datetime], versions: Iterable[PantryVersion]) -> dict[date, list[PantryItem]]:
    """The inventory as it stood at the end of each day: one sweep over the versions."""
    pending = sorted(versions, key=lambda v: v.valid_from)
    alive: dict[int, PantryItem] = {}
    ending: list[tuple[datetime, int]] = []
    inventories = {}
    position = 0
    for day in sorted(day_ends):
        end = day_ends[day]
        while position < len(pending) and pending[position].valid_from < end:
            version = pending[position]
            alive[position] = version.item
            if version.valid_to is not None:
                heapq.heappush(ending, (version.valid_to, position))
            position += 1
        while ending and ending[0][0] < end:
            alive.pop(heapq.heappop(ending)[1], None)
        inventories[day] = list(alive.values())
    return inventories
