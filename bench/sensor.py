"""Sensor benchmarks on ten years of generated data.

    .venv/bin/python bench/sensor.py

(1) the cost of one evaluation of source_change_sensor: a quiet tick (change counters
    only), a full check (every table fingerprinted and compared), and a tick after a
    transaction was logged for today;
(2) the time from a committed row to the updated daily summary with `dagster dev`
    running and the sensor at its default 60 s interval.
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


def measure_latency(env: dict, home: Path, trials: int) -> list[float]:
    from sqlalchemy import create_engine, text

    dagster_home = home / "dagster-latency"
    shutil.rmtree(dagster_home, ignore_errors=True)
    dagster_home.mkdir()
    shutil.copyfile(ROOT / "dagster.yaml", dagster_home / "dagster.yaml")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_env = {**env, "DAGSTER_HOME": str(dagster_home)}
    run_env.pop("TWIN_SENSOR_INTERVAL_SECONDS", None)
    log = open(dagster_home / "dagster-dev.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=dagster_home, env=run_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    store = create_engine(env["FINANCE_DATABASE_URL"])
    end = date.fromisoformat(env["BENCH_END"])
    latencies = []
    try:
        time.sleep(20)  # the daemon's first sensor tick settles the cursor
        spread = random.Random(4)
        for trial in range(trials):
            # Commit at a random moment of the sensor's minute: the wait for the next tick
            # is part of what a person sees, and back-to-back trials would sync with it.
            time.sleep(spread.uniform(0, 60))
            committed = time.perf_counter()
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
        process.wait(30)
        log.close()
        store.dispose()
    return latencies


def main() -> None:
    home = (ROOT / ".twin" / "bench").resolve() if len(sys.argv) < 2 else Path(sys.argv[1]).resolve()
    home.mkdir(parents=True, exist_ok=True)
    print(f"preparing ten years of demo data under {home}", flush=True)
    prepared = _prepare(home)
    env = _case_env(home, prepared, stock=False)
    figures = measure_evaluations(env)
    latencies = measure_latency(env, home, trials=5)
    print()
    print("case                                                time      target")
    print(f"(1) sensor evaluation, quiet tick (counters only)   {figures['quiet'] * 1000:6.1f} ms  < 200 ms")
    print(f"(1) sensor evaluation, full check of every table    {figures['full'] * 1000:6.1f} ms  < 200 ms")
    print(f"(1) sensor evaluation, a transaction logged today   {figures['changed'] * 1000:6.1f} ms  < 200 ms")
    print(f"(2) committed row -> updated summary (60 s sensor)  {statistics.median(latencies):6.1f} s   "
          f"median of {len(latencies)} commits at random moments: {', '.join(f'{x:.0f}' for x in latencies)} s")


if __name__ == "__main__":
    main()
