"""What a source is, described once: its SourceSpec (database, contract objects, reader,
watched tables), the shape of what a reader returns, and of a window's fingerprints.

Declarations only: no database is opened here. Reading a source (one snapshot, the
contract check, retries) is sources/reading.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, TextClause

from twin_pipeline.core.changes import CURRENT, StaleRule
from twin_pipeline.core.notable import WatchedMetric
from twin_pipeline.paths import source_declaration
from twin_pipeline.settings import TwinSettings, source_url_variable
from twin_pipeline.sources.contract import ContractObject
from twin_pipeline.sqlfiles import load

Window = tuple[str, str, str]  # (watched table, first bucket, last bucket)


@dataclass(frozen=True)
class WatchedTable:
    """A table the twin reads, as source_change_sensor watches it."""

    name: str  # "finance.transactions": its fingerprints' key and sql/fingerprints/<table>.sql
    counters: tuple[str, ...]  # the tables whose change counters gate fingerprinting
    stale: StaleRule  # which days a change dated X makes stale (core/changes.py)
    later_query: str | None = None  # what the rule needs from the current rows, per changed date


@dataclass(frozen=True)
class Fingerprints:
    """A source table's fingerprints over a window of buckets, as one snapshot read them."""

    source_table: str
    first_bucket: str
    last_bucket: str
    values: dict[str, str]


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


Reader = Callable[["SourceSpec", Connection, list[date], TwinSettings], SourceRead]
FingerprintWindows = Callable[[list[date], TwinSettings], list[Window]]  # the windows a read of these days covers
Reconcile = Callable[["SourceSpec", Connection, list[dict], TwinSettings], CheckOutcome]
# (the entity's document from its first source, this source's section of the day or None
# when it has none) -> the entity's document with this source's part joined in.
Join = Callable[[dict, "dict | None"], dict]


@dataclass(frozen=True)
class SourceSpec:
    """One source database, described once."""

    name: str  # the asset, the database role, the `<NAME>_DATABASE_URL` prefix
    entity_type: str  # the section it fills in each day's state (docs/contract.md)
    database: str  # the database's name in the embedded server
    package: str  # where its sql/ folder lives
    description: str  # the asset's description in the UI
    contract: tuple[ContractObject, ...]
    watched: tuple[WatchedTable, ...]
    read: Reader
    windows: FingerprintWindows  # what to forget when the source could not be read
    plotted: tuple[str, ...] = ()  # figures of a day's section (dotted paths) the UI plots over partitions
    # Figures judged against the person's own norm each day (core/notable.py): a source
    # added later brings its own.
    watched_metrics: tuple[WatchedMetric, ...] = ()
    migrations: Mapping[str, str] = field(default_factory=dict)  # target -> folder under sql/ (fresh installs)
    reconcile: Reconcile | None = None
    reconcile_description: str | None = None
    # A second source of an entity (biometrics beside training in health) joins its section
    # into the first source's document. Whether it is optional (a configured install may
    # leave its URL out) and its URL variable are in its folder's source.toml.
    join: Join | None = None

    @property
    def url_variable(self) -> str:
        return source_url_variable(self.name)

    @property
    def optional(self) -> bool:
        return source_declaration(self.name).optional

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
