"""Backfill benchmarks on ten years of generated data, side by side in one invocation.

    .venv/bin/python bench/backfill.py            # everything (about 12 minutes on 2 cores, idle)
    .venv/bin/python bench/backfill.py --quick    # skip the ten-year backfills (e)
    .venv/bin/python bench/backfill.py --only ab,reads --baseline /path/to/other/checkout
                                                  # some groups; (a) of another checkout beside it

(a) one-year backfill of the real twin, one run          (b) the same graph, empty bodies
(c) per-partition runs, one run per day, over 14 days   (d) one day's state: 1 vs 10 years
    (each run in its own process, as launched runs are; (c') the same in one warm process)
(e) the full ten-year backfill, and with empty bodies    (f) stock Dagster doing nothing
(g) per-day metadata against none                       (h) the sources' reads alone, ten years
    (the physical floor of the twin's own work: read_section for 3,650 days, no Dagster, no writes)
(i) scoring the forecasts of (e): the forecast_review step's share of the run (<= 10 %)

Each case runs in a fresh process (its wall time excludes imports; peak memory is the
process's maximum RSS when its last run ended, before the bench reads the run's step times
back). The twin cases use this repo's dagster.yaml (pooled connections,
batched events) and the in-process executor; the stock cases use a default
dagster-postgres instance and the default multiprocess executor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

TEN_YEARS = 3650
SEED = 4


# ---------------------------------------------------------------------------------------
# Inside a case process


# The process's peak RSS (MiB) as each run ended, before anything read the run back: a
# case's peak memory is its runs', not that of the step times this bench queries afterwards
# (Dagster's get_run_step_stats fetches the run's step events: over 150 MiB for a decade).
_RUN_PEAKS: list[float] = []


def _execute(job_fn_name: str, start: date, end: date, steps: dict | None = None) -> float:
    """The run's wall time; `steps`, when given, gets each step's own seconds."""
    from dagster import DagsterInstance, execute_job, reconstructable

    import graphs

    job = reconstructable(getattr(graphs, job_fn_name))
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
    }
    with DagsterInstance.get() as instance:
        began = time.perf_counter()
        with execute_job(job, instance=instance, tags=tags) as result:
            assert result.success, f"{job_fn_name} {start}..{end} failed"
            run_id = result.run_id
        seconds = time.perf_counter() - began
        _RUN_PEAKS.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        if steps is not None:
            steps.update({s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(run_id)})
        return seconds


def _one_day_compute(days: int) -> dict:
    """Read + compute one day's three sections directly (no Dagster), median of 15."""
    from sqlalchemy import create_engine

    from twin_pipeline.settings import current_settings
    from twin_pipeline.sources import SOURCES

    prefix = f"y{days}"
    urls = json.loads(os.environ["BENCH_URLS"])
    day = date.fromisoformat(os.environ["BENCH_END"]) - timedelta(days=1)
    settings = current_settings()
    readers = [(create_engine(urls[f"{prefix}_{name}"]), spec) for name, spec in SOURCES.items()]
    timings = []
    for _ in range(15):
        began = time.perf_counter()
        for engine, spec in readers:
            with engine.connect() as conn:
                spec.read(spec, conn, [day], settings)
        timings.append(time.perf_counter() - began)
    return {"seconds": statistics.median(timings[3:])}


def _reads_decade() -> dict:
    """(h): each source asset's read of ten years as the asset does it (read_section: the
    contract check, the rows, the fingerprints, the quality counts), without Dagster and
    without writing anything."""
    from twin_pipeline.database import Database
    from twin_pipeline.defs.partitions import cyclic_gc_paused
    from twin_pipeline.settings import current_settings
    from twin_pipeline.sources import SOURCES
    from twin_pipeline.sources.reading import read_section

    urls = json.loads(os.environ["BENCH_URLS"])
    end = date.fromisoformat(os.environ["BENCH_END"])
    days = [end - timedelta(days=i) for i in range(TEN_YEARS - 1, -1, -1)]
    settings = current_settings()
    per_source = {}
    for name, spec in SOURCES.items():
        database = Database(role=name, url=urls[f"y{TEN_YEARS}_{name}"], twin_home=os.environ["TWIN_HOME"])
        began = time.perf_counter()
        with cyclic_gc_paused():
            outcome = read_section(spec, database, days, settings)
        per_source[name] = time.perf_counter() - began
        assert outcome.failure is None, outcome.failure
    return {"seconds": sum(per_source.values()), "days": TEN_YEARS, "per_source": per_source}


def _without_day_metadata() -> None:
    """(g)'s baseline: the same twin with its per-day metadata calls made no-ops."""
    from twin_pipeline.defs import daily_summary, forecast_review, sources, twin_state

    for module in (daily_summary, forecast_review, sources, twin_state):
        module.add_day_metadata = lambda context, per_day: None


def run_case(case: str) -> dict:
    if case.endswith("-nometa"):
        _without_day_metadata()
        case = case.removesuffix("-nometa")
    end = date.fromisoformat(os.environ["BENCH_END"])
    year = (end - timedelta(days=365), end)
    if case == "twin-year":
        return {"seconds": _execute("twin_job", *year), "days": 366}
    if case == "empty-year":
        return {"seconds": _execute("empty_job_in_process", *year), "days": 366}
    if case == "twin-days-warm":
        days = [end - timedelta(days=i) for i in range(14, 0, -1)]
        seconds = [_execute("twin_job", d, d) for d in days]
        return {"seconds": sum(seconds), "days": len(days), "per_run": seconds}
    if case.startswith("twin-run-"):
        day = date.fromisoformat(case.removeprefix("twin-run-"))
        return {"seconds": _execute("twin_job", day, day), "days": 1}
    if case == "twin-decade":
        steps: dict[str, float] = {}
        seconds = _execute("twin_job", end - timedelta(days=TEN_YEARS - 1), end, steps)
        return {"seconds": seconds, "days": TEN_YEARS, "steps": steps}
    if case == "empty-decade":
        steps = {}
        seconds = _execute("empty_job_in_process", end - timedelta(days=TEN_YEARS - 1), end, steps)
        return {"seconds": seconds, "days": TEN_YEARS, "steps": steps}
    if case == "reads-decade":
        return _reads_decade()
    if case == "stock-year":
        return {"seconds": _execute("empty_job_stock", *year), "days": 366}
    if case == "stock-day":
        return {"seconds": _execute("empty_job_stock", end - timedelta(days=1), end - timedelta(days=1)), "days": 1}
    if case == "twin-day":
        return {"seconds": _execute("twin_job", end - timedelta(days=1), end - timedelta(days=1)), "days": 1}
    if case in ("compute-1y", "compute-10y"):
        return _one_day_compute(365 if case == "compute-1y" else TEN_YEARS)
    raise SystemExit(f"unknown case {case}")


# ---------------------------------------------------------------------------------------
# The orchestrator


def _prepare(home: Path) -> dict:
    """Embedded server, a 10-year and a 1-year set of sources, two Dagster storages."""
    from sqlalchemy import create_engine

    from twin_pipeline.demo import load_demo_data
    from twin_pipeline.embedded import EmbeddedPostgres
    from twin_pipeline.migrations import migrate

    server = EmbeddedPostgres(home)
    kinds = ("finance", "training", "pantry", "biometrics")
    names = [f"{p}_{k}" for p in ("y3650", "y365") for k in kinds]
    server.ensure_databases([*names, "dagster_twin", "dagster_stock"])
    urls = {name: server.url(name) for name in [*names, "dagster_twin", "dagster_stock"]}
    end = date.today()
    for days in (TEN_YEARS, 365):
        engines = [create_engine(urls[f"y{days}_{k}"]) for k in kinds]
        for engine, target in zip(engines, kinds, strict=True):
            migrate(engine, target)
        migrate(engines[2], "pantry_history")
        migrate(engines[0], "twin")
        began = time.perf_counter()
        counts = load_demo_data(*engines[:3], biometrics=engines[3], days=days, seed=SEED, end=end, replace=True)
        print(f"  demo data, {days} days: {time.perf_counter() - began:.1f} s  {counts}", flush=True)
        for engine in engines:
            engine.dispose()
    return {"urls": urls, "end": end.isoformat()}


def backfill_decade_in_process(env: dict) -> None:
    """Materialize the ten years in this process (the sensor and API benchmarks' twin store)."""
    os.environ.update(env)
    from dagster import DagsterInstance

    from twin_pipeline.definitions import defs

    end = date.fromisoformat(env["BENCH_END"])
    with DagsterInstance.ephemeral() as instance:
        defs().resolve_job_def("twin_daily_job").execute_in_process(
            instance=instance,
            tags={
                "dagster/asset_partition_range_start": (end - timedelta(days=TEN_YEARS - 1)).isoformat(),
                "dagster/asset_partition_range_end": end.isoformat(),
            },
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )


def _reset_twin_store(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE digital_twin_updates, twin_section_day, twin_source_section_day, twin_daily_summary, twin_forecast_review"))
    engine.dispose()


def _case_env(home: Path, prepared: dict, stock: bool) -> dict:
    urls = prepared["urls"]
    dagster_home = home / ("dagster-stock" if stock else "dagster-twin")
    dagster_home.mkdir(exist_ok=True)
    if stock:
        (dagster_home / "dagster.yaml").write_text(
            f"storage:\n  postgres:\n    postgres_url: \"{urls['dagster_stock']}\"\ntelemetry:\n  enabled: false\n"
        )
    else:
        shutil.copyfile(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "TWIN_"))}
    env.update(
        DAGSTER_HOME=str(dagster_home),
        DAGSTER_PG_URL=urls["dagster_twin"],
        FINANCE_DATABASE_URL=urls["y3650_finance"],
        TRAINING_DATABASE_URL=urls["y3650_training"],
        PANTRY_DATABASE_URL=urls["y3650_pantry"],
        HEALTH_DATABASE_URL=urls["y3650_biometrics"],
        TWIN_HOME=str(home),
        TWIN_START_DATE=(date.fromisoformat(prepared["end"]) - timedelta(days=TEN_YEARS + 30)).isoformat(),
        BENCH_URLS=json.dumps(urls),
        BENCH_END=prepared["end"],
    )
    return env


def _spawn(case: str, env: dict, home: Path, checkout: Path = ROOT) -> dict:
    """Run one case in a fresh process, with the code of `checkout` (this one, or --baseline)."""
    # Output goes to files: a pipe nobody reads while we wait would fill up and stall the case.
    out_path, err_path = home / f"{case}.out", home / f"{case}.err"
    if checkout != ROOT:
        env = {**env, "PYTHONPATH": str(checkout)}
    with open(out_path, "w") as out, open(err_path, "w") as err:
        script = checkout / "bench" / "backfill.py"
        process = subprocess.Popen([sys.executable, str(script), "--case", case], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"case {case} failed:\n{err_path.read_text()[-3000:]}")
    result = json.loads(out_path.read_text().strip().splitlines()[-1])
    # A case that ran Dagster runs reports its runs' peak; the others, the whole process's.
    result["peak_mib"] = result.pop("run_peak_mib", usage.ru_maxrss / 1024)
    return result


GROUPS = {
    "ab": "(a) and (b): one year, the twin against empty bodies (medians of 3)",
    "meta": "(g): one year, per-day metadata against none (medians of 3)",
    "days": "(c) and (c'): one run per day over 14 days",
    "oneday": "(d) one day's state with 1 and 10 years of history, and the twin's one-day run",
    "stock": "(f) stock Dagster's empty graph, one day and one year",
    "decade": "(e) ten years: the twin, empty bodies, and the twin without per-day metadata",
    "reads": "(h) the sources' reads alone, ten years",
}


def _medians(runs: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "days": runs[0]["days"],
        "peak_mib": max(r["peak_mib"] for r in runs),
    }


def _verdict(value: float, limit: float, at_most: bool = True) -> str:
    met = value <= limit if at_most else value >= limit
    return f"target {'<=' if at_most else '>='} {limit:g}: {'met' if met else 'NOT met'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="skip (e), the ten-year backfills")
    parser.add_argument("--only", help=f"comma-separated groups to run, of: {', '.join(GROUPS)} (default: all)")
    parser.add_argument(
        "--baseline", type=Path,
        help="another checkout of the twin (e.g. main's): its (a) runs alternated with this one's, side by side",
    )
    parser.add_argument("--home", default=str(ROOT / ".twin" / "bench"), help="where the bench server lives")
    args = parser.parse_args()
    if args.case:
        result = run_case(args.case)
        if _RUN_PEAKS:
            result["run_peak_mib"] = max(_RUN_PEAKS)
        print(json.dumps(result))
        return
    groups = set(GROUPS) if args.only is None else {g.strip() for g in args.only.split(",")}
    if unknown := groups - set(GROUPS):
        raise SystemExit(f"unknown group(s) {', '.join(sorted(unknown))}: choose among {', '.join(GROUPS)}")
    if args.quick:
        groups.discard("decade")
    baseline = args.baseline.resolve() if args.baseline else None
    if baseline and not (baseline / "bench" / "backfill.py").is_file():
        raise SystemExit(f"--baseline {baseline}: no bench/backfill.py there (expected a checkout of the twin)")

    home = Path(args.home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    print(f"preparing ten years of demo data under {home}", flush=True)
    prepared = _prepare(home)
    twin_env, stock_env = _case_env(home, prepared, False), _case_env(home, prepared, True)
    store = prepared["urls"]["y3650_finance"]
    def run(case: str, env: dict = twin_env, checkout: Path = ROOT, note: str = "") -> dict:
        if case.startswith("twin"):
            _reset_twin_store(store)
        print(f"  running {case}{note} ...", flush=True)
        return _spawn(case, env, home, checkout)

    results: dict = {}
    # Ratios are taken between cases alternated within one invocation: on a shared machine the
    # load drifts, and alternating spreads it over both sides.
    if "ab" in groups:
        sides = [("empty-year", ROOT), ("twin-year", ROOT)] + ([("twin-year", baseline)] if baseline else [])
        for repeat in range(3):
            for case, checkout in sides:
                key = case if checkout == ROOT else "baseline-year"
                results.setdefault(key, []).append(run(case, checkout=checkout, note=f" {key} ({repeat + 1}/3)"))
        for key in [k for k in ("empty-year", "twin-year", "baseline-year") if k in results]:
            results[key] = _medians(results[key])
    if "meta" in groups:
        for repeat in range(3):
            for case in ("twin-year-nometa", "twin-year"):
                results.setdefault(f"g-{case}", []).append(run(case, note=f" for (g) ({repeat + 1}/3)")["seconds"])
    plan = []
    if "days" in groups:
        plan += ["twin-days-warm"]
    if "oneday" in groups:
        plan += ["twin-day", "compute-1y", "compute-10y"]
    if "reads" in groups:
        plan += ["reads-decade"]
    if "decade" in groups:
        plan += ["empty-decade", "twin-decade-nometa", "twin-decade"]
    for case in plan:
        results[case] = run(case)
    if "stock" in groups:
        for case in ("stock-day", "stock-year"):
            results[case] = run(case, stock_env)
    if "days" in groups:
        # (c) as the daemon or the UI runs them: every day its own run in its own process, timed
        # from process start to exit (a launched run pays its start-up and code loading too).
        _reset_twin_store(store)
        print("  running 14 single-day runs, one process each ...", flush=True)
        end = date.fromisoformat(prepared["end"])
        launched = []
        for offset in range(14, 0, -1):
            began = time.perf_counter()
            _spawn(f"twin-run-{(end - timedelta(days=offset)).isoformat()}", twin_env, home)
            launched.append(time.perf_counter() - began)
        results["twin-days"] = {"seconds": sum(launched), "days": len(launched)}
    _report(results)


def _report(results: dict) -> None:
    rows = []
    a, b = results.get("twin-year"), results.get("empty-year")
    if a and b:
        rows += [
            ("(a) one-year backfill, twin, one run (median of 3)", f"{a['seconds']:.2f} s", f"{a['peak_mib']:.0f} MiB", ""),
            ("(b) one year, empty bodies, same instance (median of 3)", f"{b['seconds']:.2f} s",
             f"{b['peak_mib']:.0f} MiB",
             f"(a)/(b) = {a['seconds'] / b['seconds']:.2f}  {_verdict(a['seconds'] / b['seconds'], 1.2)}; "
             f"(a) - (b) = {a['seconds'] - b['seconds']:.2f} s"),
        ]
    if a and "baseline-year" in results:
        old = results["baseline-year"]
        rows.append(("(a) with the --baseline checkout's code (median of 3)", f"{old['seconds']:.2f} s",
                     f"{old['peak_mib']:.0f} MiB",
                     f"this/baseline = {a['seconds'] / old['seconds']:.2f}"
                     + (f"; baseline/(b) = {old['seconds'] / b['seconds']:.2f}" if b else "")))
    if "twin-days" in results and a:
        c, warm = results["twin-days"], results["twin-days-warm"]
        per_day_a = a["seconds"] / a["days"]
        per_day_c, per_day_warm = c["seconds"] / c["days"], warm["seconds"] / warm["days"]
        rows += [
            ("(c) one run per day, 14 days, a process each", f"{per_day_c:.3f} s/day", "",
             f"vs (a) {per_day_a * 1000:.1f} ms/day: {per_day_c / per_day_a:.0f}x  target >= 50x"),
            ("(c') the same 14 runs in one warm process", f"{per_day_warm:.3f} s/day", f"{warm['peak_mib']:.0f} MiB",
             f"vs (a): {per_day_warm / per_day_a:.0f}x (lower bound: no start-up, code already loaded)"),
        ]
    if "compute-1y" in results:
        d1, d10 = results["compute-1y"]["seconds"], results["compute-10y"]["seconds"]
        rows += [
            ("(d) one day's state, 1 year of history", f"{d1 * 1000:.1f} ms", "", "target < 100 ms"),
            ("(d) one day's state, 10 years of history", f"{d10 * 1000:.1f} ms", "",
             f"10y/1y = {d10 / d1:.2f}  {_verdict(d10 / d1, 1.1)}"),
        ]
    if "reads-decade" in results:
        h = results["reads-decade"]
        parts = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in h["per_source"].items())
        rows.append(("(h) the sources' reads alone, ten years (the floor)", f"{h['seconds']:.2f} s",
                     f"{h['peak_mib']:.0f} MiB", parts))
    if "twin-decade" in results:
        e, e_empty, e_none = results["twin-decade"], results["empty-decade"], results["twin-decade-nometa"]
        floor = results.get("reads-decade")
        rows += [
            ("(e) ten-year backfill, one run", f"{e['seconds']:.2f} s", f"{e['peak_mib']:.0f} MiB",
             _verdict(e["peak_mib"], 450) + " (MiB)"),
            ("(e') ten years, empty bodies, same instance", f"{e_empty['seconds']:.2f} s",
             f"{e_empty['peak_mib']:.0f} MiB",
             f"(e)/(e') = {e['seconds'] / e_empty['seconds']:.2f}  {_verdict(e['seconds'] / e_empty['seconds'], 1.25)}; "
             f"(e) - (e') = {e['seconds'] - e_empty['seconds']:.2f} s"
             + (f", {(e['seconds'] - e_empty['seconds']) / floor['seconds']:.1f}x the floor (h)" if floor else "")),
            ("(i) of which scoring the forecasts (the forecast_review step)",
             f"{e['steps'].get('forecast_review', 0.0):.2f} s", "",
             f"{100 * e['steps'].get('forecast_review', 0.0) / e['seconds']:.1f} % of (e)  "
             f"{_verdict(100 * e['steps'].get('forecast_review', 0.0) / e['seconds'], 10)} (%)"),
            ("(i') the scoring's own work: that step less the empty graph's forecast_review step",
             f"{e['steps'].get('forecast_review', 0.0) - e_empty['steps'].get('forecast_review', 0.0):.2f} s", "",
             f"{100 * (e['steps'].get('forecast_review', 0.0) - e_empty['steps'].get('forecast_review', 0.0)) / e['seconds']:.1f} % of (e)"
             f"  {_verdict(100 * (e['steps'].get('forecast_review', 0.0) - e_empty['steps'].get('forecast_review', 0.0)) / e['seconds'], 10)} (%)"
             " (the empty step is Dagster's bookkeeping of the asset's 3,650 partitions)"),
            ("(e) - (e') step by step: twin step (empty step)", "", "",
             ", ".join(f"{name} {seconds:.1f} ({e_empty.get('steps', {}).get(name, 0.0):.1f})"
                       for name, seconds in sorted(e["steps"].items(), key=lambda item: -item[1]))),
            ("(g) ten years with per-day metadata vs without", f"{e['seconds']:.2f} s", "",
             f"without {e_none['seconds']:.2f} s: {e['seconds'] / e_none['seconds']:.2f}  target <= 1.15"),
        ]
    if "g-twin-year" in results:
        g_meta, g_none = statistics.median(results["g-twin-year"]), statistics.median(results["g-twin-year-nometa"])
        rows.append(("(g) one year with per-day metadata vs without (medians of 3)", f"{g_meta:.2f} s", "",
                     f"without {g_none:.2f} s: {g_meta / g_none:.2f}  {_verdict(g_meta / g_none, 1.1)}"))
    if "stock-year" in results:
        stock_year, stock_day = results["stock-year"], results["stock-day"]
        rows.append(("(f) stock Dagster, empty graph, one year", f"{stock_year['seconds']:.2f} s",
                     f"{stock_year['peak_mib']:.0f} MiB",
                     f"stock/(a) = {stock_year['seconds'] / a['seconds']:.1f}x  "
                     f"{_verdict(stock_year['seconds'] / a['seconds'], 10, at_most=False)}" if a else ""))
        twin_day = results.get("twin-day")
        rows.append(("(f) stock Dagster, empty graph, one day", f"{stock_day['seconds']:.2f} s", "",
                     f"vs twin one day {twin_day['seconds']:.2f} s: {stock_day['seconds'] / twin_day['seconds']:.1f}x"
                     "  target >= 3x" if twin_day else ""))
    if not rows:
        print("nothing to compare: (c) and (f) are compared with (a), so add the ab group")
        return
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'case':<{width}}  {'time':>12}  {'peak':>9}  comparison")
    for name, seconds, peak, note in rows:
        print(f"{name:<{width}}  {seconds:>12}  {peak:>9}  {note}")


if __name__ == "__main__":
    main()
