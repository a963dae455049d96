"""Which state rows a run appends to the append-only history, and why.

The state of (entity, day) is the newest row. A run appends a row only when it says
something new; it never buries a usable state under an unavailable one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Decision = Literal["new", "correction", "unchanged", "kept"]


@dataclass(frozen=True)
class PlannedRow:
    entity_type: str
    as_of: str
    document: dict
    decision: Decision

    @property
    def writes(self) -> bool:
        return self.decision in ("new", "correction")


def plan_rows(
    computed: Mapping[tuple[str, str], dict], newest: Mapping[tuple[str, str], dict]
) -> list[PlannedRow]:
    """Decide for each computed (entity, as_of) document against the newest stored one.

    Documents are compared as parsed JSON, so key order and number spelling do not matter.
    """
    plan = []
    for key in sorted(computed, key=lambda k: (k[1], k[0])):
        document, stored = computed[key], newest.get(key)
        if stored is None:
            decision: Decision = "new"
        elif stored == document:
            decision = "unchanged"
        elif document.get("status") == "unavailable" and stored.get("status") != "unavailable":
            decision = "kept"
        elif stored.get("status") != "unavailable" and _buries_part(document, stored):
            decision = "kept"
        else:
            decision = "correction"
        plan.append(PlannedRow(key[0], key[1], document, decision))
    return plan


def _buries_part(document: Mapping, stored: Mapping) -> bool:
    """A document computed while one of its parts could not be read (the health database
    down: `parts_unavailable`) would bury a stored state whose part was read."""
    missing = set(document.get("parts_unavailable") or ())
    return bool(missing - set(stored.get("parts_unavailable") or ()))
