"""What every router shares: the reader over the twin store, the answer cache, the probed
databases, today's live view and the history watch, as one TwinApi that endpoints receive
through FastAPI's Depends (`api: TwinApiDep`). Answers are serialized once and served
from memory until the store changes (or, for today, until a source does: freshness.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Annotated

from cachetools import LRUCache
from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.api.freshness import DayView, LiveToday
from twin_pipeline.api.history_lag import HistoryLook, HistoryWatch
from twin_pipeline.api.keys import HOUSEHOLD_SECTIONS, Tier
from twin_pipeline.core.forecast_ranges import apply_patch, forecast_ranges
from twin_pipeline.core.notable import LOOKBACK_DAYS, notable_day, status_line
from twin_pipeline.core.summary import HOME_MARK, render_summary
from twin_pipeline.reader import DayState, NoState, TwinReader
from twin_pipeline.sources import WATCHED_METRICS
from twin_pipeline.store import notable as notable_store
from twin_pipeline.store.dashboard import state_bounds
from twin_pipeline.store.reviews import review_states
from twin_pipeline.store.schema import StoreError
from twin_pipeline.store.states import newest_states

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"


# What the answer cache may hold: a decade's dashboard answer is about 0.5 MB and a day's a few kB,
# so the bytes bound the dashboards and the entries the small answers (keyed by any day asked).
CACHE_ENTRIES = 4096
CACHE_BYTES = 64 * 1024 * 1024


class AnswerCache:
    """Serialized answers keyed by request, valid while the store's version is unchanged, the
    least recently used dropped beyond `max_entries` answers or `max_bytes` of them (callers
    choose the days they ask for, so the keys are theirs to multiply).

    The version is polled by a background thread every `recheck_seconds`, so a request
    never waits for that query; with recheck_seconds=0 every request checks (tests)."""

    def __init__(self, version: Callable[[], tuple], recheck_seconds: float, *,
                 max_entries: int = CACHE_ENTRIES, max_bytes: int = CACHE_BYTES):
        self._version, self._recheck = version, recheck_seconds
        self._max_entries, self._max_bytes = max_entries, max_bytes
        self._answers = self._empty()
        self._seen: tuple | None = None
        # Requests run on worker threads, and an LRU lookup reorders the entries.
        self._lock = threading.Lock()
        if recheck_seconds > 0:
            # The first look before any request, so none races the poller's first query.
            self._refresh_quietly()
            threading.Thread(target=self._poll, name="twin-api-store-version", daemon=True).start()

    def _empty(self) -> LRUCache:
        return LRUCache(self._max_bytes, getsizeof=len)

    def _refresh(self) -> None:
        current = self._version()
        with self._lock:
            if current != self._seen:
                self._answers = self._empty()
                self._seen = current

    def _refresh_quietly(self) -> None:
        try:
            self._refresh()
        except (SQLAlchemyError, StoreError):
            pass  # the requests themselves report the store being down

    def _poll(self) -> None:
        while True:
            time.sleep(self._recheck)
            self._refresh_quietly()

    def version(self) -> tuple | None:
        """The store version the cached answers belong to."""
        if self._recheck <= 0:
            self._refresh()
        return self._seen

    def get(self, key: tuple, compute: Callable[[], bytes]) -> bytes:
        if self._recheck <= 0:
            self._refresh()
        with self._lock:
            answers = self._answers
            answer = answers.get(key)
        if answer is None:
            answer = compute()  # outside the lock: a slow answer delays only its own callers
            with self._lock:
                if len(answer) <= answers.maxsize:  # one answer over the whole budget is served, not kept
                    answers[key] = answer
                while len(answers) > self._max_entries:
                    answers.popitem()
        return answer


def serialized(value: object, media_type: str = JSON) -> bytes:
    """An answer's bytes as the API serves them (JSON as UTF-8, not ASCII escapes)."""
    if media_type == JSON:
        return json.dumps(value, ensure_ascii=False).encode()
    return str(value).encode()


@dataclass
class TwinApi:
    """The twin store behind the API, and what the answers need besides it."""

    reader: TwinReader
    cache: AnswerCache
    weekly_workout_target: int = 3
    probes: dict[str, Engine] = field(default_factory=dict)
    live: LiveToday | None = None  # None: every day as stored, the default day the newest stored one
    history: HistoryWatch | None = None  # None: readiness does not judge the history

    def answer(self, key: tuple, compute: Callable[[], object], media_type: str = JSON) -> Response:
        """The cached answer for `key`, computing and serializing it on a miss."""
        return Response(self.cache.get(key, lambda: serialized(compute(), media_type)), media_type=media_type)

    def cached(self, key: tuple, compute: Callable[[], object]) -> bytes:
        """The cached JSON for `key` (computed on a miss), for an answer served with changes."""
        return self.cache.get(key, lambda: serialized(compute()))

    def status_text(self, found: DayState) -> str:
        """The day's stored status text; rendered from its documents if none was stored."""
        if found.summary is not None:
            return found.summary
        return render_summary(found.as_of, found.entities, weekly_workout_target=self.weekly_workout_target)

    def day_answer(
        self, name: str, day: date | None, build: Callable[[DayView], object], media_type: str = JSON,
        tier: Tier = "owner", sections: tuple[str, ...] | None = None,
    ) -> Response:
        """The answer about a day: today (no date, or today's) fresh from the sources when
        they moved since the stored state (with a live source), any other day as stored;
        built from the household's part of the day for a household key. `sections`: the
        only ones `build` reads of today (None: the whole day), so today's view reads only
        their sources."""
        if tier == "household":
            name, build = f"{name}-household", self._for_household(build)
        if self.live is not None and (day is None or day == self.live.today()):
            view = self.live.view(self.cache.version(), self._stored_day, self._home, self.weekly_workout_target,
                                  notable=self._notable_line, ranged=self._with_ranges, sections=sections)
            return self.answer((name, *view.key), lambda: build(view), media_type)

        def stored() -> object:
            found = self.reader.day(day)
            return build(DayView.stored(found, self.status_text(found)))

        return self.answer((name, day), stored, media_type)

    def _for_household(self, build: Callable[[DayView], object]) -> Callable[[DayView], object]:
        return lambda view: build(self.household_view(view))

    def household_view(self, view: DayView) -> DayView:
        """The day as a household key sees it: the pantry, and a text of the pantry and the
        home (the home's line when the day's own text has it: the home belongs to today);
        every other section absent, not blanked."""
        shown = {name: doc for name, doc in view.entities.items() if name in HOUSEHOLD_SECTIONS}
        freshness = {name: how for name, how in view.section_freshness.items() if name in shown}
        home = self._home() if HOME_MARK in view.text else None
        text = render_summary(view.as_of, shown, weekly_workout_target=self.weekly_workout_target, home=home,
                              forecasts=True, sections=HOUSEHOLD_SECTIONS)
        return replace(view, entities=shown, text=text, section_freshness=freshness,
                       freshness="live" if "live" in freshness.values() else "stored",
                       live_errors={name: why for name, why in view.live_errors.items() if name in shown})

    def notable_items(self, view: DayView) -> list[dict]:
        """The day's notable items: as stored for a stored view, else (today, read live)
        computed as the day's run would (computed_notable)."""
        day = date.fromisoformat(view.as_of)
        if view.freshness == "stored":
            with self.reader.engine.connect() as conn:
                stored = notable_store.notable_days(conn, self.reader.person_id, day, day)
            if day in stored:
                return stored[day]
        return self.computed_notable(view.as_of, view.entities)

    def computed_notable(self, as_of: str, entities: Mapping[str, dict]) -> list[dict]:
        """A day's items from its sections, the stored days before and the items of the day before."""
        day = date.fromisoformat(as_of)
        before = day - timedelta(days=1)
        person_id = self.reader.person_id
        with self.reader.engine.connect() as conn:
            first, _ = state_bounds(conn, person_id)
            if first is None:
                return []
            previous = notable_store.notable_days(conn, person_id, before, before).get(before, [])
            states = newest_states(conn, person_id, [day - timedelta(days=back)
                                                           for back in range(LOOKBACK_DAYS, 0, -1)])
        documents: dict[date, dict[str, dict]] = {}
        for (entity, state_day), state in states.items():
            documents.setdefault(date.fromisoformat(state_day), {})[entity] = state.document
        documents[day] = dict(entities)
        live_today = self.live is not None and day == self.live.today()
        goals = self.reader.goals() if live_today else ()
        return notable_day(day, date.fromisoformat(first), WATCHED_METRICS, documents, previous, goals)

    def _with_ranges(self, as_of: str, live: dict[str, dict]) -> dict[str, dict]:
        """Today's sections read live with their forecasts' 80 % ranges, calibrated as twin_state
        calibrates them: on the errors scored from the stored states, today's live sections
        standing in for today's stored ones (as a run's sections stand in for its days)."""
        day = date.fromisoformat(as_of)
        standing_in = {entity: doc for entity, doc in live.items() if doc.get("status") != "unavailable"}

        def read(first: date, last: date) -> dict[str, dict[date, dict]]:
            states = review_states(conn, self.reader.person_id, first, last)
            if first <= day <= last:
                for entity, document in standing_in.items():
                    if entity in states:
                        states[entity][day] = document
            return states

        with self.reader.engine.connect() as conn:
            patches = forecast_ranges(read, [day])
        return {entity: apply_patch(entity, doc, patches.get(entity, {}).get(as_of)) for entity, doc in live.items()}

    def _notable_line(self, as_of: str, entities: Mapping[str, dict]) -> str | None:
        return status_line(self.computed_notable(as_of, entities))

    def _stored_day(self, as_of: str) -> DayState | None:
        try:
            return self.reader.day(as_of)
        except NoState:
            return None

    def _home(self) -> dict | None:
        return self.known(self.reader.home)

    def history_look(self) -> HistoryLook | None:
        """Whether the stored history is behind (None: not watched by this API)."""
        return None if self.history is None else self.history.look(self.reader.latest_day())

    def known(self, read: Callable[[], object]) -> object | None:
        """An entity the twin may not know yet (home, person): None rather than an error."""
        try:
            return read()
        except NoState:
            return None


async def twin_api(request: Request) -> TwinApi:
    """The TwinApi of the app serving this request (create_app keeps it in app.state).
    Async, so FastAPI calls it in the event loop rather than a worker thread."""
    return request.app.state.twin_api


TwinApiDep = Annotated[TwinApi, Depends(twin_api)]
