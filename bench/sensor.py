"""Sensor benchmarks on ten years of generated data.

    .venv/bin/python bench/sensor.py

(1) the cost of one evaluation of source_change_sensor: a quiet tick (change counters
    only), a full check (every table fingerprinted and compared), and a tick after a
    transaction was logged for today;
(2) the time from a committed row to the updated daily summary with `dagster dev`
    running and the sensor at its configured interval (TWIN_SENSOR_INTERVAL_SECONDS, default
    15 s), from Dagster's run records, split into where it goes: the wait for the sensor's
    tick (commit -> run created), the queue and launch (created -> started), the run itself.

    .venv/bin/python bench/sensor.py [HOME] [--latency-only]   (--latency-only: part 2 alone)
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from backfill import _case_env, _prepare, backfill_decade_in_process  # noqa: E402


def _write(url: str, sql: str, params: dict) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(sql), params)
    engine.dispose()


def _evaluate(cursor: str | None):
    from dagster import DagsterInstance, build_sensor_context

    from twin_pipeline.definitions import defs

    loaded = defs()
    source_change_sensor = loaded.resolve_sensor_def("source_change_sensor")
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor, resources=loaded.resources)
        began = time.perf_counter()
        result = source_change_sensor(context)
        return time.perf_counter() - began, result


def measure_evaluations(env: dict) -> dict:
    end = date.fromisoformat(env["BENCH_END"])
    print("  backfilling ten years so the twin has computed every day ...", flush=True)
    backfill_decade_in_process(env)
    _evaluate(None)  # warm up: imports, connections
    full = [_evaluate(None)[0] for _ in range(5)]
    _, result = _evaluate(None)
    quiet = [_evaluate(result.cursor)[0] for _ in range(9)]
    changed = []
    for i in range(5):
        _, before = _evaluate(None)
        _write(env["FINANCE_DATABASE_URL"],
               "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, merchant_source, "
               "category_id) SELECT :id, :d, 'Expense', 9.99, 'PLN', 'bench', min(category_id) FROM categories "
               "WHERE category_type = 'Expense'", {"id": f"BENCH-{time.time_ns()}-{i}", "d": end})
        time.sleep(1.5)  # the writer's statistics reach the counters when its session ends
        seconds, found = _evaluate(before.cursor)
        assert found.run_requests, "the sensor missed the new row"
        changed.append(seconds)
    return {"quiet": statistics.median(quiet), "full": statistics.median(full), "changed": statistics.median(changed)}


def sensor_interval(env: dict) -> int:
    from twin_pipeline.settings import TwinSettings

    return TwinSettings.from_env(env).sensor_interval_seconds


def run_phases(dagster_url: str, dagster_home: Path, commits: list[float]) -> list[dict]:
    """Where each commit's latency went, from the sensor runs Dagster recorded: the wait for
    the tick (commit -> run created), queue and launch (created -> started), the run."""
    from dagster import DagsterInstance, RunsFilter

    os.environ["DAGSTER_PG_URL"] = dagster_url
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        records = instance.get_run_records(RunsFilter(tags={"twin/trigger": "sensor"}), limit=100)
    phases = []
    for committed in commits:
        later = [r for r in records if r.create_timestamp.timestamp() >= committed and r.end_time]
        if not later:
            continue
        run = min(later, key=lambda r: r.create_timestamp)
        created = run.create_timestamp.timestamp()
        phases.append({"tick": created - committed, "launch": run.start_time - created,
                       "run": run.end_time - run.start_time})
    return phases


def measure_latency(env: dict, home: Path, trials: int) -> tuple[list[float], list[dict]]:
    from sqlalchemy import create_engine, text

    dagster_home = home / "dagster-latency"
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_env = {**env, "DAGSTER_HOME": str(dagster_home)}
    log = open(dagster_home / "dagster-dev.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=dagster_home, env=run_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    store = create_engine(env["FINANCE_DATABASE_URL"])
    end = date.fromisoformat(env["BENCH_END"])
    latencies, commits = [], []
    interval = sensor_interval(run_env)
    try:
        time.sleep(20)  # the daemon's first sensor tick settles the cursor
        spread = random.Random(4)
        for trial in range(trials):
            # Commit at a random moment of the sensor's minute: the wait for the next tick
            # is part of what a person sees, and back-to-back trials would sync with it.
            time.sleep(spread.uniform(0, interval))
            committed = time.perf_counter()
            commits.append(time.time())
            _write(env["FINANCE_DATABASE_URL"],
                   "INSERT INTO transactions (transaction_id, transaction_date, type, amount, currency, "
                   "merchant_source, category_id) SELECT :id, :d, 'Income', :a, 'EUR', 'bench', min(category_id) "
                   "FROM categories WHERE category_type = 'Income'",
                   {"id": f"LATENCY-{time.time_ns()}", "d": end, "a": 1000 + trial})
            with store.connect() as conn:
                since = conn.execute(text("SELECT now()")).scalar()
            while time.perf_counter() - committed < 240:
                with store.connect() as conn:
                    rendered = conn.execute(
                        text("SELECT rendered_at FROM twin_daily_summary WHERE as_of = :d"), {"d": end}
                    ).scalar()
                if rendered is not None and rendered > since:
                    break
                time.sleep(0.5)
            latencies.append(time.perf_counter() - committed)
            print(f"  row committed -> summary updated: {latencies[-1]:.1f} s", flush=True)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        store.dispose()
    return latencies, run_phases(env["DAGSTER_PG_URL"], dagster_home, commits)


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    latency_only = "--latency-only" in sys.argv
    home = (ROOT / ".twin" / "bench").resolve() if not arguments else Path(arguments[0]).resolve()
    home.mkdir(parents=True, exist_ok=True)
    print(f"preparing ten years of demo data under {home}", flush=True)
    prepared = _prepare(home)
    env = _case_env(home, prepared, stock=False)
    if latency_only:
        print("  backfilling ten years so the twin has computed every day ...", flush=True)
        backfill_decade_in_process(env)
    else:
        figures = measure_evaluations(env)
    latencies, phases = measure_latency(env, home, trials=5)
    print()
    print("case                                                time      target")
    if not latency_only:
        print(f"(1) sensor evaluation, quiet tick (counters only)   {figures['quiet'] * 1000:6.1f} ms  < 50 ms")
        print(f"(1) sensor evaluation, full check of every table    {figures['full'] * 1000:6.1f} ms  < 200 ms")
        print(f"(1) sensor evaluation, a transaction logged today   {figures['changed'] * 1000:6.1f} ms  < 200 ms")
    interval = sensor_interval(env)
    # From Dagster's run records: the first run created after the commit read the sources
    # after it, so its end is when the stored history had caught up. (Polling the summary
    # alone can be fooled by a run that started before the commit and ended after it.)
    totals = [p["tick"] + p["launch"] + p["run"] for p in phases]
    print(f"(2) committed row -> run done ({interval} s sensor)     {statistics.median(totals):6.1f} s   "
          f"median of {len(totals)} commits at random moments: {', '.join(f'{x:.0f}' for x in totals)} s")
    for name in ("tick", "launch", "run"):
        values = [p[name] for p in phases]
        print(f"    {name:<7} median {statistics.median(values):5.1f} s  ({', '.join(f'{x:.1f}' for x in values)})")
    print(f"    polled summary seen after: {', '.join(f'{x:.1f}' for x in latencies)} s")


if __name__ == "__main__":
    main()
