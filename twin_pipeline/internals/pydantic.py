"""pydantic-settings' environment source over any mapping, so `TwinSettings.from_env({...})` reads
a test's mapping instead of the process environment (tests never change os.environ).

Private use: `parse_env_vars` from `pydantic_settings.sources.utils` (not exported), which turns a
mapping into what EnvSettingsSource looks values up in (key case, empty values, the none string),
so the mapping is read exactly as os.environ would be. The source's public `env_vars` is replaced
after construction rather than overriding its private `_load_env_vars`. Fallback, should the
function move: its key-case and empty-value rules, here (test_internals.py checks both agree);
TwinSettings sets no none string (`env_parse_none_str`), so the fallback has none to apply.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, EnvSettingsSource

try:
    from pydantic_settings.sources.utils import parse_env_vars
except ImportError:  # moved in a later pydantic-settings: the equivalent below
    parse_env_vars = None


def parsed_env_vars(
    env: Mapping[str, str | None], case_sensitive: bool, ignore_empty: bool, none_str: str | None
) -> Mapping[str, str | None]:
    """`env` as EnvSettingsSource looks values up in it."""
    if parse_env_vars is not None:
        return parse_env_vars(env, case_sensitive, ignore_empty, none_str)
    return {(name if case_sensitive else name.lower()): value for name, value in env.items()
            if not (ignore_empty and value == "")}


class MappingEnvSettingsSource(EnvSettingsSource):
    """EnvSettingsSource over `environment()` (the process environment unless overridden)."""

    def __init__(self, settings_cls: type[BaseSettings], **options: Any):
        super().__init__(settings_cls, **options)
        self.env_vars = parsed_env_vars(
            self.environment(), self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def environment(self) -> Mapping[str, str]:
        return os.environ
