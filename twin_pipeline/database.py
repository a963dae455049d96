"""A PostgreSQL database of the twin, without Dagster: a source it only reads, or the store.

The Dagster resources, the CLI, the sensor, the API and the benchmarks all reach a
database through this: read-only sessions for the sources, connect and statement
timeouts, retries of failures that may pass, and a name safe to show (host:port/database).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url

from twin_pipeline.settings import TwinSettings, describe_url, normalise_url

_engines: dict[tuple, Engine] = {}


@dataclass(frozen=True)
class Database:
    role: str  # a source's name, or "twin" for the store
    url: str | None  # None: the embedded server under twin_home
    twin_home: str
    read_only: bool = True
    connect_timeout_s: int = 5
    statement_timeout_ms: int = 120_000
    retries: int = 2
    retry_backoff_s: float = 0.5
    configured: bool = True  # False: an optional source with no URL on a configured install

    @classmethod
    def for_role(cls, settings: TwinSettings, role: str) -> Database:
        """A source (read only) or the twin store ("twin"), as the settings configure it."""
        return cls(
            role=role,
            url=settings.twin_url if role == "twin" else settings.source_url(role),
            twin_home=str(settings.twin_home),
            read_only=role != "twin",
            connect_timeout_s=settings.connect_timeout_seconds,
            statement_timeout_ms=settings.statement_timeout_ms,
            retries=settings.source_retries,
            configured=role == "twin" or settings.source_configured(role),
        )

    def resolved_url(self) -> str:
        if self.url:
            return normalise_url(self.url)
        from twin_pipeline.embedded import bootstrap

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


def dispose_engines() -> None:
    """Close every pooled connection of this process (tests, between modules)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
