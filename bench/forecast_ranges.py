"""The forecasts' 80 % ranges replayed over the demo decade: how often they held.

    .venv/bin/python bench/forecast_ranges.py              # prepare, backfill ten years, print
    .venv/bin/python bench/forecast_ranges.py --reuse      # print again from the last backfill

A ten-year backfill of the demo data (one run, as bench/backfill.py's (e)), then per kind and
per calendar year of the outcome day: the forecasts scored, the share whose outcome fell
inside the range made with it (coverage; goal 75-85 % over the decade, no year below 65 %),
the mean width of the ranges, and the mean absolute error, in the kind's own unit. Then the
signed errors' spread per horizon (the horizon buckets' measure), the share of the backfill's
time the ranges took (recomputed alone over the stored decade: read, score, calibrate,
attach) and the forecast_review step's share (<= 10 %).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from backfill import SEED, TEN_YEARS, _case_env, _reset_twin_store, _spawn  # noqa: E402

COVERAGE = """
SELECT kind, CAST(extract(year FROM outcome_on) AS int) AS year, count(*) AS scored,
       count(in_range) AS ranged, 100.0 * count(*) FILTER (WHERE in_range) / nullif(count(in_range), 0) AS coverage,
       avg(range_high - range_low) AS width, avg(abs(error)) AS mae
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND outcome_on > made_on
GROUP BY GROUPING SETS ((kind, 2), (kind))
ORDER BY kind, year NULLS LAST
"""

SPREAD = """
SELECT kind, horizon, count(*) AS n,
       percentile_disc(0.1) WITHIN GROUP (ORDER BY e) AS p10,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY e) AS p90
FROM (SELECT kind,
             CASE kind WHEN 'month_end_net' THEN outcome_on - made_on WHEN 'weight_28d' THEN 28
                       ELSE CAST(predicted AS int) END AS horizon,
             coalesce(actual, predicted + 15) - predicted AS e
      FROM twin_forecast_review_current
      WHERE person_id = CAST(:p AS uuid) AND outcome_on > made_on
        AND (actual IS NOT NULL OR kind = 'pantry_threshold')) AS errors
GROUP BY kind, horizon
ORDER BY kind, horizon
"""


def _prepare(home: Path) -> dict:
    """The embedded server and ten years of demo sources (the twin store in the finance database)."""
    from sqlalchemy import create_engine

    from twin_pipeline.demo import load_demo_data
    from twin_pipeline.embedded import EmbeddedPostgres
    from twin_pipeline.migrations import migrate

    server = EmbeddedPostgres(home)
    kinds = ("finance", "training", "pantry", "biometrics")
    names = [f"y{TEN_YEARS}_{k}" for k in kinds]
    server.ensure_databases([*names, "dagster_twin", "dagster_stock"])
    urls = {name: server.url(name) for name in [*names, "dagster_twin", "dagster_stock"]}
    end = date.today()
    engines = [create_engine(urls[name]) for name in names]
    for engine, target in zip(engines, kinds, strict=True):
        migrate(engine, target)
    migrate(engines[2], "pantry_history")
    migrate(engines[0], "twin")
    load_demo_data(*engines[:3], biometrics=engines[3], days=TEN_YEARS, seed=SEED, end=end, replace=True)
    for engine in engines:
        engine.dispose()
    return {"urls": urls, "end": end.isoformat()}


def _ranges_alone(url: str, end: date) -> float:
    """The decade's ranges recomputed over the stored states (what twin_state adds to a
    ten-year run), in one transaction rolled back."""
    from sqlalchemy import create_engine

    from twin_pipeline import store
    from twin_pipeline.core.forecast_ranges import forecast_ranges

    engine = create_engine(url)
    days = [end - timedelta(days=i) for i in range(TEN_YEARS - 1, -1, -1)]
    with engine.connect() as conn:
        person = store.resolve_person(conn, None, create=False)
        began = time.perf_counter()
        ranges = forecast_ranges(lambda first, last: store.review_states(conn, person, first, last, days), days)
        store.attach_ranges(conn, ranges)
        seconds = time.perf_counter() - began
        conn.rollback()
    engine.dispose()
    return seconds


def _report(url: str, backfill: dict, ranges_seconds: float) -> None:
    from sqlalchemy import create_engine, text

    from twin_pipeline import store

    engine = create_engine(url)
    with engine.connect() as conn:
        person = store.resolve_person(conn, None, create=False)
        rows = conn.execute(text(COVERAGE), {"p": person}).mappings().all()
        spread = conn.execute(text(SPREAD), {"p": person}).mappings().all()
    engine.dispose()
    units = {"month_end_net": "PLN", "budget_run_out": "days", "weight_28d": "kg", "pantry_threshold": "days"}
    print("\n| kind | year | scored | with a range | coverage | mean width | MAE |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        coverage = "—" if r["coverage"] is None else f"{r['coverage']:.1f} %"
        width = "—" if r["width"] is None else f"{r['width']:,.2f} {units[r['kind']]}"
        print(f"| {r['kind']} | {r['year'] or '**decade**'} | {r['scored']} | {r['ranged']} | {coverage} | {width} "
              f"| {r['mae']:,.2f} {units[r['kind']]} |")
    print("\nThe signed errors (actual - predicted) per horizon (days ahead), for the buckets:")
    print("| kind | horizon | n | p10 | p90 |\n|---|---:|---:|---:|---:|")
    for r in spread:
        print(f"| {r['kind']} | {r['horizon']} | {r['n']} | {r['p10']} | {r['p90']} |")
    total, review = backfill["seconds"], backfill["steps"].get("forecast_review", 0.0)
    state = backfill["steps"].get("twin_state", 0.0)
    print(f"\nten-year backfill: {total:.1f} s (twin_state step {state:.1f} s)")
    print(f"the ranges (read, score, calibrate, attach; alone over the stored decade): {ranges_seconds:.1f} s, "
          f"{100 * ranges_seconds / total:.1f} % of the backfill")
    print(f"the forecast_review step: {review:.1f} s, {100 * review / total:.1f} % of the backfill "
          f"(target <= 10 %: {'met' if review <= 0.1 * total else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", default=str(ROOT / ".twin" / "bench-ranges"), help="where the bench server lives")
    parser.add_argument("--reuse", action="store_true", help="report on the last backfill under --home")
    args = parser.parse_args()
    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    saved = home / "forecast_ranges.json"
    if args.reuse:
        prepared, backfill = json.loads(saved.read_text())
    else:
        print(f"preparing ten years of demo data under {home}", flush=True)
        prepared = _prepare(home)
        _reset_twin_store(prepared["urls"][f"y{TEN_YEARS}_finance"])
        env = _case_env(home, prepared, False)
        print("backfilling ten years", flush=True)
        backfill = _spawn("twin-decade", env, home)
        saved.write_text(json.dumps([prepared, backfill]))
    os.environ.update(_case_env(home, prepared, False))
    url = prepared["urls"][f"y{TEN_YEARS}_finance"]
    _report(url, backfill, _ranges_alone(url, date.fromisoformat(prepared["end"])))


if __name__ == "__main__":
    main()
