"""Reading a source for a range of days: one snapshot, the contract check first, retries of
what may pass, data-quality counts and fingerprints. The Dagster assets, the sensor, the
CLI and the API all read a source through read_section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.sections import Unavailable
from twin_pipeline.database import Database
from twin_pipeline.faults import describe, kind_of
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources.contract import CONTRACT, ContractGap, SchemaDrift, contract_gaps
from twin_pipeline.sources.spec import CheckOutcome, Fingerprints, SourceRead, SourceSpec


def require_contract(conn: Connection, spec: SourceSpec, location: str) -> list[ContractGap]:
    """Raise SchemaDrift if an object the twin reads is missing; return every gap found."""
    gaps = contract_gaps(conn, spec.contract)
    blocking = [gap.description for gap in gaps if gap.used]
    if blocking:
        raise SchemaDrift(
            f"{spec.name} database at {location} lacks {', '.join(blocking)}, named in {CONTRACT}; "
            f"restore it or point {spec.url_variable} at the right database"
        )
    return gaps


def failure_reason(database: Database, exc: Exception) -> str:
    """A one-line reason naming the database, safe to store and show (no password)."""
    return describe(database.role, database.location, exc)


@dataclass(frozen=True)
class SectionOutcome:
    """A section over a range of days, and what was seen beside it."""

    read: SourceRead
    failure: str | None  # why the source could not be read (then every day is unavailable)
    gaps: list[ContractGap]
    quality: dict  # bad-data counts (docs/operations.md, "Bad data"), and last_seen
    own_checks: list[CheckOutcome]


def read_section(
    spec: SourceSpec,
    database: Database,
    days: list[date],
    settings: TwinSettings,
    on_retry: Callable[[BaseException, float], None] = lambda exc, wait: None,
) -> SectionOutcome:
    """Read the source for the days (retrying what may pass). A source that cannot be read
    makes each day unavailable with the reason, and forgets those days' fingerprints, so
    the sensor restates them once it answers again. An optional source that is not
    configured is not read: each day's section says so."""
    if not database.configured:
        return not_configured_outcome(spec, days)

    def attempt() -> SectionOutcome:
        # One snapshot for the rows and their fingerprints, so a change committed while
        # the run reads is either in both or in neither (and then the sensor sees it).
        with database.engine().connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            gaps = require_contract(conn, spec, database.location)
            got = spec.read(spec, conn, days, settings)
            bounds = {"start": days[0], "end": days[-1], "today": settings.today(), "tz": settings.timezone}
            quality = {**conn.execute(spec.sql("checks/quality"), bounds).one()._mapping, **got.implausible}
            own = [spec.reconcile(spec, conn, got.documents, settings)] if spec.reconcile else []
            return SectionOutcome(got, None, gaps, quality, own)

    try:
        return database.retrying(attempt, on_retry)
    except (SQLAlchemyError, SchemaDrift) as exc:
        return unavailable_outcome(spec, database, days, settings, exc)


def unavailable_outcome(
    spec: SourceSpec, database: Database, days: list[date], settings: TwinSettings, exc: Exception
) -> SectionOutcome:
    """What a source that could not be read gives: each day unavailable with the reason, and
    those days' fingerprints forgotten."""
    drift = isinstance(exc, SchemaDrift)
    failure = str(exc) if drift else failure_reason(database, exc)
    short = f"{spec.name} database " + ("does not match the contract" if drift else kind_of(exc))
    documents = [Unavailable(spec.entity_type, day, short, failure).to_json() for day in days]
    forgotten = [Fingerprints(table, first, last, {}) for table, first, last in spec.windows(days, settings)]
    return SectionOutcome(
        SourceRead(documents, 0, forgotten), failure, [ContractGap(failure, True)] if drift else [], {}, []
    )


def not_configured_reason(spec: SourceSpec) -> str:
    return f"{spec.entity_type} database not configured ({spec.url_variable})"


def not_configured_outcome(spec: SourceSpec, days: list[date]) -> SectionOutcome:
    """An optional source left out of a configured install: nothing read, nothing failed."""
    reason = not_configured_reason(spec)
    documents = [{**Unavailable(spec.entity_type, day, reason).to_json(), "not_configured": True} for day in days]
    return SectionOutcome(SourceRead(documents, 0, []), None, [], {"not_configured": reason}, [])
