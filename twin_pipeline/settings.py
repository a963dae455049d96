"""The one place configuration enters: environment variables -> TwinSettings.

Everything else (Dagster resources, the CLI, the API) is handed a TwinSettings or the
URLs it resolves; no other module reads os.environ.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import URL, make_url

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = PROJECT_ROOT / "sql"
EXAMPLES = PROJECT_ROOT / "examples"

SOURCE_DATABASES = {
    "finance": "autonomous_finance",
    "training": "autonomous_training",
    "pantry": "autonomous_pantry",
}
DAGSTER_DATABASE = "twin_dagster"

URL_VARIABLES = {
    "finance": "FINANCE_DATABASE_URL",
    "training": "TRAINING_DATABASE_URL",
    "pantry": "PANTRY_DATABASE_URL",
    "twin": "TWIN_DATABASE_URL",
    "dagster": "DAGSTER_PG_URL",
}


class ConfigurationError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


def normalise_url(url: str) -> str:
    """Return a SQLAlchemy URL that uses psycopg2.

    SQLAlchemy 2.1 maps a bare ``postgresql://`` to psycopg 3, which is not installed;
    ``postgres://`` (Heroku style) is not understood at all.
    """
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg2://" + url[len("postgresql://") :]
    if not url.startswith("postgresql+psycopg2://"):
        raise ConfigurationError(
            f"unsupported database URL scheme in {mask_url(url)!r}: "
            "use postgresql://user:password@host:port/database"
        )
    return url


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, safe for logs, errors and the UI."""
    try:
        parsed: URL = make_url(url)
    except Exception:
        return "<unparseable database URL>"
    return parsed.render_as_string(hide_password=True)


def describe_url(url: str) -> str:
    """host:port/database (or the socket directory), for error messages."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{host}{port}/{parsed.database}"


@dataclass(frozen=True, repr=False)
class TwinSettings:
    """Resolved configuration. URLs are None when the embedded default provides them."""

    finance_url: str | None
    training_url: str | None
    pantry_url: str | None
    twin_url: str | None
    dagster_url: str | None
    timezone: str
    start_date: date
    person_id: str | None
    twin_home: Path
    expiry_window_days: int
    weekly_workout_target: int
    currency: str
    dagster_home: Path | None
    sensor_interval_seconds: int
    sensor_full_check_minutes: int
    connect_timeout_seconds: int
    statement_timeout_ms: int
    source_retries: int
    freshness_days: int
    api_host: str
    api_port: int
    api_key: str | None
    api_auth: str
    notes_dir: Path | None
    goals_dir: Path | None
    home_states: str | None
    home_states_token: str | None

    @property
    def twin_url_variable(self) -> str | None:
        """The environment variable the twin store URL comes from (it defaults to finance's)."""
        if self.twin_url is None:
            return None
        return "TWIN_DATABASE_URL" if self.twin_url != self.finance_url else "FINANCE_DATABASE_URL"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwinSettings:
        env = os.environ if env is None else env

        def url(kind: str) -> str | None:
            value = env.get(URL_VARIABLES[kind], "").strip()
            return normalise_url(value) if value else None

        finance_url = url("finance")
        sources = {kind: url(kind) for kind in SOURCE_DATABASES}
        missing = [URL_VARIABLES[k] for k, v in sources.items() if v is None]
        if 0 < len(missing) < len(sources):
            raise ConfigurationError(
                f"{', '.join(missing)} not set while other source URLs are: set all of "
                "FINANCE_DATABASE_URL, TRAINING_DATABASE_URL and PANTRY_DATABASE_URL, "
                "or none of them to use the embedded server"
            )
        timezone = env.get("TWIN_TIMEZONE", "Europe/Warsaw").strip()
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(
                f"TWIN_TIMEZONE={timezone!r} is not an IANA time zone; use e.g. Europe/Warsaw"
            ) from exc
        start_text = env.get("TWIN_START_DATE", "2020-01-01").strip()
        try:
            start_date = date.fromisoformat(start_text)
        except ValueError as exc:
            raise ConfigurationError(
                f"TWIN_START_DATE={start_text!r} is not a date; use YYYY-MM-DD"
            ) from exc
        person_id = env.get("TWIN_PERSON_ID", "").strip() or None
        if person_id is not None:
            try:
                person_id = str(uuid.UUID(person_id))
            except ValueError as exc:
                raise ConfigurationError(
                    f"TWIN_PERSON_ID={person_id!r} is not a UUID; "
                    "unset it to use the single person known to the twin store"
                ) from exc
        demo = finance_url is None
        return cls(
            finance_url=finance_url,
            training_url=sources["training"],
            pantry_url=sources["pantry"],
            twin_url=url("twin") or finance_url,
            dagster_url=url("dagster"),
            timezone=timezone,
            start_date=start_date,
            person_id=person_id,
            twin_home=Path(env.get("TWIN_HOME", "").strip() or Path.cwd() / ".twin").resolve(),
            expiry_window_days=_int(env, "TWIN_EXPIRY_WINDOW_DAYS", 3),
            weekly_workout_target=_int(env, "TWIN_WEEKLY_WORKOUT_TARGET", 3),
            currency=env.get("TWIN_CURRENCY", "PLN").strip().upper() or "PLN",
            dagster_home=Path(env["DAGSTER_HOME"]).resolve() if env.get("DAGSTER_HOME") else None,
            sensor_interval_seconds=_int(env, "TWIN_SENSOR_INTERVAL_SECONDS", 60),
            sensor_full_check_minutes=_int(env, "TWIN_SENSOR_FULL_CHECK_MINUTES", 10),
            connect_timeout_seconds=_int(env, "TWIN_CONNECT_TIMEOUT_SECONDS", 5),
            statement_timeout_ms=_int(env, "TWIN_STATEMENT_TIMEOUT_MS", 120_000),
            source_retries=_int(env, "TWIN_SOURCE_RETRIES", 2),
            freshness_days=_int(env, "TWIN_FRESHNESS_DAYS", 7),
            api_host=env.get("TWIN_API_HOST", "").strip() or "127.0.0.1",
            api_port=_int(env, "TWIN_API_PORT", 5677),
            api_key=_api_key(env),
            api_auth=_api_auth(env),
            notes_dir=Path(env["TWIN_NOTES_DIR"]).expanduser() if env.get("TWIN_NOTES_DIR", "").strip() else None,
            # The embedded demo comes with the example goals and home of examples/.
            goals_dir=_path(env, "TWIN_GOALS_DIR", EXAMPLES / "goals" if demo else None),
            home_states=env.get("TWIN_HOME_STATES", "").strip()
            or (str(EXAMPLES / "home_assistant_states.json") if demo else None),
            home_states_token=env.get("TWIN_HOME_STATES_TOKEN", "").strip() or None,
        )

    @property
    def embedded_sources(self) -> bool:
        """The embedded server provides the sources (so they are ours to create and fill)."""
        return self.finance_url is None

    @property
    def uses_embedded(self) -> bool:
        """True when any database (sources, twin store, Dagster storage) is the embedded one."""
        return self.embedded_sources or self.twin_url is None or self.dagster_url is None


def _api_key(env: Mapping[str, str]) -> str | None:
    keys = {name: env.get(name, "").strip() for name in ("DIGITAL_TWIN_API_KEY", "TWIN_API_TOKEN")}
    if all(keys.values()) and len(set(keys.values())) > 1:
        raise ConfigurationError("DIGITAL_TWIN_API_KEY and TWIN_API_TOKEN are both set and differ: keep one")
    return keys["DIGITAL_TWIN_API_KEY"] or keys["TWIN_API_TOKEN"] or None


def _api_auth(env: Mapping[str, str]) -> str:
    mode = env.get("TWIN_API_AUTH", "").strip().lower() or "enforce"
    if mode not in ("enforce", "warn"):
        raise ConfigurationError(f"TWIN_API_AUTH={mode!r} is not enforce or warn")
    if mode == "warn" and not _api_key(env):
        raise ConfigurationError("TWIN_API_AUTH=warn needs a key to warn about: set DIGITAL_TWIN_API_KEY")
    return mode


def _path(env: Mapping[str, str], name: str, default: Path | None) -> Path | None:
    text = env.get(name, "").strip()
    return Path(text).expanduser() if text else default


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError as exc:
        raise ConfigurationError(f"{name}={text!r} is not a whole number") from exc
