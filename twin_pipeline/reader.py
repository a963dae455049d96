"""Reading the twin from its store, for scripts, the API and the daily note.

    from twin_pipeline.reader import TwinReader
    twin = TwinReader()                      # the configured (or embedded) twin store
    twin.summary()                           # today's status text, or the newest day's
    twin.state("2026-03-01")                 # {"finance": {...}, "health": {...}, "pantry": {...}}
    twin.history(limit=20, entity_type="finance")
    twin.frame("health", "2025-01-01")      # a pandas DataFrame, one row a day
    twin.frame("forecast_review")            # each forecast as scored, by the day it was made

It only reads what the pipeline persisted; it never recomputes anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine

from twin_pipeline.database import Database
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.store.entities import goal_rows, home_row
from twin_pipeline.store.person import person_row, resolve_person
from twin_pipeline.store.reviews import reviews_between
from twin_pipeline.store.schema import day_entities
from twin_pipeline.store.states import (
    day_states,
    day_written_at,
    latest_state_day,
    state_history,
    states_between,
    store_version,
)
from twin_pipeline.store.summaries import latest_summary

# frame()'s name for the forecasts' reviews (twin_forecast_review), beside the entities.
REVIEWS = "forecast_review"

if TYPE_CHECKING:
    import pandas as pd

FileFormat = Literal["csv", "parquet"]


class NoState(LookupError):
    """The store holds no state for that day."""


@dataclass(frozen=True)
class DayState:
    as_of: str
    summary: str | None
    entities: dict[str, dict]
    computed_at: str | None = None  # when its current state was written (ISO 8601)


class TwinReader:
    """Read-only access to one person's twin in the twin store."""

    def __init__(
        self, url: str | None = None, *, person_id: str | None = None, engine: Engine | None = None,
        settings: TwinSettings | None = None,
    ):
        if engine is None:
            settings = settings or current_settings()
            # Read-only sessions on the store, with the timeouts every other reader has.
            database = Database.for_role(settings, "twin", read_only=True, **({"url": url} if url else {}))
            person_id = person_id if url else person_id or settings.person_id
            engine = database.engine()
        self.engine = engine
        self._person_id = person_id

    @property
    def person_id(self) -> str:
        if self._person_id is None:
            with self.engine.begin() as conn:
                self._person_id = resolve_person(conn, None, create=False)
        return self._person_id

    def version(self) -> tuple:
        """Changes whenever the pipeline writes a state or a summary (for caches)."""
        with self.engine.connect() as conn:
            return store_version(conn, self.person_id)

    def latest_day(self) -> str | None:
        with self.engine.connect() as conn:
            return latest_state_day(conn, self.person_id)

    def day(self, as_of: date | str | None = None) -> DayState:
        """The newest state of each entity for a day (default: the newest day), and its text."""
        day = str(as_of) if as_of is not None else self.latest_day()
        if day is None:
            raise NoState("the twin store holds no state yet: run `twin snapshot` or `twin up`")
        with self.engine.connect() as conn:
            entities = day_states(conn, self.person_id, day)
            found = latest_summary(conn, self.person_id, date.fromisoformat(day))
            written = day_written_at(conn, self.person_id, day) if entities else None
        if not entities:
            raise NoState(f"no state for {day}: materialize it (`twin snapshot --date {day}` or a backfill)")
        return DayState(day, found[1] if found else None,
                        {e: entities[e] for e in day_entities() if e in entities}, _iso(written))

    def state(self, as_of: date | str | None = None) -> dict[str, dict]:
        return self.day(as_of).entities

    def summary(self, as_of: date | str | None = None) -> str | None:
        return self.day(as_of).summary

    def history(
        self,
        limit: int = 10,
        entity_type: str | None = None,
        start: date | None = None,
        end: date | None = None,
    ) -> list[dict]:
        """State rows newest first; a row that replaced an earlier one for its day is a
        correction, and only the newest row of a day is its current state."""
        with self.engine.connect() as conn:
            rows = state_history(
                conn, self.person_id, limit=limit, entity_type=entity_type,
                start=None if start is None else start.isoformat(), end=None if end is None else end.isoformat(),
            )
        return [
            {
                "id": row["id"],
                "entity_type": row["entity_type"],
                "as_of": row["as_of"],
                "created_at": _iso(row["created_at"]),
                "current": row["version"] == row["versions"],
                "correction": row["version"] > 1,
                "version": row["version"],
                "data": row["update_data"],
            }
            for row in rows
        ]

    def frame(self, entity_type: str, start: date | str | None = None, end: date | str | None = None) -> pd.DataFrame:
        """The day states of one entity (finance, health, pantry) from start to end (either
        None: open) as a pandas DataFrame: one row a day the store holds, its newest state
        (missing days are absent: `.asfreq("D")` shows them), indexed by `as_of`
        (datetime64); the document's fields as columns, nested objects flattened with dots
        (`body_composition.bodyweight_kg`), lists (`alerts`, `low_stock`) kept as lists.

        Money is float64: the JSON numbers exactly as stored, which the pipeline computed
        exactly and rounded to 2 decimals, so each value reads back as written (863.35);
        sums of many drift in the last binary digits: round an aggregate to 2 decimals
        (or `.map(Decimal)` a column) when comparing cents. Counts of a column with a
        missing value (an unavailable day) are float64 too, as pandas does."""
        import pandas as pd

        first, last = (None if day is None else date.fromisoformat(str(day)) for day in (start, end))
        if entity_type == REVIEWS:
            return self._reviews_frame(first, last)
        if entity_type not in (entities := day_entities()):
            raise ValueError(
                f"no entity {entity_type!r}: the twin's day states are {', '.join(entities)} (and {REVIEWS})"
            )
        with self.engine.connect() as conn:
            rows = states_between(conn, self.person_id, entity_type, first, last)
        index = pd.DatetimeIndex([as_of for as_of, _ in rows], name="as_of", dtype="datetime64[ns]")
        if not rows:
            return pd.DataFrame(index=index)
        documents = pd.json_normalize([{k: v for k, v in document.items() if k != "as_of"} for _, document in rows])
        documents.index = index
        return documents

    def _reviews_frame(self, first: date | None, last: date | None) -> pd.DataFrame:
        """The current review of each forecast made from first to last, indexed by `made_on`
        (datetime64; several rows a day), figures as float64 (NaN where null)."""
        import pandas as pd

        with self.engine.connect() as conn:
            rows = reviews_between(conn, self.person_id, made_from=first, made_to=last)
        columns = ["kind", "subject", "outcome_on", "predicted", "actual", "error", "accuracy_pct",
                   "accuracy_reason", "created_at"]
        frame = pd.DataFrame([{c: row[c] for c in columns} for row in rows], columns=columns)
        frame.index = pd.DatetimeIndex([row["made_on"] for row in rows], name="made_on", dtype="datetime64[ns]")
        frame["outcome_on"] = pd.to_datetime(frame["outcome_on"])
        for column in ("predicted", "actual", "error", "accuracy_pct"):
            frame[column] = pd.to_numeric(frame[column].map(lambda v: None if v is None else float(v)))
        return frame

    def export(self, entity_type: str, out: Path, file_format: FileFormat,
               start: date | str | None = None, end: date | str | None = None) -> int:
        """Write frame(entity_type, start, end) to `out` as CSV or Parquet, `as_of` its first
        column; list and object cells become JSON text (the same in both formats, and what a
        spreadsheet can show). Returns the number of days written (0: no file written)."""
        if file_format not in ("csv", "parquet"):
            raise ValueError(f"no file format {file_format!r}: write csv or parquet")
        frame = self.frame(entity_type, start, end)
        if frame.empty:
            return 0
        nested = [name for name in frame.columns
                  if frame[name].map(lambda value: isinstance(value, (list, dict))).any()]
        for name in nested:
            frame[name] = frame[name].map(
                lambda value: json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value)
        table = frame.reset_index()
        day = table.columns[0]  # as_of, or made_on of the reviews
        table[day] = table[day].dt.date if file_format == "parquet" else table[day].dt.strftime("%Y-%m-%d")
        if file_format == "csv":
            table.to_csv(out, index=False)
        else:
            table.to_parquet(out, index=False)
        return len(table)

    def person(self) -> dict:
        """The person's record: identity, health metrics and goal progress."""
        with self.engine.connect() as conn:
            row = person_row(conn, self.person_id)
        if row is None:
            raise NoState(f"no person {self.person_id} in the twin store")
        return _jsonable(row)

    def goals(self) -> list[dict]:
        """The person's goals, dependencies as goal codes."""
        with self.engine.connect() as conn:
            return [_jsonable(row) for row in goal_rows(conn, self.person_id)]

    def home(self) -> dict:
        """The person's current home, as Home Assistant last described it."""
        with self.engine.connect() as conn:
            row = home_row(conn, self.person_id)
        if row is None:
            raise NoState("no home known yet: set TWIN_HOME_STATES and materialize the home asset")
        return _jsonable(row)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _jsonable(row) -> dict:
    return {key: value.isoformat() if isinstance(value, (date, datetime)) else value for key, value in row.items()}
