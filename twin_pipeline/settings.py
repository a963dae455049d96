"""The one way configuration comes in: environment variables -> TwinSettings (pydantic-settings).

Partitions, schedules, the sensor, the Dagster resources, the CLI and the API are all
built from a TwinSettings; no other module reads os.environ. Tests pass their own:
`TwinSettings.from_env({...})` reads a mapping instead of the process environment.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from twin_pipeline.core.notable import NEEDS_ACTION_KINDS, NOTIFY_AT_ONCE
from twin_pipeline.internals.pydantic import MappingEnvSettingsSource
from twin_pipeline.paths import EXAMPLES, source_declaration, source_names
from twin_pipeline.urls import ConfigurationError, has_placeholder_password, normalise_url

# The moment it is now, for `today`: the system clock, replaced only by the tests
# (twin_pipeline_tests/clock.py) to live any day of the year. Deliberately not a setting:
# no environment variable can move a person's days.
_clock: Callable[[], datetime] = lambda: datetime.now(UTC)


def today_in(timezone: str) -> date:
    """Today's date in an IANA time zone, by the package's one clock."""
    return _clock().astimezone(ZoneInfo(timezone)).date()


def source_url_variable(source: str) -> str:
    """The variable holding a source database's URL: `<NAME>_DATABASE_URL`, or what the
    source's source.toml names (biometrics: HEALTH_DATABASE_URL)."""
    return source_declaration(source).url_variable


def source_url_variables() -> dict[str, str]:
    """source name -> the variable holding its URL."""
    return {name: source_url_variable(name) for name in source_names()}


def optional_sources() -> frozenset[str]:
    """The sources a configured install may leave out (their source.toml says optional)."""
    return frozenset(name for name in source_names() if source_declaration(name).optional)


# Why TWIN_API_AUTH=warn and a keys file never go together (the API refuses the pair too).
WARN_WITH_KEYS_FILE = ("TWIN_API_AUTH=warn serves requests without a valid key as the owner, which would "
                       "bypass the household keys of TWIN_API_KEYS_FILE: set TWIN_API_AUTH=enforce, or unset "
                       "TWIN_API_KEYS_FILE while the clients move to the key")


_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("twin_environment", default=None)


class _Environment(MappingEnvSettingsSource):
    """The process environment, or the mapping a test passed to from_env; plus each source's
    URL under its `<NAME>_DATABASE_URL` (so a new source needs no field here)."""

    def environment(self) -> Mapping[str, str]:
        given = _ENVIRONMENT.get()
        return os.environ if given is None else given

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        env = self.environment()
        values["source_urls"] = {
            name: env[variable].strip()
            for name, variable in source_url_variables().items()
            if env.get(variable, "").strip()
        }
        return values


def _env(name: str, default: Any = None, **kwargs: Any) -> Any:
    return Field(default, validation_alias=name, **kwargs)


class TwinSettings(BaseSettings):
    """Resolved configuration. URLs are None when the embedded default provides them."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True, case_sensitive=True)

    # Secrets (URLs may hold passwords, keys) never show in a repr, a log line or an error.
    source_urls: dict[str, str] = Field(default_factory=dict, repr=False)
    twin_url_configured: str | None = _env("TWIN_DATABASE_URL", repr=False)
    dagster_url: str | None = _env("DAGSTER_PG_URL", repr=False)
    # The API's own login (sql/roles/twin_api.sql): the store read, only its keys' last use
    # written; and Dagster's storage read for the daemon's heartbeat, nothing else.
    api_twin_url_configured: str | None = _env("TWIN_API_DATABASE_URL", repr=False)
    api_dagster_url_configured: str | None = _env("TWIN_API_DAGSTER_URL", repr=False)
    timezone: str = _env("TWIN_TIMEZONE", "Europe/Warsaw")
    start_date: date = _env("TWIN_START_DATE", date(2020, 1, 1))
    person_id: str | None = _env("TWIN_PERSON_ID")
    twin_home: Path = _env("TWIN_HOME", None, validate_default=True)
    expiry_window_days: int = _env("TWIN_EXPIRY_WINDOW_DAYS", 3)
    weekly_workout_target: int = _env("TWIN_WEEKLY_WORKOUT_TARGET", 3)
    currency: str = _env("TWIN_CURRENCY", "PLN")
    dagster_home: Path | None = _env("DAGSTER_HOME")
    sensor_interval_seconds: int = _env("TWIN_SENSOR_INTERVAL_SECONDS", 15)
    sensor_full_check_minutes: int = _env("TWIN_SENSOR_FULL_CHECK_MINUTES", 10)
    connect_timeout_seconds: int = _env("TWIN_CONNECT_TIMEOUT_SECONDS", 5)
    statement_timeout_ms: int = _env("TWIN_STATEMENT_TIMEOUT_MS", 120_000)
    source_retries: int = _env("TWIN_SOURCE_RETRIES", 2)
    freshness_days: int = _env("TWIN_FRESHNESS_DAYS", 7)
    api_host: str = _env("TWIN_API_HOST", "127.0.0.1")
    api_port: int = _env("TWIN_API_PORT", 5677)
    # The person's clients send DIGITAL_TWIN_API_KEY's value; TWIN_API_TOKEN is its earlier name.
    api_key_configured: str | None = _env("DIGITAL_TWIN_API_KEY", repr=False)
    api_token: str | None = _env("TWIN_API_TOKEN", repr=False)
    api_auth: str = _env("TWIN_API_AUTH", "enforce")
    # The household's keys (name, sha256, tier): a TOML file `twin keys` writes, read again when it changes.
    api_keys_file: Path | None = _env("TWIN_API_KEYS_FILE")
    # The Host names the API answers (comma-separated); unset: loopback names without a key, any with one.
    allowed_hosts: Annotated[tuple[str, ...] | None, NoDecode] = _env("TWIN_ALLOWED_HOSTS")
    notes_dir: Path | None = _env("TWIN_NOTES_DIR")
    goals_dir_configured: Path | None = _env("TWIN_GOALS_DIR")
    home_states_configured: str | None = _env("TWIN_HOME_STATES")
    home_states_token: str | None = _env("TWIN_HOME_STATES_TOKEN", repr=False)
    # Where today's new notable items are POSTed (an n8n webhook); its path may be a secret.
    notify_url: str | None = _env("TWIN_NOTIFY_URL", repr=False)
    # Needs-action kinds pushed on their day (comma-separated, or "none"); the others wait for
    # the next push, a week at most.
    notify_at_once: Annotated[tuple[str, ...], NoDecode] = _env("TWIN_NOTIFY_AT_ONCE", NOTIFY_AT_ONCE)
    # The gRPC code server `twin serve webserver` and `twin serve daemon` load the code from.
    code_server: str = _env("TWIN_CODE_SERVER", "127.0.0.1:4266")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):
        return (init_settings, _Environment(settings_cls))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwinSettings:
        """Settings from the process environment, or from `env` alone; a bad value raises
        ConfigurationError naming the variable and the fix."""
        token = _ENVIRONMENT.set(env)
        try:
            return cls()
        except ValidationError as exc:
            problems = [str(error["ctx"]["error"]) if "ctx" in error and "error" in error["ctx"]
                        else f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()]
            raise ConfigurationError("; ".join(problems)) from None
        finally:
            _ENVIRONMENT.reset(token)

    @field_validator("source_urls", mode="after")
    @classmethod
    def _source_urls(cls, urls: dict[str, str]) -> dict[str, str]:
        # The required sources all or none; an optional one (health) on its own either way.
        optional = optional_sources()
        expected = {name: variable for name, variable in source_url_variables().items() if name not in optional}
        missing = [variable for name, variable in expected.items() if name not in urls]
        if 0 < len(missing) < len(expected):
            raise ConfigurationError(
                f"{', '.join(missing)} not set while other source URLs are: set all of "
                f"{', '.join(expected.values())}, or none of them to use the embedded server"
            )
        return {name: normalise_url(url) for name, url in urls.items()}

    @field_validator("twin_url_configured", "dagster_url", "api_twin_url_configured", "api_dagster_url_configured",
                     mode="after")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return normalise_url(url.strip()) if url and url.strip() else None

    @field_validator("notify_url", mode="after")
    @classmethod
    def _notify_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ConfigurationError("TWIN_NOTIFY_URL is not an http(s) URL; set it to the webhook's address or unset it")
        return value.strip()

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _allowed_hosts(cls, value: str | tuple[str, ...] | None) -> tuple[str, ...] | None:
        if isinstance(value, str):
            value = tuple(host.strip().lower() for host in value.split(",") if host.strip())
        if not value:
            return None
        for host in value:
            if "*" in host[1:] or (host.startswith("*") and host != "*" and not host.startswith("*.")):
                raise ConfigurationError(f"TWIN_ALLOWED_HOSTS: {host!r} is not a host name, '*.' and a "
                                         "domain, or '*' (e.g. localhost,twin.example.lan)")
        return tuple(value)

    @field_validator("notify_at_once", mode="before")
    @classmethod
    def _notify_at_once(cls, value: str | tuple[str, ...]) -> tuple[str, ...]:
        if isinstance(value, str):
            value = () if value.strip().lower() == "none" else [kind.strip() for kind in value.split(",") if kind.strip()]
        kinds = tuple(value)
        unknown = [kind for kind in kinds if kind not in NEEDS_ACTION_KINDS]
        if unknown:
            raise ConfigurationError(f"TWIN_NOTIFY_AT_ONCE names {', '.join(unknown)}, not a needs-action item; "
                                     f"use a comma-separated list of {', '.join(NEEDS_ACTION_KINDS)}, or none")
        return kinds

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: str) -> str:
        value = str(value).strip()
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(f"TWIN_TIMEZONE={value!r} is not an IANA time zone; use e.g. Europe/Warsaw") from None
        return value

    @field_validator("start_date", mode="before")
    @classmethod
    def _start_date(cls, value: Any) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigurationError(f"TWIN_START_DATE={value!r} is not a date; use YYYY-MM-DD") from None

    @field_validator("person_id", mode="before")
    @classmethod
    def _person_id(cls, value: str | None) -> str | None:
        if value is None or not str(value).strip():
            return None
        try:
            return str(uuid.UUID(str(value).strip()))
        except ValueError:
            raise ConfigurationError(
                f"TWIN_PERSON_ID={value!r} is not a UUID; unset it to use the single person known to the twin store"
            ) from None

    @field_validator(
        "expiry_window_days", "weekly_workout_target", "sensor_interval_seconds", "sensor_full_check_minutes",
        "connect_timeout_seconds", "statement_timeout_ms", "source_retries", "freshness_days", "api_port",
        mode="before",
    )
    @classmethod
    def _whole_number(cls, value: Any, info) -> int:
        try:
            return int(str(value).strip())
        except ValueError:
            variable = cls.model_fields[info.field_name].validation_alias
            raise ConfigurationError(f"{variable}={value!r} is not a whole number") from None

    @field_validator("code_server", mode="after")
    @classmethod
    def _code_server(cls, value: str) -> str:
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ConfigurationError(
                f"TWIN_CODE_SERVER={value!r} is not host:port; use e.g. code-server:4266 or 127.0.0.1:4266"
            )
        return value.strip()

    @property
    def code_server_address(self) -> tuple[str, int]:
        """TWIN_CODE_SERVER as (host, port)."""
        host, _, port = self.code_server.rpartition(":")
        return host, int(port)

    @field_validator("currency", mode="after")
    @classmethod
    def _currency(cls, value: str) -> str:
        return value.strip().upper() or "PLN"

    @field_validator("twin_home", mode="before")
    @classmethod
    def _twin_home(cls, value: Any) -> Path:
        text = "" if value is None else str(value).strip()
        return Path(text) if text else Path.cwd() / ".twin"

    @field_validator("notes_dir", "goals_dir_configured", "api_keys_file", mode="after")
    @classmethod
    def _user_path(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("api_auth", mode="after")
    @classmethod
    def _api_auth(cls, mode: str) -> str:
        mode = mode.strip().lower() or "enforce"
        if mode not in ("enforce", "warn"):
            raise ConfigurationError(f"TWIN_API_AUTH={mode!r} is not enforce or warn")
        return mode

    @model_validator(mode="after")
    def _api_key_agrees(self) -> TwinSettings:
        given = {v.strip() for v in (self.api_key_configured, self.api_token) if v and v.strip()}
        if len(given) > 1:
            raise ConfigurationError("DIGITAL_TWIN_API_KEY and TWIN_API_TOKEN are both set and differ: keep one")
        if self.api_auth == "warn" and not given:
            raise ConfigurationError("TWIN_API_AUTH=warn needs a key to warn about: set DIGITAL_TWIN_API_KEY")
        if self.api_auth == "warn" and self.api_keys_file is not None:
            raise ConfigurationError(WARN_WITH_KEYS_FILE)
        return self

    @model_validator(mode="after")
    def _no_placeholder_password(self) -> TwinSettings:
        urls = {source_url_variable(name): url for name, url in self.source_urls.items()}
        urls |= {info.validation_alias: getattr(self, field) for field, info in type(self).model_fields.items()
                 if isinstance(info.validation_alias, str) and info.validation_alias.endswith("_URL")}
        placeholders = sorted(name for name, url in urls.items()
                              if isinstance(url, str) and url.startswith("postgresql") and has_placeholder_password(url))
        if placeholders:
            verb = "holds" if len(placeholders) == 1 else "hold"
            raise ConfigurationError(
                f"{', '.join(placeholders)} still {verb} the placeholder password CHANGE_ME of deploy/.env.example: "
                "write each login's own password into its URL (docs/deployment.md, \"Pointing it at your existing databases\")"
            )
        return self

    @property
    def api_key(self) -> str | None:
        """The API's key, from DIGITAL_TWIN_API_KEY or TWIN_API_TOKEN."""
        for value in (self.api_key_configured, self.api_token):
            if value and value.strip():
                return value.strip()
        return None

    @model_validator(mode="after")
    def _resolve_paths(self) -> TwinSettings:
        object.__setattr__(self, "twin_home", self.twin_home.resolve())
        if self.dagster_home is not None:
            object.__setattr__(self, "dagster_home", self.dagster_home.resolve())
        return self

    def source_url(self, name: str) -> str | None:
        """The configured URL of a source database (None: the embedded one)."""
        return self.source_urls.get(name)

    @property
    def finance_url(self) -> str | None:
        return self.source_url("finance")

    @property
    def twin_url(self) -> str | None:
        """The twin store: TWIN_DATABASE_URL, else the finance database (the contract's default)."""
        return self.twin_url_configured or self.finance_url

    @property
    def twin_url_variable(self) -> str | None:
        """The environment variable the twin store URL comes from (it defaults to finance's)."""
        if self.twin_url is None:
            return None
        return "TWIN_DATABASE_URL" if self.twin_url_configured else source_url_variables()["finance"]

    @property
    def api_twin_url(self) -> str | None:
        """The twin store as the API logs in: TWIN_API_DATABASE_URL, else the store's own URL."""
        return self.api_twin_url_configured or self.twin_url

    @property
    def api_dagster_url(self) -> str | None:
        """Dagster's storage as the API logs in: TWIN_API_DAGSTER_URL, else DAGSTER_PG_URL."""
        return self.api_dagster_url_configured or self.dagster_url

    def api_login_fallback(self) -> str | None:
        """The line `twin api` says at start when a configured database has no API login of its
        own: it then logs in as the pipeline does, as before TWIN_API_DATABASE_URL existed. The
        embedded server needs none: any local login is trusted on its socket under TWIN_HOME, so
        a login of the API's own would guard nothing there."""
        borrowed = []
        if self.api_twin_url_configured is None and self.twin_url is not None:
            borrowed.append(("TWIN_API_DATABASE_URL", f"the twin store as {self.twin_url_variable}'s login"))
        if self.api_dagster_url_configured is None and self.dagster_url is not None:
            borrowed.append(("TWIN_API_DAGSTER_URL", "Dagster's storage as DAGSTER_PG_URL's login"))
        if not borrowed:
            return None
        return (f"the API reads {' and '.join(what for _, what in borrowed)}, which may write: apply "
                f"sql/roles/twin_api.sql and set {' and '.join(variable for variable, _ in borrowed)} (docs/deployment.md)")

    @property
    def embedded_sources(self) -> bool:
        """The embedded server provides the sources (so they are ours to create and fill):
        none of the required sources' URLs is set."""
        return not set(self.source_urls) - optional_sources()

    def source_configured(self, name: str) -> bool:
        """A source the twin reads: its URL is set, or the embedded server provides it; an
        optional source without its URL on a configured install is not read at all."""
        return name in self.source_urls or self.embedded_sources

    @property
    def uses_embedded(self) -> bool:
        """True when any database (sources, twin store, Dagster storage) is the embedded one."""
        return self.embedded_sources or self.twin_url is None or self.dagster_url is None

    @property
    def goals_dir(self) -> Path | None:
        """TWIN_GOALS_DIR; the embedded demo comes with the example goals."""
        return self.goals_dir_configured or (EXAMPLES / "goals" if self.embedded_sources else None)

    @property
    def home_states(self) -> str | None:
        """TWIN_HOME_STATES; the embedded demo comes with an example Home Assistant export."""
        if self.home_states_configured:
            return self.home_states_configured.strip()
        return str(EXAMPLES / "home_assistant_states.json") if self.embedded_sources else None

    def today(self) -> date:
        """Today in the person's time zone (TWIN_TIMEZONE)."""
        return today_in(self.timezone)


def environment_variables() -> frozenset[str]:
    """Every environment variable the settings read: each field's, and each source's URL."""
    fields = {field.validation_alias for field in TwinSettings.model_fields.values()}
    return frozenset(name for name in fields if isinstance(name, str)) | frozenset(source_url_variables().values())


@cache
def current_settings() -> TwinSettings:
    """The settings of this process's environment, read once."""
    return TwinSettings.from_env()
