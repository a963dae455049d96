"""What every entity's section of a day's state shares, and the JSON conventions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Literal

Status = Literal["ok", "degraded", "unavailable"]

ZERO = Decimal("0")
CENTS = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    """PostgreSQL numeric rounding to 2 places: half away from zero."""
    return value.quantize(CENTS, rounding=ROUND_HALF_UP)


_WIDE = Context(prec=100)


def numeric_div(dividend: Decimal, divisor: int | Decimal) -> Decimal:
    """numeric / numeric exactly as PostgreSQL computes it.

    PostgreSQL rounds a quotient to the scale select_div_scale() picks: at least 16
    significant digits, never below either input's scale. Decimal's 28 digits would round
    ties differently (220.70 / 24 * 30 is 275.8749999999999990 in PostgreSQL: 275.87).
    """
    dividend, divisor = Decimal(dividend), Decimal(divisor)
    weight1, first1, scale1 = _numeric_shape(dividend)
    weight2, first2, scale2 = _numeric_shape(divisor)
    qweight = weight1 - weight2 - (1 if first1 <= first2 else 0)
    result_scale = max(16 - 4 * qweight, scale1, scale2, 0)
    quotient = _WIDE.divide(dividend, divisor)
    return quotient.quantize(_EXPONENTS[result_scale], rounding=ROUND_HALF_UP, context=_WIDE)


_EXPONENTS = [Decimal(1).scaleb(-scale) for scale in range(1001)]


@lru_cache(maxsize=8192)
def _numeric_shape(value: Decimal) -> tuple[int, int, int]:
    """(weight, first base-10000 digit, display scale) as PostgreSQL's numeric stores value."""
    scale = max(0, -value.as_tuple().exponent)
    if value == 0:
        return 0, 0, scale
    weight = abs(value).adjusted() // 4
    return weight, int(abs(value).scaleb(-4 * weight)), scale


def money(value: Decimal | None) -> float | None:
    """A JSON number rounded to 2 decimals (the rounding is done in Decimal first)."""
    return None if value is None else float(round2(value))


def iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


@dataclass(frozen=True)
class Unavailable:
    """A section that could not be computed for a day: a short reason, and the full one."""

    entity_type: str
    as_of: date
    reason: str
    detail: str | None = None

    def to_json(self) -> dict:
        document = {"as_of": iso(self.as_of), "status": "unavailable", "error": self.reason}
        if self.detail:
            document["error_detail"] = self.detail
        return document
