"""The source objects the data contract (docs/contract.md) names, and a check that a database still has them.

The twin reads only some of them (`used`); a missing used object makes that source's
section unavailable with an error naming the object, the database and the contract,
before anything is read (sources/reading.py). A missing object the twin does not read is
only reported.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from twin_pipeline.sqlfiles import load

CONTRACT = "the data contract (docs/contract.md)"


@dataclass(frozen=True)
class ContractObject:
    kind: str  # table | view | function
    name: str
    columns: tuple[str, ...] = ()
    used: bool = False


@dataclass(frozen=True)
class ContractGap:
    """One thing the data contract names that the database lacks."""

    description: str  # "column budgets.alert_threshold", "view v_body_composition"
    used: bool


def contract_gaps(conn: Connection, objects: tuple[ContractObject, ...]) -> list[ContractGap]:
    """What this source database lacks of the contract (catalog queries: no privileges needed)."""
    relations = [o.name for o in objects if o.kind != "function"]
    columns: dict[str, set[str]] = {}
    for relation, column in conn.execute(load(__package__, "contract_relations"), {"names": relations}):
        columns.setdefault(relation, set()).update([column] if column else [])
    functions = set(
        conn.execute(load(__package__, "contract_functions"), {"names": [o.name for o in objects if o.kind == "function"]})
        .scalars()
        .all()
    )
    gaps = []
    for obj in objects:
        if obj.kind == "function":
            if obj.name not in functions:
                gaps.append(ContractGap(f"function {obj.name}()", obj.used))
        elif obj.name not in columns:
            gaps.append(ContractGap(f"{obj.kind} {obj.name}", obj.used))
        else:
            gaps += [
                ContractGap(f"column {obj.name}.{column}", obj.used)
                for column in obj.columns
                if column not in columns[obj.name]
            ]
    return gaps


class SchemaDrift(RuntimeError):
    """A source lacks what the twin reads; the message names the objects, database and contract."""
