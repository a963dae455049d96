"""Fast tests of the pantry rules (low stock, expiry window) and of the inventory as it stood
at each day's end from the history capture. No database."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from twin_pipeline.core.pantry.section import PantryItem, PantryVersion, inventory_at, pantry_section

D = date(2026, 3, 10)


def item(category: str, quantity: str | None = "10", threshold: str | None = "1", expiry: date | None = None) -> PantryItem:
    return PantryItem(
        category, None if quantity is None else Decimal(quantity), "kg", expiry,
        None if threshold is None else Decimal(threshold),
    )


def test_low_stock_is_at_or_below_the_threshold_and_unknown_is_never_low():
    section = pantry_section(D, [
        item("Rice", "2", "2"),          # equal: low
        item("Oats", "2.01", "2"),       # just above: not low
        item("Milk", None, "1"),         # quantity unknown: never low
        item("Salt", "0.5", None),       # no threshold: never low
        item("Eggs", "-3", "0"),         # below zero (the readers clamp it to 0): none left, low
        item("Flour", "0", "0"),         # none left: low
    ], expiry_window_days=3)
    assert section.low_stock == ["Eggs", "Flour", "Rice"]


def test_expired_before_the_day_and_expiring_soon_within_the_window_inclusive():
    items = [
        item("Yesterday", expiry=D - timedelta(days=1)),
        item("Today", expiry=D),
        item("InThree", expiry=D + timedelta(days=3)),
        item("InFour", expiry=D + timedelta(days=4)),
        item("NoDate", expiry=None),
    ]
    section = pantry_section(D, items, expiry_window_days=3)
    assert (section.expired, section.expiring_soon) == (["Yesterday"], ["InThree", "Today"])
    assert pantry_section(D, items, expiry_window_days=0).expiring_soon == ["Today"]
    assert pantry_section(D, items, expiry_window_days=4).expiring_soon == ["InFour", "InThree", "Today"]


def test_the_document_counts_and_lists_sorted():
    section = pantry_section(D, [item("Tea", "0", "1", D), item("Beans", "5", "1", D - timedelta(days=2)),
                                 item("Apples", "1", "1")], expiry_window_days=3)
    assert section.to_json() == {
        "as_of": "2026-03-10", "status": "ok", "error": None, "categories": 3,
        "low_stock_count": 2, "low_stock": ["Apples", "Tea"],
        "expiring_soon_count": 1, "expiring_soon": ["Tea"],
        "expired_count": 1, "expired": ["Beans"],
        "expiry_window_days": 3,
    }


WARSAW = ZoneInfo("Europe/Warsaw")


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, second, tzinfo=WARSAW)


def test_inventory_at_each_day_end_uses_versions_valid_over_from_exclusive_to_inclusive():
    # A day's end is the next midnight, as the pantry asset passes it.
    day_ends = {date(2026, 3, d): at(d + 1) for d in (1, 2, 3)}
    versions = [
        # Valid until exactly the end of 03-01: still the row at that end.
        PantryVersion(item("Rice", "5"), datetime(2026, 2, 20, 10, tzinfo=WARSAW), at(2)),
        # Valid from exactly the end of 03-01: not yet the row then, the row from 03-02 on.
        PantryVersion(item("Rice", "4"), at(2), None),
        # Created a second before the end of 03-02, deleted during 03-03.
        PantryVersion(item("Milk", "1"), at(2, 23, 59, 59), at(3, 12)),
        # Gone before the first day.
        PantryVersion(item("Tea", "1"), datetime(2026, 2, 1, tzinfo=WARSAW), datetime(2026, 2, 15, tzinfo=WARSAW)),
    ]
    inventories = inventory_at(day_ends, versions)

    def stock(day: int) -> list[tuple[str, Decimal]]:
        return sorted((i.category, i.current_quantity) for i in inventories[date(2026, 3, day)])

    assert stock(1) == [("Rice", Decimal("5"))]
    assert stock(2) == [("Milk", Decimal("1")), ("Rice", Decimal("4"))]
    assert stock(3) == [("Rice", Decimal("4"))]
