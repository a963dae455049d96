"""The month-end forecast with and without the bills planned in the expense calendar, over the
demo decade, side by side in one run.

    .venv/bin/python bench/planned.py              # ten years (about a minute on 2 idle cores)
    .venv/bin/python bench/planned.py --days 730   # a shorter replay

Ten years of demo data (seed 4, ending today) go into a bench server's finance database;
the finance source is read for every day in one read_section, as a run reads it: once with
the expense calendar, once with the table renamed away (the forecast as it is without a
calendar). Each day D before its month's last day is scored against that month's outcome,
the month-to-date net of its last day: error = outcome - forecast. It prints, per calendar
year and over the decade: the days scored, the mean absolute error of each (PLN), the mean
signed error (the bias: positive when the forecast was too low), and the same errors over the
days the calendar moved the forecast by 100 PLN or more (the months of the insurance and
the tax), with the share of those days the calendar brought closer.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from statistics import fmean

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT)]

SEED = 4
TEN_YEARS = 3650


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def errors(documents: list[dict]) -> dict[date, float]:
    """day -> outcome - forecast of its month-end net, for the days before their month's last
    day whose month ends within the documents."""
    by_day = {date.fromisoformat(d["as_of"]): d for d in documents}
    found = {}
    for day, document in by_day.items():
        outcome = by_day.get(_month_end(day))
        projected = (document.get("forecast") or {}).get("month_end_net_projected")
        if outcome is None or day == _month_end(day) or projected is None:
            continue
        found[day] = outcome["mtd_net"] - projected
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=TEN_YEARS, help="days of demo data replayed (default ten years)")
    parser.add_argument("--home", default=str(ROOT / ".twin" / "bench-planned"), help="where the bench server lives")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text

    from twin_pipeline.database import Database
    from twin_pipeline.defs.partitions import cyclic_gc_paused
    from twin_pipeline.demo import load_demo_data
    from twin_pipeline.embedded import EmbeddedPostgres
    from twin_pipeline.migrations import migrate
    from twin_pipeline.settings import TwinSettings
    from twin_pipeline.sources import SOURCES
    from twin_pipeline.sources.reading import read_section

    home = Path(args.home).resolve()
    server = EmbeddedPostgres(home)
    server.start()
    kinds = ("finance", "training", "pantry")
    server.ensure_databases([f"planned_{kind}" for kind in kinds])
    urls = {kind: server.url(f"planned_{kind}") for kind in kinds}
    engines = {kind: create_engine(url) for kind, url in urls.items()}
    for kind, engine in engines.items():
        migrate(engine, kind)
    settings = TwinSettings.from_env({"TWIN_HOME": str(home)})
    end = settings.today()
    began = time.perf_counter()
    counts = load_demo_data(*engines.values(), days=args.days, seed=SEED, end=end, replace=True)
    print(f"demo data, {args.days} days to {end}: {time.perf_counter() - began:.1f} s, "
          f"{counts.transactions} transactions, {counts.expense_calendar} planned bills", flush=True)

    spec = SOURCES["finance"]
    database = Database(role="finance", url=urls["finance"], twin_home=str(home))
    days = [end - timedelta(days=i) for i in range(args.days - 1, -1, -1)]

    def read() -> tuple[list[dict], float]:
        started = time.perf_counter()
        with cyclic_gc_paused():
            outcome = read_section(spec, database, days, settings)
        assert outcome.failure is None, outcome.failure
        return outcome.read.documents, time.perf_counter() - started

    with_calendar, seconds_with = read()
    with engines["finance"].begin() as conn:
        conn.execute(text("ALTER TABLE expense_calendar RENAME TO expense_calendar_away"))
    try:
        without_calendar, seconds_without = read()
    finally:
        with engines["finance"].begin() as conn:
            conn.execute(text("ALTER TABLE expense_calendar_away RENAME TO expense_calendar"))
    reason = without_calendar[-1]["forecast"]["planned_expenses_reason"]
    assert reason and reason.startswith("no expense_calendar table"), reason
    print(f"finance read of {len(days)} days: {seconds_with:.1f} s with the calendar, "
          f"{seconds_without:.1f} s without", flush=True)

    planned, plain = errors(with_calendar), errors(without_calendar)
    assert planned.keys() == plain.keys()
    years: dict[int, list[date]] = defaultdict(list)
    for day in sorted(planned):
        years[day.year].append(day)
    moved = {d for d in planned if abs(planned[d] - plain[d]) >= 100}
    print()
    print("| year | days scored | MAE without the calendar | MAE with it | bias without | bias with "
          "| days moved >= 100 PLN | their MAE without | their MAE with | of them closer |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for year, scored in [*sorted(years.items()), ("decade", sorted(planned))]:
        touched = [d for d in scored if d in moved]
        cells = [str(year), str(len(scored))]
        cells += [f"{fmean(abs(e[d]) for d in scored):,.0f}" for e in (plain, planned)]
        cells += [f"{fmean(e[d] for d in scored):+,.0f}" for e in (plain, planned)]
        cells.append(str(len(touched)))
        if touched:
            cells += [f"{fmean(abs(e[d]) for d in touched):,.0f}" for e in (plain, planned)]
            cells.append(f"{sum(abs(planned[d]) < abs(plain[d]) for d in touched) / len(touched):.0%}")
        else:
            cells += ["-", "-", "-"]
        print("| " + " | ".join(cells) + " |")
    for engine in engines.values():
        engine.dispose()


if __name__ == "__main__":
    main()
