"""What the twin computed from, per source table (for source_change_sensor): the
fingerprints of each bucket of source rows and the span they cover."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import Connection

from twin_pipeline.sources.spec import Fingerprints
from twin_pipeline.store.schema import sql


def record_fingerprints(conn: Connection, windows: Iterable[Fingerprints]) -> None:
    """Replace each window's stored fingerprints (a bucket absent now is absent there too)."""
    for window in windows:
        bounds = {"t": window.source_table, "a": window.first_bucket, "b": window.last_bucket}
        conn.execute(sql("forget_fingerprints"), bounds)
        if window.values:
            conn.execute(sql("insert_fingerprints"), {"t": window.source_table, "values": json.dumps(window.values)})
        conn.execute(sql("extend_coverage"), bounds)


def stored_fingerprints(conn: Connection, source_table: str) -> tuple[dict[str, str], str | None]:
    """(bucket -> fingerprint, first covered bucket) of what the twin last computed from."""
    values = dict(conn.execute(sql("stored_fingerprints"), {"t": source_table}).all())
    return values, conn.execute(sql("coverage"), {"t": source_table}).scalar()
