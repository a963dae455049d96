"""What a usable twin store is: its tables and shipped migrations (check_store), the marks
of the twin's own rows in digital_twin_updates, the entity types of a day, and the loader of
store/sql/ that every store module runs its statements through."""

from __future__ import annotations

from sqlalchemy import Connection, TextClause

from twin_pipeline.migrations import MigrationError, pending, pending_line
from twin_pipeline.sources import ENTITY_SOURCES
from twin_pipeline.sqlfiles import load

SOURCE_SYSTEM = "g04_engine"
UPDATE_TYPE = "status_sync"

REQUIRED_TABLES = (
    "digital_twin_updates",
    "person",
    "twin_section_day",
    "twin_daily_summary",
    "twin_source_fingerprint",
    "twin_source_coverage",
    "goal",
    "home",
    "twin_forecast_review",
    "twin_source_section_day",
)


def sql(name: str) -> TextClause:
    return load(__package__, name)


class StoreError(RuntimeError):
    """The twin store is not usable as it is; the message says what to do."""


def check_store(conn: Connection, location: str) -> None:
    """Read-only: the store has the twin's tables and every shipped migration applied.

    The pipeline's login (sql/roles/twin_writer.sql) may not change the schema, so a run
    never migrates; it names what is missing and the owner's command instead."""
    missing = conn.execute(sql("required_tables"), {"names": list(REQUIRED_TABLES)}).scalars().all()
    if missing:
        raise StoreError(
            f"twin store {location} lacks {', '.join(missing)}: run `twin db migrate` as the database "
            "owner to create the twin's tables (it never touches the source databases)"
        )
    try:
        waiting = pending(conn, "twin")
    except MigrationError as exc:
        raise StoreError(str(exc)) from None
    if waiting:
        raise StoreError(pending_line("twin", location, waiting))


def day_entities() -> list[str]:
    """The entity types of a day's state: one per source (sources/), in the contract's order."""
    return list(ENTITY_SOURCES)


def _filters(person_id: str) -> dict:
    return {"p": person_id, "s": SOURCE_SYSTEM, "u": UPDATE_TYPE, "entities": day_entities()}
