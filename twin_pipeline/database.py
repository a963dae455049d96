"""A PostgreSQL database of the twin, without Dagster: a source it only reads, the store, or
Dagster's storage; the one way any part of the twin opens one.

The Dagster resources (defs/resources.py: these fields, as Dagster config), the CLI, the
sensor, the reader, the API and the benchmarks all reach a database through this:
read-only sessions for the sources, connect and statement timeouts, retries of failures
that may pass, and a name safe to show (host:port/database).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, create_engine, make_url

from twin_pipeline.embedded import bootstrap
from twin_pipeline.faults import with_retries
from twin_pipeline.settings import TwinSettings
from twin_pipeline.urls import describe_url, normalise_url

T = TypeVar("T")

_engines: dict[tuple, Engine] = {}


class Database(BaseModel):
    """Where a database is and how to open it; the settings fill it (for_role)."""

    model_config = ConfigDict(frozen=True)

    role: str = Field(description="a source's name, twin (the store) or dagster")
    url: str | None = Field(default=None, description="SQLAlchemy/libpq URL; unset means the embedded server")
    twin_home: str = Field(description="Data directory of the embedded server (TWIN_HOME)")
    read_only: bool = Field(default=True, description="Open every transaction READ ONLY")
    connect_timeout_s: int = Field(default=5, description="Give up connecting after this long")
    statement_timeout_ms: int = Field(default=120_000, description="Cancel a query after this long")
    retries: int = Field(default=2, description="Retries of a failed connection before giving up")
    retry_backoff_s: float = Field(default=0.5, description="First wait between retries (doubles)")
    configured: bool = Field(default=True, description="False: an optional source whose URL is not set")

    @classmethod
    def for_role(cls, settings: TwinSettings, role: str, **overrides) -> Database:
        """A source (read only), the twin store ("twin") or Dagster's storage ("dagster"), as
        the settings configure it; `overrides` change a field (e.g. read_only)."""
        urls = {"twin": settings.twin_url, "dagster": settings.dagster_url}
        values = dict(
            role=role,
            url=urls[role] if role in urls else settings.source_url(role),
            twin_home=str(settings.twin_home),
            read_only=role not in urls,
            connect_timeout_s=settings.connect_timeout_seconds,
            statement_timeout_ms=settings.statement_timeout_ms,
            retries=settings.source_retries,
            configured=role in urls or settings.source_configured(role),
        )
        return cls(**{**values, **overrides})

    def resolved_url(self) -> str:
        if self.url:
            return normalise_url(self.url)
        return bootstrap(Path(self.twin_home)).source(self.role)

    @property
    def location(self) -> str:
        """host:port/database, safe to show (never the password)."""
        try:
            return describe_url(self.resolved_url())
        except Exception:  # the URL itself is unusable; still say which database
            return f"its configured URL ({self.role.upper()}_DATABASE_URL)"

    def engine(self) -> Engine:
        url = self.resolved_url()
        key = (url, self.read_only, self.connect_timeout_s, self.statement_timeout_ms)
        if key not in _engines:
            # Options given in the URL itself are kept; ours come after them.
            given = make_url(url).query.get("options") or ""
            options = f"{given} -c statement_timeout={self.statement_timeout_ms}".strip()
            if self.read_only:
                options += " -c default_transaction_read_only=on"
            _engines[key] = create_engine(
                url,
                pool_pre_ping=True,
                connect_args={"connect_timeout": self.connect_timeout_s, "options": options},
            )
        return _engines[key]

    def retrying(
        self, attempt: Callable[[], T], on_retry: Callable[[BaseException, float], None] = lambda exc, wait: None
    ) -> T:
        """attempt(), again after a failure that may pass, as often as this database allows."""
        return with_retries(attempt, retries=self.retries, backoff_s=self.retry_backoff_s, on_retry=on_retry)


def dispose_engines() -> None:
    """Close every pooled connection of this process (tests, between modules)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
