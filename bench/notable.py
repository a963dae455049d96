"""How often the twin would speak up, and whether it catches what it should, on the demo decade.

    .venv/bin/python bench/notable.py                # ten years (about half a minute on 2 cores)
    .venv/bin/python bench/notable.py --days 730     # a shorter history

The demo's ten years are read from their source databases by the runs' own readers (no
Dagster, no store) and each day's notable items computed as the daily run does
(core/notable.py, every day's items carried into the next). Then shifts are injected into
copies of the demo's states, one at a time, at days spread over the decade, and the items
of the days from the shift on computed again:

    readiness 25 lower for 3 days    the day's spending tripled    weight 2 kg up, for good

It prints: notifications a week (a notification is a push, replayed with the push's own rules:
core/notable.py's push_candidates and push_due with the default TWIN_NOTIFY_AT_ONCE, every
push delivered; goal: median at most 1, no week above 5), beside the same with nothing pushed
at once (TWIN_NOTIFY_AT_ONCE=none) and with every new item pushed on its day; how long a
needs-action item waited for its push, and how many ended before one came; the new items in
the first 28 days (goal: none), each shift's share caught on its first day (goal: at least
80 %), and the items announced again while their condition lasted (goal: none).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 4
INJECTIONS = 40  # of each kind, spread over the decade after its first 60 days
FOLLOW_DAYS = 21  # days after a shift whose items are computed again


def slim(entity: str, document: dict | None) -> dict | None:
    """What the notable rules read of a document (a decade of whole documents is gigabytes)."""
    if document is None:
        return None
    kept = {key: document.get(key) for key in ("status", "as_of")}
    if entity == "health":
        kept["biometrics"] = {k: (document.get("biometrics") or {}).get(k)
                              for k in ("readiness_score", "sleep_score", "hrv_ms", "measurement_date")}
        kept["body_composition"] = {k: (document.get("body_composition") or {}).get(k)
                                    for k in ("bodyweight_kg", "measurement_date")}
        kept["workouts_last_7_days"] = document.get("workouts_last_7_days")
    elif entity == "finance":
        kept.update(currency=document.get("currency"), mtd_expense=document.get("mtd_expense"))
        forecast = document.get("forecast") or {}
        kept["forecast"] = {"budgets": [
            {k: b[k] for k in ("budget_id", "category_path", "status", "runs_out_on")} for b in forecast.get("budgets") or ()
        ], "planned_expenses": forecast.get("planned_expenses") or []}
    elif entity == "pantry":
        kept.update({k: document.get(k) for k in ("low_stock", "expiring_soon", "expiry_window_days")})
    return kept


def read_decade(days_count: int) -> tuple[list[date], dict[date, dict[str, dict]]]:
    """The demo's days and their (slim) documents, read a year at a time by the runs' readers."""
    from sqlalchemy import create_engine

    from twin_pipeline.database import Database
    from twin_pipeline.demo import load_demo_data
    from twin_pipeline.embedded import EmbeddedPostgres
    from twin_pipeline.migrations import migrate
    from twin_pipeline.settings import TwinSettings
    from twin_pipeline.sources import ENTITY_SOURCES, SOURCES, compose_entity
    from twin_pipeline.sources.reading import read_section

    home = Path(tempfile.mkdtemp(prefix="twin-bench-notable-"))
    server = EmbeddedPostgres(home / "server")
    server.start()
    try:
        kinds = {"finance": "finance", "training": "training", "pantry": "pantry", "biometrics": "biometrics"}
        server.ensure_databases([f"bench_{k}" for k in kinds])
        urls = {k: server.url(f"bench_{k}") for k in kinds}
        engines = {k: create_engine(url) for k, url in urls.items()}
        for kind, engine in engines.items():
            migrate(engine, kind)
        migrate(engines["pantry"], "pantry_history")
        end = date.today() - timedelta(days=1)
        began = time.perf_counter()
        load_demo_data(engines["finance"], engines["training"], engines["pantry"], biometrics=engines["biometrics"],
                       days=days_count, seed=SEED, end=end, replace=True)
        print(f"demo data, {days_count} days: {time.perf_counter() - began:.0f} s", flush=True)
        for engine in engines.values():
            engine.dispose()
        settings = TwinSettings.from_env({"TWIN_HOME": str(home), **{
            SOURCES[k].url_variable: url for k, url in urls.items()}})
        days = [end - timedelta(days=i) for i in range(days_count - 1, -1, -1)]
        documents: dict[date, dict[str, dict]] = {}
        began = time.perf_counter()
        for start in range(0, len(days), 366):
            block = days[start:start + 366]
            sections = {}
            for name, spec in SOURCES.items():
                database = Database(role=name, url=urls[name], twin_home=str(home))
                outcome = read_section(spec, database, block, settings)
                assert outcome.failure is None, outcome.failure
                sections[name] = outcome.read.documents
            for i, day in enumerate(block):
                documents[day] = {
                    entity: slim(entity, compose_entity(entity, {n: sections[n][i] for n in SOURCES}))
                    for entity in ENTITY_SOURCES
                }
        print(f"read by the runs' readers: {time.perf_counter() - began:.0f} s", flush=True)
        return days, documents
    finally:
        server.stop()


def weekly_counts(days: list[date], found: dict[date, list[dict]], pushed: set[date] | None = None) -> tuple[list[int], list[int]]:
    """Per whole week (Monday to Sunday): pushes (by default a push on every day with
    something new), and new items."""
    pushes: Counter = Counter()
    items: Counter = Counter()
    weeks = set()
    for day in days:
        week = day - timedelta(days=day.weekday())
        if week < days[0] or week + timedelta(days=6) > days[-1]:
            continue
        weeks.add(week)
        fresh = [item for item in found[day] if item["new"]]
        pushes[week] += (day in pushed) if pushed is not None else bool(fresh)
        items[week] += len(fresh)
    return [pushes[w] for w in sorted(weeks)], [items[w] for w in sorted(weeks)]


def replay_pushes(days: list[date], found: dict[date, list[dict]], at_once: tuple[str, ...]) -> tuple[set[date], list[int], int]:
    """The push's rules over the days, every push delivered: the days with a push, each
    needs-action condition's wait (days from its start to its push), and the needs-action
    conditions that ended unpushed (the briefing listed them)."""
    from twin_pipeline.core.notable import NEEDS_ACTION, push_candidates, push_due

    delivered: set[tuple[str, str]] = set()
    started: set[tuple[str, str]] = set()
    pushed, waits = set(), []
    for day in days:
        owed = [item for item in push_candidates(day, found[day], days[0])
                if (item["key"], item["started_on"]) not in delivered]
        started |= {(item["key"], item["started_on"]) for item in owed if item["kind"] == NEEDS_ACTION}
        if owed and push_due(day, owed, at_once):
            pushed.add(day)
            delivered |= {(item["key"], item["started_on"]) for item in owed}
            waits += [(day - date.fromisoformat(item["started_on"])).days for item in owed if item["kind"] == NEEDS_ACTION]
    return pushed, waits, len(started - delivered)


def repeats(days: list[date], found: dict[date, list[dict]]) -> int:
    """New items whose condition held the day before: an announcement repeated while it lasted."""
    count = 0
    for before, day in zip(days, days[1:]):
        held = {item["key"] for item in found[before]}
        count += sum(1 for item in found[day] if item["new"] and item["key"] in held)
    return count


def inject(kind: str, documents: dict, day: date) -> dict:
    """A copy of the documents of day-1.. with the shift from `day` on."""
    shifted = {d: copy.deepcopy(documents[d]) for d in documents if day - timedelta(days=1) <= d <= day + timedelta(days=FOLLOW_DAYS)}
    if kind == "readiness":
        for d in (day + timedelta(days=i) for i in range(3)):
            bio = (shifted[d].get("health") or {}).get("biometrics") or {}
            if bio.get("readiness_score") is not None:
                bio["readiness_score"] = max(0, bio["readiness_score"] - 25)
    elif kind == "spending":
        finance, before = shifted[day]["finance"], shifted[day - timedelta(days=1)]["finance"]
        spent = finance["mtd_expense"] - (before["mtd_expense"] if day.day != 1 else 0)
        d = day
        while d in shifted and d.month == day.month:
            shifted[d]["finance"]["mtd_expense"] += 2 * spent
            d += timedelta(days=1)
    elif kind == "weight":
        for d in shifted:
            body = (shifted[d].get("health") or {}).get("body_composition") or {}
            if d >= day and body.get("bodyweight_kg") is not None:
                body["bodyweight_kg"] += 2
    return shifted


KEYS = {"readiness": "health.readiness", "spending": "finance.spending", "weight": "health.weight"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=3650)
    args = parser.parse_args()

    from twin_pipeline.core.notable import BASELINE_DAYS, LOOKBACK_DAYS, NOTIFY_AT_ONCE, notable_days
    from twin_pipeline.sources import WATCHED_METRICS

    days, documents = read_decade(args.days)
    began = time.perf_counter()
    found = notable_days(days, days[0], WATCHED_METRICS, documents, [])
    print(f"items of {len(days)} days: {time.perf_counter() - began:.1f} s", flush=True)

    pushed, waits, unpushed = replay_pushes(days, found, NOTIFY_AT_ONCE)
    pushes, items = weekly_counts(days, found, pushed)
    none_at_once, _ = weekly_counts(days, found, replay_pushes(days, found, ())[0])
    every_new, _ = weekly_counts(days, found)
    norm_only = {day: [item for item in found[day] if item["kind"] == "out_of_norm"] for day in days}
    norm_pushes, _ = weekly_counts(days, norm_only)
    first_28 = sum(1 for day in days[:BASELINE_DAYS] for item in found[day] if item["new"])
    by_kind = Counter(item["key"].split(".")[0] + "." + item["key"].split(".")[1]
                      for day in days for item in found[day] if item["new"])
    print()
    print("| measure | goal | measured |")
    print("|---|---|---|")
    print(f"| notifications a week (TWIN_NOTIFY_AT_ONCE={','.join(NOTIFY_AT_ONCE)}), median | at most 1 | "
          f"{statistics.median(pushes):g} |")
    print(f"| notifications a week, 90th percentile | | {statistics.quantiles(pushes, n=10)[-1]:g} |")
    print(f"| notifications a week, most | at most 5 | {max(pushes)} |")
    print(f"| weeks above 5 | none | {sum(1 for p in pushes if p > 5)} of {len(pushes)} |")
    print(f"| needs-action items: days waited for their push, mean (90th percentile) | | {statistics.mean(waits):.1f} "
          f"({statistics.quantiles(waits, n=10)[-1]:g}); {unpushed} of {unpushed + len(waits)} ended before a push |")
    print(f"| with TWIN_NOTIFY_AT_ONCE=none: a week, median (most) | | "
          f"{statistics.median(none_at_once):g} ({max(none_at_once)}) |")
    print(f"| every new item pushed on its day: a week, median (most) | | {statistics.median(every_new):g} ({max(every_new)}) |")
    print(f"| new items a week, median (most) | | {statistics.median(items):g} ({max(items)}) |")
    print(f"| out-of-norm notifications a week, median (most) | | {statistics.median(norm_pushes):g} ({max(norm_pushes)}) |")
    print(f"| new items (pushes) in the first 28 days | none | {first_28} ({sum(1 for day in days[:BASELINE_DAYS] if day in pushed)}) |")
    print(f"| items announced again while their condition lasted | none | {repeats(days, found)} |")

    rng_days = [d for d in days[LOOKBACK_DAYS + 60:len(days) - FOLLOW_DAYS - 1]]
    step = max(1, len(rng_days) // INJECTIONS)
    for kind, key in KEYS.items():
        caught = flagged = tried = repeated = 0
        for day in rng_days[::step][:INJECTIONS]:
            if kind == "readiness" and (documents[day]["health"] or {}).get("biometrics", {}).get("measurement_date") != day.isoformat():
                continue  # no reading that day to shift
            before = documents[day - timedelta(days=1)]["finance"]
            if kind == "spending" and day.day != 1 and documents[day]["finance"]["mtd_expense"] == before["mtd_expense"]:
                continue  # nothing spent that day: three times nothing is nothing
            if kind == "weight" and (documents[day]["health"] or {}).get("body_composition", {}).get("measurement_date") != day.isoformat():
                continue
            shifted = {**documents, **inject(kind, documents, day)}
            follow = [day + timedelta(days=i) for i in range(FOLLOW_DAYS)]
            again = notable_days(follow, days[0], WATCHED_METRICS, shifted, found[day - timedelta(days=1)])
            tried += 1
            caught += any(item["key"] == key and item["new"] for item in again[day])
            flagged += any(item["key"] == key for item in again[day])
            repeated += repeats(follow, again)
        print(f"| {kind} shift announced (new) on its first day | at least 80 % | {caught} of {tried} "
              f"({100 * caught / max(tried, 1):.0f} %); out of norm that day, new or already: {flagged} "
              f"({100 * flagged / max(tried, 1):.0f} %); {repeated} announced again |")
    print()
    print("new items over the decade, by kind:", ", ".join(f"{k} {n}" for k, n in by_kind.most_common()))


if __name__ == "__main__":
    main()
