"""What every entity's section of a day's state shares, and the JSON conventions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Status = Literal["ok", "degraded", "unavailable"]
ENTITIES = ("finance", "health", "pantry")

CENTS = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    """PostgreSQL numeric rounding to 2 places: half away from zero."""
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


def money(value: Decimal | None) -> float | None:
    """A JSON number rounded to 2 decimals (the rounding is done in Decimal first)."""
    return None if value is None else float(round2(value))


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(frozen=True)
class Unavailable:
    """A section that could not be computed for a day, and why."""

    entity_type: str
    as_of: date
    reason: str

    def to_json(self) -> dict:
        return {"as_of": iso(self.as_of), "status": "unavailable", "error": self.reason}
