"""The resources every asset, check and sensor uses, built from the settings; and the
executor: every run is a few SQL-bound steps in a chain, nothing to parallelise, and a
process per step costs more than the work (bench/backfill.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import dagster as dg
from pydantic import Field
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.forecast_ranges import forecast_ranges
from twin_pipeline.core.forecast_review import Review
from twin_pipeline.core.notable import NOTIFY_AT_ONCE
from twin_pipeline.database import Database
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import ENTITY_CONTRIBUTORS, SOURCES, compose_entity
from twin_pipeline.sources.spec import Fingerprints, SourceSpec
from twin_pipeline.store.dashboard import state_bounds
from twin_pipeline.store.entities import goal_rows, home_row, upsert_goals, upsert_home
from twin_pipeline.store import notable as notable_store
from twin_pipeline.store.fingerprints import record_fingerprints
from twin_pipeline.store.person import append_person_state, resolve_person, update_person
from twin_pipeline.store.reviews import attach_ranges, review_states, review_totals, write_reviews
from twin_pipeline.store.schema import check_store
from twin_pipeline.store.states import StoredState, newest_states
from twin_pipeline.store.summaries import summaries_between, upsert_summaries
from twin_pipeline.store.write_path import (
    StateDecision,
    lock_entity_sections,
    source_sections,
    upsert_sections,
    upsert_source_sections,
    write_day_states,
)


class PostgresDatabase(dg.ConfigurableResource, Database):
    """A PostgreSQL database of the twin as a Dagster resource: a source it only reads, or the
    twin store; its fields and its way of opening the database are Database's."""


class TwinStore(PostgresDatabase):
    """The twin store, with its verbs: each one transaction over store/'s SQL (the append-only
    rules and the writers' lock live there)."""

    role: str = Field(default="twin", description="twin: the store")
    read_only: bool = Field(default=False, description="The pipeline writes the store")

    def checked_person(self, configured: str | None) -> str:
        """The person, once the store is known to have the twin's tables and every migration
        (else StoreError naming what is missing and the owner's command)."""
        with self.engine().begin() as conn:
            check_store(conn, self.location)
            return resolve_person(conn, configured)

    def person(self, configured: str | None, name: str | None = None) -> str:
        """TWIN_PERSON_ID, else the single person the store knows (created on a fresh store)."""
        with self.engine().begin() as conn:
            return resolve_person(conn, configured, name=name)

    def write_sections(self, spec: SourceSpec, documents: list[dict], fingerprints: list[Fingerprints]) -> None:
        """A source's sections of some days and the fingerprints they were computed from, together.
        A source sharing its entity (health: training, biometrics) stores its part of the day;
        twin_state composes the entity's section from every part (write_day_states)."""
        try:
            with self.engine().begin() as conn:
                if len(ENTITY_CONTRIBUTORS[spec.entity_type]) == 1:
                    upsert_sections(conn, spec.entity_type, documents)
                else:
                    upsert_source_sections(conn, spec.name, spec.entity_type, documents)
                record_fingerprints(conn, fingerprints)
        except SQLAlchemyError:
            # The next write goes on fresh connections: a pooled one may carry what refused this one.
            self.engine().dispose()
            raise

    def write_day_states(
        self, person_id: str, days: list[date], fallbacks: Mapping[str, dict]
    ) -> tuple[list[StateDecision], dict[str, dict[str, dict]]]:
        """Append the states of the run's stored sections that say something new (decided in
        PostgreSQL); what became of each (entity, day) comes back, with the forecasts' ranges
        given to each day ({entity: {as_of: patch}}). An entity of several sources is first
        composed, once, from the parts they stored (in the same transaction, in turns with
        other runs: an advisory lock per entity); then each forecast's range is calibrated on
        the errors scored from the states up to its day, the run's sections standing in for
        its days (core/forecast_ranges.py), and set into the sections."""
        with self.engine().begin() as conn:
            as_of = [day.isoformat() for day in days]
            for entity, contributors in ENTITY_CONTRIBUTORS.items():
                if len(contributors) == 1:
                    continue
                lock_entity_sections(conn, entity)
                parts = source_sections(conn, [s.name for s in contributors], as_of)
                composed = (compose_entity(entity, {s.name: parts.get((s.name, day)) for s in contributors})
                            for day in as_of)
                # None: the filling source has no part for the day (the state says it is unavailable).
                upsert_sections(conn, entity, [d for d in composed if d is not None])
            ranges = forecast_ranges(lambda first, last: review_states(conn, person_id, first, last, days), days)
            attach_ranges(conn, ranges)
            return write_day_states(conn, person_id, days, fallbacks), ranges

    def review_states(self, person_id: str, first: date, last: date) -> dict[str, dict[date, dict]]:
        """The states a forecast review of first..last reads, per entity (set-based)."""
        with self.engine().begin() as conn:
            return review_states(conn, person_id, first, last)

    def write_reviews(self, person_id: str, reviews: Sequence[Review]) -> int:
        """Append the reviews that say something new (the states' append-only rules); how many."""
        with self.engine().begin() as conn:
            return write_reviews(conn, person_id, reviews)

    def review_totals(self, person_id: str, **ranges) -> dict:
        """The reviews' summaries in the ranges, added up in the database (review_totals')."""
        with self.engine().begin() as conn:
            return review_totals(conn, person_id, **ranges)

    def newest_states(self, person_id: str, days: list[date]) -> dict[tuple[str, str], StoredState]:
        with self.engine().begin() as conn:
            return newest_states(conn, person_id, days)

    def home(self, person_id: str) -> Mapping | None:
        with self.engine().begin() as conn:
            return home_row(conn, person_id)

    def write_summaries(self, person_id: str, summaries: list[tuple[str, str, list[str]]]) -> int:
        """Store each day's text; returns how many days changed."""
        with self.engine().begin() as conn:
            return upsert_summaries(conn, person_id, summaries)

    def summaries_between(self, person_id: str, first: date, last: date) -> dict[str, str]:
        with self.engine().begin() as conn:
            return summaries_between(conn, person_id, first, last)

    def first_state_day(self, person_id: str) -> date | None:
        """The twin's first day of history (None before any state)."""
        with self.engine().begin() as conn:
            first, _ = state_bounds(conn, person_id)
        return date.fromisoformat(first) if first else None

    def notable_days(self, person_id: str, first: date, last: date) -> dict[date, list[dict]]:
        with self.engine().begin() as conn:
            return notable_store.notable_days(conn, person_id, first, last)

    def write_notable_days(self, person_id: str, days: Mapping[date, list[dict]]) -> list[str]:
        """Append the days whose items changed (append-only); the days appended."""
        with self.engine().begin() as conn:
            return notable_store.append_notable_days(conn, person_id, days)

    def write_goals(self, owner: str, goals: Iterable) -> None:
        with self.engine().begin() as conn:
            upsert_goals(conn, owner, goals)

    def goals(self, person_id: str) -> list[Mapping]:
        with self.engine().begin() as conn:
            return goal_rows(conn, person_id)

    def write_home(self, person_id: str, snapshot) -> None:
        with self.engine().begin() as conn:
            upsert_home(conn, person_id, snapshot)

    def write_person(self, person_id: str, as_of: date, health_metrics: dict, goals_progress: dict) -> bool:
        """Update the person's row, and append a person state when it says something new."""
        with self.engine().begin() as conn:
            update_person(conn, person_id, health_metrics, goals_progress)
            document = {"health_metrics": health_metrics, "goals_progress": goals_progress}
            return append_person_state(conn, person_id, as_of, document)


class TwinConfig(dg.ConfigurableResource):
    """The twin's rules and identity that are not database URLs; built from TwinSettings."""

    timezone: str = Field(description="TWIN_TIMEZONE: IANA zone of the person's days")
    currency: str = Field(description="TWIN_CURRENCY: primary currency of the finance section")
    expiry_window_days: int = Field(description="TWIN_EXPIRY_WINDOW_DAYS: pantry 'expiring soon' horizon")
    weekly_workout_target: int = Field(description="TWIN_WEEKLY_WORKOUT_TARGET: workouts a week")
    freshness_days: int = Field(description="TWIN_FRESHNESS_DAYS: a source whose newest record is older warns")
    person_id: str | None = Field(default=None, description="TWIN_PERSON_ID; unset = the single person in the store")
    goals_dir: str | None = Field(default=None, description="TWIN_GOALS_DIR: the goal markdown files")
    home_states: str | None = Field(default=None, description="TWIN_HOME_STATES: Home Assistant states file or URL")
    home_states_token: str | None = Field(default=None, description="TWIN_HOME_STATES_TOKEN for a Home Assistant URL")
    notify_url: str | None = Field(default=None, description="TWIN_NOTIFY_URL: where today's new notable items are POSTed")
    notify_at_once: list[str] = Field(default_factory=lambda: list(NOTIFY_AT_ONCE), description=(
        "TWIN_NOTIFY_AT_ONCE: the needs-action items pushed on their day rather than with the next push"))

    @classmethod
    def from_settings(cls, settings: TwinSettings, **overrides) -> TwinConfig:
        values = dict(
            timezone=settings.timezone,
            currency=settings.currency,
            expiry_window_days=settings.expiry_window_days,
            weekly_workout_target=settings.weekly_workout_target,
            freshness_days=settings.freshness_days,
            goals_dir=str(settings.goals_dir) if settings.goals_dir else None,
            home_states=settings.home_states,
            # Secrets and identity stay EnvVar references: the UI shows the variable, not the value.
            home_states_token=dg.EnvVar("TWIN_HOME_STATES_TOKEN") if settings.home_states_token else None,
            person_id=dg.EnvVar("TWIN_PERSON_ID") if settings.person_id else None,
            notify_url=dg.EnvVar("TWIN_NOTIFY_URL") if settings.notify_url else None,
            notify_at_once=list(settings.notify_at_once),
        )
        return cls(**{**values, **overrides})

    def settings(self) -> TwinSettings:
        """These rules as the one settings object the readers and the core take."""
        return TwinSettings.from_env({
            "TWIN_TIMEZONE": self.timezone,
            "TWIN_CURRENCY": self.currency,
            "TWIN_EXPIRY_WINDOW_DAYS": str(self.expiry_window_days),
            "TWIN_WEEKLY_WORKOUT_TARGET": str(self.weekly_workout_target),
            "TWIN_FRESHNESS_DAYS": str(self.freshness_days),
        })

    def today(self) -> date:
        return self.settings().today()


def database_resource(settings: TwinSettings, role: str) -> PostgresDatabase:
    """A source's or the store's resource; a configured URL stays an EnvVar reference."""
    database = Database.for_role(settings, role)
    variable = settings.twin_url_variable if role == "twin" else SOURCES[role].url_variable
    kind = TwinStore if role == "twin" else PostgresDatabase
    return kind(**{**database.model_dump(), "url": dg.EnvVar(variable) if database.url else None})


def build_resources(settings: TwinSettings) -> dict:
    """Resources from the settings: a database per source, the store, the rules."""
    return {
        **{f"{name}_db": database_resource(settings, name) for name in SOURCES},
        "twin_store": database_resource(settings, "twin"),
        "twin_config": TwinConfig.from_settings(settings),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(current_settings()), executor=dg.in_process_executor)
