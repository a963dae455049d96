"""When each API key was last used, and from where: the household's monthly audit (`twin keys list`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection

from twin_pipeline.store.schema import sql


def record_key_uses(conn: Connection, uses: Sequence[tuple[str, str, datetime, str]]) -> None:
    """(name, tier, when, client address) of each API key used since the last call: its row's newest use."""
    names, tiers, used_at, clients = (list(column) for column in zip(*uses))
    conn.execute(sql("record_key_use"), {"names": names, "tiers": tiers, "used_at": used_at, "clients": clients})


def key_uses(conn: Connection) -> dict[str, Mapping]:
    """name -> (name, tier, last_used_at, last_client) of every API key the API has seen used."""
    return {row["name"]: row for row in conn.execute(sql("key_uses")).mappings()}
