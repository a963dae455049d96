"""What the trends and forecasts of every domain share: a null value's reason, exact ceil
division, and the implausible inputs they refuse, counted for the plausible_values checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol


def with_reason(key: str, value: object, reason: str | None) -> dict:
    """`key` and `<key>_reason` beside it: the reason only when the value is null."""
    return {key: value, f"{key}_reason": None if value is not None else reason}


def ceil_div(dividend: Decimal, divisor: Decimal) -> int:
    """ceil(dividend / divisor) exactly, for positive operands: Decimal's divmod is exact, where
    a float or a rounded quotient could put a day one off at an exact multiple."""
    whole, rest = divmod(dividend, divisor)
    return int(whole) + (1 if rest else 0)


@dataclass(frozen=True, slots=True)
class Implausible:
    """An input that made a forecast null, named so that the same row seen from many days
    counts once."""

    check: str
    what: str


class Checked(Protocol):
    """A day's forecast or trends: the plausible_values keys it reports, and what it refused."""

    @property
    def checks(self) -> tuple[str, ...]: ...

    @property
    def implausible(self) -> frozenset[Implausible]: ...


def implausible_counts(forecasts: Iterable[Checked]) -> dict[str, int]:
    """The implausible inputs the forecasts met, each counted once however many days it
    touched, under its plausible_values metadata key (0 for each key these forecasts have)."""
    counts: Counter[str] = Counter()
    seen: set[Implausible] = set()
    for forecast in forecasts:
        for check in forecast.checks:
            counts.setdefault(check, 0)
        for problem in forecast.implausible - seen:
            counts[problem.check] += 1
            seen.add(problem)
    return dict(counts)
