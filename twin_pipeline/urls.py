"""Database URLs: psycopg2 spelling, and the forms safe to show (masked, host:port/database)."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


# What deploy/.env.example writes for every password and the API key, to be replaced.
PLACEHOLDERS = {"change_me", "changeme"}


class ConfigurationError(ValueError):
    """A setting is missing or malformed; the message names the variable and the fix."""


def is_placeholder(secret: str) -> bool:
    """`secret` is still deploy/.env.example's CHANGE_ME (any case, - or _)."""
    return secret.lower().replace("-", "_") in PLACEHOLDERS


def has_placeholder_password(url: str) -> bool:
    """The URL's password is still deploy/.env.example's CHANGE_ME."""
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return False  # a malformed URL is refused where it is normalised, naming its variable
    return password is not None and is_placeholder(str(password))


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
