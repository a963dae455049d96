"""Today's answers fresh when asked: once anything was committed on a source's server since
today's answer was decided, today's sections are read again from the sources (the runs'
readers and rules, read-only sessions, the same timeouts and failure handling: sources/live.py)
and merged with today's stored state the way a run decides what to store. Nothing is ever written.

Which one an answer shows, it says: `freshness` (`live` or `stored`), `computed_at`, and per
section `section_freshness`, with `live_errors` naming a source that could not be read
while its stored usable state is shown.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from typing import Literal

from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from twin_pipeline.core.history import plan_rows
from twin_pipeline.core.summary import render_summary
from twin_pipeline.database import Database
from twin_pipeline.reader import DayState
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources import SOURCES
from twin_pipeline.sources.live import sections_of_day
from twin_pipeline.sqlfiles import sql_text
from twin_pipeline.store.schema import day_entities

Freshness = Literal["live", "stored"]


@dataclass(frozen=True)
class DayView:
    """A day's sections as an answer shows them, the status text, and where each came from."""

    as_of: str
    entities: dict[str, dict]
    text: str
    freshness: Freshness  # live: some section was read from the sources for this answer
    computed_at: str | None  # when the shown state was computed (a stored one: when it was written)
    section_freshness: dict[str, Freshness]
    live_errors: dict[str, str] = field(default_factory=dict)  # a source not read; its stored state shown
    key: tuple = ()  # what the answer cache keys on; changes whenever the content does

    @classmethod
    def stored(cls, found: DayState, text: str) -> DayView:
        return cls(found.as_of, found.entities, text, "stored", found.computed_at,
                   {name: "stored" for name in found.entities}, key=("day", found.as_of))

    def fields(self) -> dict:
        """What a whole-day answer carries about its freshness."""
        extra = {"live_errors": self.live_errors} if self.live_errors else {}
        return {"freshness": self.freshness, "computed_at": self.computed_at,
                "section_freshness": self.section_freshness, **extra}

    def section_fields(self, name: str) -> dict:
        """What one section's answer carries about its freshness."""
        extra = {"live_error": self.live_errors[name]} if name in self.live_errors else {}
        return {"freshness": self.section_freshness.get(name, "stored"), "computed_at": self.computed_at, **extra}

    def content(self) -> tuple:
        return self.as_of, self.entities, self.text, self.freshness, self.section_freshness, self.live_errors


def merge_live_and_stored(
    as_of: str,
    live: Mapping[str, dict],
    stored: DayState | None,
    *,
    weekly_workout_target: int,
    home: Mapping | None,
    computed_at: str,
    notable: Callable[[str, Mapping[str, dict]], str | None] | None = None,
) -> DayView:
    """The sections a run would leave in the store for the day, and which of them are live.

    Per section, as core/history.plan_rows decides for a run: the stored state when the
    live one says the same (`unchanged`) or could not be read while the stored one is usable
    (`kept`: never buried, its reason under `live_errors`), else the live one. The text is
    the one daily_summary would render from them (today's: with the home and forecasts)."""
    stored_entities = stored.entities if stored is not None else {}
    plan = plan_rows({(name, as_of): doc for name, doc in live.items()},
                     {(name, as_of): doc for name, doc in stored_entities.items()})
    shown, freshness, errors = {}, {}, {}
    for row in plan:
        if row.decision in ("unchanged", "kept"):
            shown[row.entity_type], freshness[row.entity_type] = stored_entities[row.entity_type], "stored"
            if row.decision == "kept":
                errors[row.entity_type] = row.document.get("error_detail") or row.document["error"]
        else:
            shown[row.entity_type], freshness[row.entity_type] = row.document, "live"
    shown = {name: shown[name] for name in day_entities() if name in shown}
    freshness = {name: freshness[name] for name in shown}
    def rendered() -> str:
        line = notable(as_of, shown) if notable is not None else None
        return render_summary(as_of, shown, weekly_workout_target=weekly_workout_target, home=home, forecasts=True,
                              notable=line)

    if stored is not None and "live" not in freshness.values():
        text = stored.summary if stored.summary is not None else rendered()
        return DayView(as_of, shown, text, "stored", stored.computed_at, freshness, errors)
    text = rendered()
    return DayView(as_of, shown, text, "live", computed_at, freshness, errors)


def _server(database: Database) -> str:
    """The server a source lives on: transaction ids, hence commit marks, are per server."""
    url = make_url(database.resolved_url())
    host = url.host or url.query.get("host") or "localhost"
    return f"{host}:{url.port or url.query.get('port') or 5432}"


class CommitMark:
    """Asks one server where its transactions stand, on a connection held for it alone (a
    request pays one round trip, no pool checkout or transaction); reconnects once when
    the held connection broke."""

    def __init__(self, database: Database):
        self.database = database
        self._connection = None

    def read(self) -> str:
        engine = self.database.engine()
        driver_error = engine.dialect.loaded_dbapi.Error
        try:
            return self._ask(engine)
        except driver_error:
            self.close()  # the held connection broke (a server restart): once more, on a new one
        try:
            return self._ask(engine)
        except driver_error as exc:
            self.close()
            raise DBAPIError.instance(sql_text(__package__, "commit_mark"), None, exc, driver_error) from exc
        except SQLAlchemyError:
            self.close()
            raise

    def _ask(self, engine) -> str:
        if self._connection is None:
            self._connection = engine.raw_connection()  # a failure to connect raises SQLAlchemy's error
            self._connection.driver_connection.autocommit = True
        with self._connection.cursor() as cursor:
            cursor.execute(sql_text(__package__, "commit_mark"))
            return cursor.fetchone()[0]

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
            finally:
                self._connection = None


@dataclass
class _ViewSlot:
    """The last view of some sections (or of every one) and what it was decided on; its lock is
    held while their sources are read, so one slow source delays only the views showing it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    basis: tuple | None = None
    view: DayView | None = None
    generation: int = 0


class LiveToday:
    """Today's view, decided again only when a source's server committed something, the store
    changed, or the day turned; otherwise the last view (and its cached answers) stands.

    Each set of sections asked for (every one for the whole-day answers, one for /finance,
    /health and /pantry) is decided on its own, from its own sources and their servers' marks,
    so a source slow to answer delays the answers that show its section and no other; each
    server's mark is read on its own connection, under its own lock."""

    def __init__(self, settings: TwinSettings, *, down_recheck_seconds: float = 10.0):
        self.settings = settings
        # An optional source left out of a configured install has no server to watch.
        self.sources = {name: Database.for_role(settings, name) for name in SOURCES if settings.source_configured(name)}
        self._down_recheck = down_recheck_seconds
        self._servers: dict[str, list[str]] | None = None
        self._marks: dict[str, CommitMark] = {}
        self._mark_locks: dict[str, threading.Lock] = {}  # a CommitMark's connection serves one thread at a time
        self._down: dict[str, tuple[float, Exception]] = {}  # server -> (since, failure), not asked again until recheck
        self._setup = threading.Lock()
        self._slots: dict[tuple[str, ...] | None, _ViewSlot] = {}  # the sections shown (None: all) -> their view

    def today(self) -> date:
        return self.settings.today()

    @property
    def _basis(self) -> tuple | None:
        """What the whole day's view was last decided on: (day, store version, server marks)."""
        slot = self._slots.get(None)
        return None if slot is None else slot.basis

    def _by_server(self) -> dict[str, list[str]]:
        with self._setup:
            if self._servers is None:
                servers: dict[str, list[str]] = {}
                for name, database in self.sources.items():
                    servers.setdefault(_server(database), []).append(name)
                self._mark_locks = {server: threading.Lock() for server in servers}
                self._servers = servers
            return self._servers

    def _slot(self, sections: tuple[str, ...] | None) -> _ViewSlot:
        with self._setup:
            return self._slots.setdefault(sections, _ViewSlot())

    def servers_of(self, sections: tuple[str, ...] | None) -> set[str]:
        """The servers holding the sources of `sections` (None: every section's)."""
        return {server for server, names in self._by_server().items()
                if sections is None or any(SOURCES[name].entity_type in sections for name in names)}

    def marks(self, servers: set[str] | None = None) -> dict[str, str]:
        """server -> where its transactions stand, or why it does not answer, for `servers`
        (None: every one). One query per server (all three sources often share one), so the
        quiet path stays cheap."""
        marks = {}
        for server, names in self._by_server().items():
            if servers is not None and server not in servers:
                continue
            with self._mark_locks[server]:
                down = self._down.get(server)
                if down is not None and time.monotonic() - down[0] < self._down_recheck:
                    marks[server] = f"down: {down[1]}"
                    continue
                mark = self._marks.setdefault(server, CommitMark(self.sources[names[0]]))
                try:
                    marks[server] = mark.read()
                    self._down.pop(server, None)
                except SQLAlchemyError as exc:
                    self._down[server] = (time.monotonic(), exc)
                    marks[server] = f"down: {exc}"
        return marks

    def _read(self, day: date) -> dict[str, dict]:
        """entity -> today's section from its source, for every section."""
        return self._read_sections(day, None)

    def _read_sections(self, day: date, sections: tuple[str, ...] | None) -> dict[str, dict]:
        """entity -> today's section from its sources, for `sections` (None: every one); a
        server found down is not asked again (its sections unavailable with the reason, as a
        run's read would give them)."""
        failed = {}
        for server, names in self._by_server().items():
            down = self._down.get(server)
            if down is not None:
                failed.update((name, down[1]) for name in names)
        # As the store gives documents back (JSON), so a comparison sees only real differences.
        return json.loads(json.dumps(sections_of_day(self.settings, day, failed, sections)))

    def view(
        self,
        store_version: tuple | None,
        stored: Callable[[str], DayState | None],
        home: Callable[[], Mapping | None],
        weekly_workout_target: int,
        notable: Callable[[str, Mapping[str, dict]], str | None] | None = None,
        ranged: Callable[[str, dict[str, dict]], dict[str, dict]] | None = None,
        sections: tuple[str, ...] | None = None,
    ) -> DayView:
        """Today's view of `sections` (None: the whole day): the last one while nothing they
        depend on moved, else decided again (merge_live_and_stored), the sections read live
        given their forecasts' ranges by `ranged` as a run would set them. A view of some
        sections has them alone, and a text of them alone (the section answers show no text
        of the day)."""
        slot = self._slot(sections)
        with slot.lock:
            marks = self.marks(self.servers_of(sections))
            day = self.today()
            basis = (day, store_version, tuple(sorted(marks.items())))
            if basis == slot.basis and slot.view is not None:
                return slot.view
            # Marks first, then the read: a commit landing in between moves the marks again.
            live = self._read(day) if sections is None else self._read_sections(day, sections)
            if ranged is not None:
                live = ranged(day.isoformat(), live)
            computed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            view = merge_live_and_stored(day.isoformat(), live, stored(day.isoformat()),
                                         weekly_workout_target=weekly_workout_target, home=home(),
                                         computed_at=computed_at, notable=notable if sections is None else None)
            if slot.view is not None and slot.view.content() == view.content():
                view = slot.view  # the same answer: keep its time and the answers cached for it
            else:
                slot.generation += 1
                view = replace(view, key=("today", day.isoformat(), sections, slot.generation))
            slot.basis, slot.view = basis, view
            return view
