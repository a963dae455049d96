"""What describes a source once, and the machinery every source shares (no Dagster).

A source is one folder under sources/: a SourceSpec (its database, the contract objects
it needs, its reader, the tables the sensor watches and how a change reaches forward),
and its SQL. read_section() reads any range of days from it, in one snapshot, with the
contract check, retries, data-quality counts and fingerprints; the Dagster assets, the
CLI and the API all read through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, TextClause
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.changes import CURRENT, StaleRule
from twin_pipeline.core.sections import Unavailable
from twin_pipeline.database import Database
from twin_pipeline.faults import describe, kind_of, with_retries
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources.contract import ContractGap, ContractObject, SchemaDrift, require_contract
from twin_pipeline.sqlfiles import load
from twin_pipeline.store import Fingerprints

Window = tuple[str, str, str]  # (watched table, first bucket, last bucket)


@dataclass(frozen=True)
class Rules:
    """The twin's rules that are not database URLs (from TwinSettings)."""

    timezone: str
    currency: str
    expiry_window_days: int
    weekly_workout_target: int
    freshness_days: int

    @classmethod
    def from_settings(cls, settings: TwinSettings) -> Rules:
        return cls(
            timezone=settings.timezone,
            currency=settings.currency,
            expiry_window_days=settings.expiry_window_days,
            weekly_workout_target=settings.weekly_workout_target,
            freshness_days=settings.freshness_days,
        )

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class WatchedTable:
    """A table the twin reads, as source_change_sensor watches it."""

    name: str  # "finance.transactions": its fingerprints' key and sql/fingerprints/<table>.sql
    counters: tuple[str, ...]  # the tables whose change counters gate fingerprinting
    stale: StaleRule  # which days a change dated X makes stale (core/changes.py)
    later_query: str | None = None  # what the rule needs from the current rows, per changed date


@dataclass(frozen=True)
class SourceRead:
    """What a reader got from its source for the run's days, from one snapshot."""

    documents: list[dict]
    rows_read: int
    fingerprints: list[Fingerprints]
    implausible: dict[str, int] = field(default_factory=dict)  # inputs the forecasts refused, by check key


@dataclass(frozen=True)
class CheckOutcome:
    """A source's own check (beyond the shared ones), as plain data."""

    name: str
    passed: bool
    metadata: dict
    blocking: bool = True  # ERROR when it fails, else WARN


Reader = Callable[["SourceSpec", Connection, list[date], Rules], SourceRead]
Windows = Callable[[list[date], Rules], list[Window]]
Reconcile = Callable[["SourceSpec", Connection, list[dict], Rules], CheckOutcome]
# (the entity's document from its first source, this source's section of the day or None
# when it has none) -> the entity's document with this source's part joined in.
Join = Callable[[dict, "dict | None"], dict]


@dataclass(frozen=True)
class SourceSpec:
    """One source database, described once."""

    name: str  # the asset, the database role, the `<NAME>_DATABASE_URL` prefix
    entity_type: str  # the section it fills in each day's state (CONTRACT.md)
    database: str  # the database's name in the embedded server
    package: str  # where its sql/ folder lives
    description: str  # the asset's description in the UI
    contract: tuple[ContractObject, ...]
    watched: tuple[WatchedTable, ...]
    read: Reader
    windows: Windows  # what to forget when the source could not be read
    plotted: tuple[str, ...] = ()  # figures of a day's section (dotted paths) the UI plots over partitions
    migrations: Mapping[str, str] = field(default_factory=dict)  # target -> folder under sql/ (fresh installs)
    reconcile: Reconcile | None = None
    reconcile_description: str | None = None
    # A second source of an entity (biometrics beside training in health) joins its section
    # into the first source's document; it may be optional: a configured install may leave
    # its URL out, and then its section says so instead of being read.
    join: Join | None = None
    optional: bool = False
    url_prefix: str | None = None  # the URL variable's prefix when it is not the name (HEALTH_)

    @property
    def url_variable(self) -> str:
        return f"{(self.url_prefix or self.name).upper()}_DATABASE_URL"

    def sql(self, name: str) -> TextClause:
        return load(self.package, name)

    def watched_table(self, name: str) -> WatchedTable:
        for table in self.watched:
            if table.name == name:
                return table
        raise KeyError(f"{name}: not a table the {self.name} source watches ({', '.join(t.name for t in self.watched)})")

    def fingerprints(self, conn: Connection, windows: list[Window], timezone: str) -> list[Fingerprints]:
        """Fingerprints of each (watched table, first bucket, last bucket) window."""
        read = []
        for table, first, last in windows:
            bounds = (None, None) if first == CURRENT else (first, last)
            rows = conn.execute(self.fingerprint_query(table), {"start": bounds[0], "end": bounds[1], "tz": timezone})
            read.append(Fingerprints(table, first, last, dict(rows.all())))
        return read

    def fingerprint_query(self, table: str) -> TextClause:
        return self.sql(f"fingerprints/{table.split('.', 1)[1]}")


def failure_reason(database: Database, exc: Exception) -> str:
    """A one-line reason naming the database, safe to store and show (no password)."""
    return describe(database.role, database.location, exc)


@dataclass(frozen=True)
class SectionOutcome:
    """A section over a range of days, and what was seen beside it."""

    read: SourceRead
    failure: str | None  # why the source could not be read (then every day is unavailable)
    gaps: list[ContractGap]
    quality: dict  # bad-data counts (README "Bad data"), and last_seen
    own_checks: list[CheckOutcome]


def read_section(
    spec: SourceSpec,
    database: Database,
    days: list[date],
    rules: Rules,
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
            got = spec.read(spec, conn, days, rules)
            bounds = {"start": days[0], "end": days[-1], "today": rules.today(), "tz": rules.timezone}
            quality = {**conn.execute(spec.sql("checks/quality"), bounds).one()._mapping, **got.implausible}
            own = [spec.reconcile(spec, conn, got.documents, rules)] if spec.reconcile else []
            return SectionOutcome(got, None, gaps, quality, own)

    try:
        return with_retries(attempt, retries=database.retries, backoff_s=database.retry_backoff_s, on_retry=on_retry)
    except (SQLAlchemyError, SchemaDrift) as exc:
        return unavailable_outcome(spec, database, days, rules, exc)


def unavailable_outcome(
    spec: SourceSpec, database: Database, days: list[date], rules: Rules, exc: Exception
) -> SectionOutcome:
    """What a source that could not be read gives: each day unavailable with the reason, and
    those days' fingerprints forgotten."""
    drift = isinstance(exc, SchemaDrift)
    failure = str(exc) if drift else failure_reason(database, exc)
    short = f"{spec.name} database " + ("does not match the contract" if drift else kind_of(exc))
    documents = [Unavailable(spec.entity_type, day, short, failure).to_json() for day in days]
    forgotten = [Fingerprints(table, first, last, {}) for table, first, last in spec.windows(days, rules)]
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
