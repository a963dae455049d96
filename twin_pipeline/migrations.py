"""Numbered migrations (NNN_name.sql), applied idempotently and recorded per target.

Targets: the twin store (store/sql/migrations) and what each source's spec ships for a
fresh install (sources/<name>/sql/migrations; the pantry's opt-in history capture). The
sources are only ever migrated when explicitly asked, or when they are the embedded demo
databases this project created.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable

from sqlalchemy import Engine, text

from twin_pipeline.sources import SOURCES


def _folders() -> dict[str, tuple[str, Traversable]]:
    """target -> (the database it lives in, its folder of migrations)."""
    found = {"twin": ("twin", files("twin_pipeline.store") / "sql" / "migrations")}
    for spec in SOURCES.values():
        for target, folder in spec.migrations.items():
            found[target] = (spec.name, files(spec.package) / "sql" / folder)
    return found


FOLDERS = _folders()
TARGETS = tuple(FOLDERS)
# The source schemas of a fresh install (the opt-in pantry history capture is separate).
SOURCE_TARGETS = tuple(name for name in SOURCES if name in FOLDERS)
# The database each target lives in: the opt-in pantry history capture goes into pantry's.
TARGET_DATABASE = {target: database for target, (database, _) in FOLDERS.items() if target != database}

_FILE = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")

_RECORD_TABLE = """
CREATE TABLE IF NOT EXISTS twin_schema_migrations (
    target      varchar(20) NOT NULL,
    version     int         NOT NULL,
    name        text        NOT NULL,
    checksum    char(64)    NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, version)
)
"""


class MigrationError(RuntimeError):
    """A migration cannot be applied; the message names the file and the database."""


@dataclass(frozen=True)
class Migration:
    target: str
    version: int
    name: str
    path: Traversable

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def available(target: str) -> list[Migration]:
    """The migrations shipped for a target, in version order."""
    if target not in TARGETS:
        raise MigrationError(f"unknown migration target {target!r}; one of {', '.join(TARGETS)}")
    found = []
    for path in sorted((p for p in FOLDERS[target][1].iterdir() if p.name.endswith(".sql")), key=lambda p: p.name):
        match = _FILE.match(path.name)
        if not match:
            raise MigrationError(f"{path} is not named NNN_name.sql")
        found.append(Migration(target, int(match.group(1)), match.group(2), path))
    return found


def applied(engine: Engine, target: str) -> dict[int, str]:
    """version -> checksum of what was applied to this database for the target."""
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('twin_schema_migrations')")).scalar()
        if exists is None:
            return {}
        rows = conn.execute(
            text("SELECT version, checksum FROM twin_schema_migrations WHERE target = :t"),
            {"t": target},
        )
        return {version: checksum for version, checksum in rows}


def pending(engine: Engine, target: str) -> list[Migration]:
    done = applied(engine, target)
    return [m for m in available(target) if m.version not in done]


def migrate(engine: Engine, target: str) -> list[Migration]:
    """Apply what is pending for the target, each file in its own transaction.

    A migration already applied whose file has since changed is an error: migrations
    are append-only, a change goes in a new numbered file.
    """
    ran = []
    for migration in available(target):
        with engine.begin() as conn:
            # Serialise concurrent migrators (several Dagster processes may start at once).
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('twin_schema_migrations'))"))
            conn.exec_driver_sql(_RECORD_TABLE)
            recorded = conn.execute(
                text(
                    "SELECT checksum FROM twin_schema_migrations "
                    "WHERE target = :t AND version = :v"
                ),
                {"t": target, "v": migration.version},
            ).scalar()
            if recorded is not None:
                if recorded.strip() != migration.checksum:
                    raise MigrationError(
                        f"{migration.path.name} ({target}) was changed after it was applied "
                        f"to {engine.url.database}; put the change in a new numbered migration"
                    )
                continue
            try:
                conn.connection.cursor().execute(migration.sql)
            except Exception as exc:
                raise MigrationError(
                    f"migration {target}/{migration.path.name} failed on database "
                    f"{engine.url.database}: {str(exc).strip().splitlines()[0]}"
                ) from exc
            conn.execute(
                text(
                    "INSERT INTO twin_schema_migrations (target, version, name, checksum) "
                    "VALUES (:t, :v, :n, :c)"
                ),
                {"t": target, "v": migration.version, "n": migration.name, "c": migration.checksum},
            )
            ran.append(migration)
    return ran
