"""The twin store: section tables, the append-only state history and the summaries."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from twin_pipeline.core.history import PlannedRow, plan_rows

SOURCE_SYSTEM = "g04_engine"
UPDATE_TYPE = "status_sync"

REQUIRED_TABLES = (
    "digital_twin_updates",
    "person",
    "twin_section_day",
    "twin_daily_summary",
    "twin_source_fingerprint",
    "twin_source_coverage",
    "goal",
    "home",
)


class StoreError(RuntimeError):
    """The twin store is not usable as it is; the message says what to do."""


def check_store(conn: Connection, location: str) -> None:
    missing = [
        name
        for name in REQUIRED_TABLES
        if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is None
    ]
    if missing:
        raise StoreError(
            f"twin store {location} lacks {', '.join(missing)}: run `twin db migrate` "
            "to create the twin's tables (it never touches the source databases)"
        )


def resolve_person(conn: Connection, configured: str | None, create: bool = True, name: str | None = None) -> str:
    """TWIN_PERSON_ID if set; else the single person known to the store (adopting the one
    already in digital_twin_updates if the person table is empty, creating one on a fresh
    store; readers pass create=False and get a StoreError instead). With create, the
    person's row exists when this returns, whatever asset runs first, so the goals and the
    home can refer to it; `name` (the owner the goals name) names a row created here, and
    never renames an existing one."""
    if configured:
        try:
            configured = str(uuid.UUID(configured))
        except ValueError as exc:
            raise StoreError(f"TWIN_PERSON_ID {configured!r} is not a UUID: set it to the person's UUID") from exc
        if create and not conn.execute(text("SELECT 1 FROM person WHERE person_id = CAST(:p AS uuid)"),
                                       {"p": configured}).first():
            # Checked first: a store whose person exists needs no INSERT privilege here.
            conn.execute(text("INSERT INTO person (person_id, name) VALUES (CAST(:p AS uuid), :n) "
                              "ON CONFLICT (person_id) DO NOTHING"), {"p": configured, "n": name or "Me"})
        return configured
    # Two first runs at once must not create two people.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('twin_person'))"))
    people = conn.execute(text("SELECT person_id::text FROM person ORDER BY person_id")).scalars().all()
    if len(people) > 1:
        raise StoreError(
            f"the twin store knows {len(people)} people ({', '.join(people)}): "
            "set TWIN_PERSON_ID to the one this pipeline is for"
        )
    if people:
        return people[0]
    known = conn.execute(
        text(
            "SELECT DISTINCT entity_id::text FROM digital_twin_updates "
            "WHERE source_system = :s AND entity_type IN ('person', 'finance', 'health', 'pantry')"
        ),
        {"s": SOURCE_SYSTEM},
    ).scalars().all()
    if len(known) > 1:
        raise StoreError(
            f"digital_twin_updates holds states for {len(known)} people ({', '.join(sorted(known))}): "
            "set TWIN_PERSON_ID to the one this pipeline is for"
        )
    if not create:
        if known:
            return known[0]
        raise StoreError("the twin store knows no person yet: run `twin snapshot` or `twin up` first")
    return conn.execute(
        text(
            "INSERT INTO person (person_id, name) VALUES (COALESCE(CAST(:p AS uuid), gen_random_uuid()), :n) "
            "RETURNING person_id::text"
        ),
        {"p": known[0] if known else None, "n": name or "Me"},
    ).scalar_one()


def upsert_sections(conn: Connection, entity_type: str, documents: Iterable[dict]) -> int:
    """Store each day's section (one statement for any number of days)."""
    documents = list(documents)
    if documents:
        conn.execute(
            text(
                "INSERT INTO twin_section_day (entity_type, as_of, section) "
                "SELECT :e, CAST(doc ->> 'as_of' AS date), doc "
                "FROM jsonb_array_elements(CAST(:docs AS jsonb)) AS doc "
                "ON CONFLICT (entity_type, as_of) DO UPDATE "
                "SET section = excluded.section, computed_at = now()"
            ),
            {"e": entity_type, "docs": json.dumps(documents, ensure_ascii=False)},
        )
    return len(documents)


def load_sections(conn: Connection, days: list[date]) -> dict[tuple[str, str], dict]:
    rows = conn.execute(
        text(
            "SELECT entity_type, as_of::text, section FROM twin_section_day "
            "WHERE as_of = ANY(CAST(:days AS date[]))"
        ),
        {"days": [d.isoformat() for d in days]},
    )
    return {(entity, as_of): section for entity, as_of, section in rows}


@dataclass(frozen=True)
class StoredState:
    id: str
    entity_type: str
    as_of: str
    document: dict


def newest_states(conn: Connection, person_id: str, days: list[date]) -> dict[tuple[str, str], StoredState]:
    """The state of each (entity, day): the newest row the twin wrote for it."""
    rows = conn.execute(
        text(
            "SELECT DISTINCT ON (entity_type, update_data ->> 'as_of') "
            "       id::text, entity_type, update_data ->> 'as_of', update_data "
            "FROM digital_twin_updates "
            "WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u "
            "  AND entity_type IN ('finance', 'health', 'pantry') "
            "  AND update_data ->> 'as_of' = ANY(:days) "
            "ORDER BY entity_type, update_data ->> 'as_of', created_at DESC, id"
        ),
        {"p": person_id, "s": SOURCE_SYSTEM, "u": UPDATE_TYPE, "days": [d.isoformat() for d in days]},
    )
    return {(e, a): StoredState(i, e, a, doc) for i, e, a, doc in rows}


def write_states(
    conn: Connection, person_id: str, computed: Mapping[tuple[str, str], dict]
) -> list[PlannedRow]:
    """Append the states that say something new, inside the caller's transaction.

    An advisory lock per person serialises writers, so two runs of the same days
    (a backfill and the sensor, say) end with the rows one run would have written.
    """
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('twin_state:' || :p))"), {"p": person_id})
    days = sorted({date.fromisoformat(as_of) for _, as_of in computed})
    newest = {key: state.document for key, state in newest_states(conn, person_id, days).items()}
    plan = plan_rows(computed, newest)
    rows = [{"entity_type": row.entity_type, "document": row.document} for row in plan if row.writes]
    if rows:
        conn.execute(
            text(
                "INSERT INTO digital_twin_updates "
                "    (entity_type, entity_id, update_data, source_system, update_type, created_at) "
                # clock_timestamp(), not now(), row by row in (day, entity) order: rows of one run
                # get increasing times, so "ORDER BY created_at DESC" lists the latest days first.
                "SELECT r.row ->> 'entity_type', CAST(:p AS uuid), r.row -> 'document', :s, :u, clock_timestamp() "
                "FROM (SELECT row, n FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS t(row, n) "
                "      ORDER BY n) AS r"
            ),
            {"p": person_id, "s": SOURCE_SYSTEM, "u": UPDATE_TYPE, "rows": json.dumps(rows, ensure_ascii=False)},
        )
    return plan


def upsert_summaries(conn: Connection, person_id: str, summaries: list[tuple[str, str, list[str]]]) -> int:
    """Store each day's text (as_of, text, state row ids); returns how many days changed."""
    if not summaries:
        return 0
    result = conn.execute(
        text(
            "INSERT INTO twin_daily_summary (person_id, as_of, summary_text, state_row_ids) "
            "SELECT CAST(:p AS uuid), u.as_of, u.summary_text, CAST(string_to_array(u.ids, ',') AS uuid[]) "
            "FROM unnest(CAST(:days AS date[]), CAST(:texts AS text[]), CAST(:ids AS text[])) "
            "     AS u(as_of, summary_text, ids) "
            "ON CONFLICT (person_id, as_of) DO UPDATE "
            "SET summary_text = excluded.summary_text, state_row_ids = excluded.state_row_ids, "
            "    rendered_at = now() "
            "WHERE twin_daily_summary.summary_text IS DISTINCT FROM excluded.summary_text "
            "   OR twin_daily_summary.state_row_ids IS DISTINCT FROM excluded.state_row_ids"
        ),
        {
            "p": person_id,
            "days": [as_of for as_of, _, _ in summaries],
            "texts": [summary_text for _, summary_text, _ in summaries],
            "ids": [",".join(ids) for _, _, ids in summaries],
        },
    )
    return result.rowcount


def latest_summary(conn: Connection, person_id: str, as_of: date | None = None) -> tuple[str, str] | None:
    """(as_of, text) of the given day, or of the newest day with a summary."""
    row = conn.execute(
        text(
            "SELECT as_of::text, summary_text FROM twin_daily_summary "
            "WHERE person_id = CAST(:p AS uuid) AND (CAST(:d AS date) IS NULL OR as_of = CAST(:d AS date)) "
            "ORDER BY as_of DESC LIMIT 1"
        ),
        {"p": person_id, "d": None if as_of is None else as_of.isoformat()},
    ).first()
    return None if row is None else (row[0], row[1])



@dataclass(frozen=True)
class Fingerprints:
    """A source table's fingerprints over a window of buckets, as one snapshot read them."""

    source_table: str
    first_bucket: str
    last_bucket: str
    values: dict[str, str]


def record_fingerprints(conn: Connection, windows: Iterable[Fingerprints]) -> None:
    """Replace each window's stored fingerprints (a bucket absent now is absent there too)."""
    for window in windows:
        bounds = {"t": window.source_table, "a": window.first_bucket, "b": window.last_bucket}
        conn.execute(
            text("DELETE FROM twin_source_fingerprint WHERE source_table = :t AND bucket BETWEEN :a AND :b"),
            bounds,
        )
        if window.values:
            conn.execute(
                text(
                    "INSERT INTO twin_source_fingerprint (source_table, bucket, fingerprint) "
                    "SELECT :t, key, value FROM jsonb_each_text(CAST(:values AS jsonb))"
                ),
                {"t": window.source_table, "values": json.dumps(window.values)},
            )
        conn.execute(
            text(
                "INSERT INTO twin_source_coverage (source_table, covered_from) VALUES (:t, :a) "
                "ON CONFLICT (source_table) DO UPDATE "
                "SET covered_from = least(twin_source_coverage.covered_from, excluded.covered_from)"
            ),
            bounds,
        )


def stored_fingerprints(conn: Connection, source_table: str) -> tuple[dict[str, str], str | None]:
    """(bucket -> fingerprint, first covered bucket) of what the twin last computed from."""
    values = dict(
        conn.execute(
            text("SELECT bucket, fingerprint FROM twin_source_fingerprint WHERE source_table = :t"),
            {"t": source_table},
        ).all()
    )
    covered = conn.execute(
        text("SELECT covered_from FROM twin_source_coverage WHERE source_table = :t"), {"t": source_table}
    ).scalar()
    return values, covered


def summaries_between(conn: Connection, person_id: str, first: date, last: date) -> dict[str, str]:
    """as_of -> status text for the days first..last that have one."""
    rows = conn.execute(
        text(
            "SELECT as_of::text, summary_text FROM twin_daily_summary "
            "WHERE person_id = CAST(:p AS uuid) AND as_of BETWEEN :a AND :b ORDER BY as_of"
        ),
        {"p": person_id, "a": first, "b": last},
    )
    return dict(rows.all())
