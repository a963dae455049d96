"""The read API on port 5677 (n8n, dashboards, Telegram bots, scripts): what the pipeline
persisted, served from memory until the store changes; today read again from the sources
when they changed since (freshness.py), never written; whether the history is behind (history_lag.py).
Assembled by app.create_app; `twin api` builds it from the settings (server.py)."""

from twin_pipeline.api.app import create_app
from twin_pipeline.api.auth import AUTH_MODES, LOOPBACK, AuthMode, weak_key_problem

__all__ = ["AUTH_MODES", "LOOPBACK", "AuthMode", "create_app", "weak_key_problem"]
