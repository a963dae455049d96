"""Dagster resources: the databases the twin reads and the store it writes.

URLs come from EnvVar (so the UI shows the variable's name, never its value); a resource
without a URL uses the embedded server under twin_home.
"""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field
from sqlalchemy import Engine, create_engine, make_url

from twin_pipeline.embedded import bootstrap
from twin_pipeline.settings import describe_url, normalise_url

_engines: dict[tuple, Engine] = {}


class PostgresDatabase(ConfigurableResource):
    """A PostgreSQL database of the twin: a source it only reads, or the twin store."""

    role: str = Field(description="finance, training, pantry or twin")
    url: str | None = Field(
        default=None,
        description="SQLAlchemy/libpq URL; unset means the embedded server under twin_home",
    )
    twin_home: str = Field(description="Data directory of the embedded server (TWIN_HOME)")
    read_only: bool = Field(default=True, description="Open every transaction READ ONLY")
    connect_timeout_s: int = Field(default=5, description="Give up connecting after this long")
    statement_timeout_ms: int = Field(default=120_000, description="Cancel a query after this long")
    retries: int = Field(default=2, description="Retries of a failed connection before giving up")
    retry_backoff_s: float = Field(default=0.5, description="First wait between retries (doubles)")

    def resolved_url(self) -> str:
        if self.url:
            return normalise_url(self.url)
        return bootstrap(Path(self.twin_home)).source(self.role)

    @property
    def location(self) -> str:
        """host:port/database, safe to show (never the password)."""
        return describe_url(self.resolved_url())

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
