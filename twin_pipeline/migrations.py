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

from sqlalchemy import Connection, Engine, text

from twin_pipeline.paths import PACKAGE
from twin_pipeline.sources import SOURCES
from twin_pipeline.urls import describe_url

# Where the docs tell the person which login runs what (a page, and a heading on it).
DOCS_SECTION = ("docs/deployment.md", "Pointing it at your existing databases")
SEE_DOCS = f'see {DOCS_SECTION[0]}, "{DOCS_SECTION[1]}"'


def _folders() -> dict[str, tuple[str, Traversable]]:
    """target -> (the database it lives in, its folder of migrations)."""
    # By path, not files("twin_pipeline.store"): that would import the store, which is built on this module.
    found = {"twin": ("twin", PACKAGE / "store" / "sql" / "migrations")}
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


def applied(bind: Engine | Connection, target: str) -> dict[int, str]:
    """version -> checksum of what was applied to this database for the target.

    Read-only, and needs no more than SELECT on twin_schema_migrations (none at all when
    the table does not exist yet: then nothing was applied)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return applied(conn, target)
    exists, readable = bind.execute(text(
        "SELECT to_regclass('twin_schema_migrations') IS NOT NULL, "
        "has_table_privilege(CAST(to_regclass('twin_schema_migrations') AS oid), 'SELECT')"
    )).one()
    if not exists:
        return {}
    if not readable:
        login = bind.execute(text("SELECT current_user")).scalar_one()
        raise MigrationError(
            f"{_label(target)} {_where(bind.engine)}: {login} may not read twin_schema_migrations, so "
            f"which migrations ran is unknown: apply sql/roles/{_role_file(target)} as the database owner "
            f"({SEE_DOCS})"
        )
    rows = bind.execute(
        text("SELECT version, checksum FROM twin_schema_migrations WHERE target = :t"), {"t": target}
    )
    return {version: checksum.strip() for version, checksum in rows}


def pending(bind: Engine | Connection, target: str) -> list[Migration]:
    """The shipped migrations not yet applied; read-only, it never creates anything."""
    done = applied(bind, target)
    return [m for m in available(target) if m.version not in done]


def pending_line(target: str, location: str, waiting: list[Migration], login: str | None = None) -> str:
    """The one line that says what is pending where and what to do: run the migration as the owner."""
    count = f"{len(waiting)} migration{'s' if len(waiting) > 1 else ''} pending"
    names = ", ".join(m.path.name for m in waiting)
    refused = f" that {login} may not apply" if login else ""
    return (
        f"{_label(target)} {location} has {count} ({names}){refused}: run `{_command(target)}` as the "
        f"database owner ({SEE_DOCS})"
    )


def _command(target: str) -> str:
    """The command that applies a target's migrations."""
    if target == "twin":
        return "twin db migrate"
    return "twin db migrate --sources" if target in SOURCE_TARGETS else "twin pantry-history install --yes"


def _role_file(target: str) -> str:
    """The file of sql/roles/ that gives the pipeline's login its rights in the target's database."""
    return "twin_writer.sql" if target == "twin" else "twin_reader.sql"


def _label(target: str) -> str:
    return "twin store" if target == "twin" else f"{FOLDERS[target][0]} database"


def _where(engine: Engine) -> str:
    return describe_url(engine.url.render_as_string(hide_password=False))


def _changed(target: str, done: dict[int, str], database: str | None) -> None:
    for migration in available(target):
        recorded = done.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"{migration.path.name} ({target}) was changed after it was applied "
                f"to {database}; put the change in a new numbered migration"
            )


def migrate(engine: Engine, target: str) -> list[Migration]:
    """Apply what is pending for the target, each file in its own transaction.

    What is pending is read first, read-only: with nothing pending this needs no more
    than SELECT on twin_schema_migrations, so the pipeline's own login (sql/roles/) can
    call it. A login that may not apply what is pending gets one line naming the database
    and the owner's command. A migration already applied whose file has since changed is
    an error: migrations are append-only, a change goes in a new numbered file.
    """
    with engine.connect() as conn:
        done = applied(conn, target)
        login = conn.execute(text("SELECT current_user")).scalar_one()
    _changed(target, done, engine.url.database)
    waiting = [m for m in available(target) if m.version not in done]
    ran = []
    for migration in waiting:
        try:
            with engine.begin() as conn:
                # Serialise concurrent migrators (several Dagster processes may start at once).
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('twin_schema_migrations'))"))
                conn.exec_driver_sql(_RECORD_TABLE)
                recorded = conn.execute(
                    text("SELECT checksum FROM twin_schema_migrations WHERE target = :t AND version = :v"),
                    {"t": target, "v": migration.version},
                ).scalar()
                if recorded is not None:  # another process applied it meanwhile
                    _changed(target, {migration.version: recorded.strip()}, engine.url.database)
                    continue
                conn.connection.cursor().execute(migration.sql)
                conn.execute(
                    text(
                        "INSERT INTO twin_schema_migrations (target, version, name, checksum) "
                        "VALUES (:t, :v, :n, :c)"
                    ),
                    {"t": target, "v": migration.version, "n": migration.name, "c": migration.checksum},
                )
        except MigrationError:
            raise
        except Exception as exc:
            if _refused(exc):
                left = waiting[waiting.index(migration):]
                raise MigrationError(pending_line(target, _where(engine), left, login)) from None
            raise MigrationError(
                f"migration {target}/{migration.path.name} failed on database "
                f"{engine.url.database}: {str(exc).strip().splitlines()[0]}"
            ) from exc
        ran.append(migration)
    return ran


def _refused(exc: BaseException) -> bool:
    """The login may not change the schema: it lacks a right (SQLSTATE 42501), or its
    sessions are read-only (25006, as twin_reader's are); a driver or SQLAlchemy error."""
    original = getattr(exc, "orig", exc)
    return getattr(original, "pgcode", None) in ("42501", "25006") or "permission denied" in str(exc)
