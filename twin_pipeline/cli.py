"""`twin`: the command line door (up, snapshot, db, demo-data)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine

from twin_pipeline.migrations import MigrationError
from twin_pipeline.settings import DAGSTER_YAML, WORKSPACE_YAML, ConfigurationError, TwinSettings, mask_url
from twin_pipeline.store import StoreError


def _say(message: str) -> None:
    print(message, flush=True)


def _today(settings: TwinSettings) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def prepare_dagster_home(settings: TwinSettings) -> Path:
    """DAGSTER_HOME if set; else <TWIN_HOME>/dagster holding a copy of the package's dagster.yaml."""
    if settings.dagster_home is not None:
        home = settings.dagster_home
    else:
        home = settings.twin_home / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ["TWIN_HOME"] = str(settings.twin_home)
    return home


def run_days(settings: TwinSettings, start: date, end: date, trigger: str, progress: bool = False) -> bool:
    """Materialize sources -> twin_state -> daily_summary for start..end in one run."""
    from dagster import DagsterEventType
    from dagster._core.utils import make_new_run_id

    prepare_dagster_home(settings)
    first, today = settings.start_date, _today(settings)
    if start > end:
        raise ConfigurationError(f"--start {start} is after --end {end}")
    if start < first:
        raise ConfigurationError(
            f"{start} is before the first partition ({first}); set TWIN_START_DATE earlier"
        )
    if end > today:
        raise ConfigurationError(
            f"{end} is in the future: the last day is today, {today} in {settings.timezone}"
        )
    require_current_store(settings)
    job = _definitions().resolve_job_def("twin_daily_job")
    steps = len(job.asset_layer.executable_asset_keys)
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
        "twin/trigger": trigger,
    }
    days = (end - start).days + 1
    run_id = make_new_run_id()
    began = {}

    def report(event) -> None:
        dagster_event = event.get_dagster_event() if event.is_dagster_event else None
        if dagster_event is None or dagster_event.step_key is None:
            return
        step = dagster_event.step_key
        if dagster_event.event_type == DagsterEventType.STEP_START:
            began[step] = event.timestamp
        elif dagster_event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            outcome = "done" if dagster_event.event_type == DagsterEventType.STEP_SUCCESS else "FAILED"
            _say(
                f"  [{len(began)}/{steps}] {step:<14} {days} day(s) "
                f"{outcome} in {event.timestamp - began.get(step, event.timestamp):.2f} s"
            )

    return _execute(job, tags, run_id, report if progress else None)


def require_current_store(settings: TwinSettings) -> None:
    """Stop before any work, with one line, when the twin store lacks a table or a
    migration (read-only, so the pipeline's own login can ask). A store that cannot be
    reached is left to the run, which names it (and `twin snapshot` still shows the day)."""
    from sqlalchemy.exc import SQLAlchemyError

    from twin_pipeline.database import Database
    from twin_pipeline.store import check_store

    store = Database.for_role(settings, "twin")
    try:
        with store.engine().connect() as conn:
            check_store(conn, store.location)
    except SQLAlchemyError:
        return


def run_entities(settings: TwinSettings) -> bool:
    """Materialize goals, home and person in-process (recorded in Dagster's storage)."""
    prepare_dagster_home(settings)
    return _execute(_definitions().resolve_job_def("twin_entities_job"), {"twin/trigger": "twin-up"})


_loaded: list = []


def _definitions():
    """The project's Definitions, loaded once per process (after DAGSTER_HOME is set)."""
    if not _loaded:
        from twin_pipeline.definitions import defs

        _loaded.append(defs())
    return _loaded[0]


def _execute(job, tags: dict, run_id: str | None = None, listener=None) -> bool:
    """Run a job in this process on the configured instance; say which steps failed and why."""
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        if listener is not None:
            instance.add_event_listener(run_id, listener)
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            run_id=run_id,
            # Dagster's step-by-step DEBUG log stays in the run's log in the UI, not on stdout.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    for event in result.all_events:
        if event.is_step_failure:
            _say(f"step {event.step_key} failed: {event.step_failure_data.error.message.strip()}")
    return result.success


def print_summary(settings: TwinSettings, day: date) -> bool:
    from twin_pipeline.embedded import resolve_urls
    from twin_pipeline.store import latest_summary, resolve_person

    engine = create_engine(resolve_urls(settings).twin)
    try:
        with engine.begin() as conn:
            found = latest_summary(conn, resolve_person(conn, settings.person_id), day)
    finally:
        engine.dispose()
    if found is None:
        _say(f"no summary stored for {day}")
        return False
    _say(found[1])
    return True


def cmd_snapshot(settings: TwinSettings, args: argparse.Namespace) -> int:
    day = args.date or _today(settings)
    if run_days(settings, day, day, "cli-snapshot"):
        return 0 if print_summary(settings, day) else 1
    # The run failed (the twin store, most likely): still show the day, say it was not kept.
    from twin_pipeline.core.summary import render_summary
    from twin_pipeline.sources.live import sections_of_day

    sections = sections_of_day(settings, day)
    _say(render_summary(day.isoformat(), sections, weekly_workout_target=settings.weekly_workout_target,
                        forecasts=True))
    _say("NOT STORED: the run failed (above); nothing was written, run `twin snapshot` again to store it")
    return 1


def cmd_backfill(settings: TwinSettings, args: argparse.Namespace) -> int:
    end = args.end or _today(settings)
    _say(f"backfill {args.start} .. {end} ({(end - args.start).days + 1} days) in one run")
    began = time.perf_counter()
    if not run_days(settings, args.start, end, "cli-backfill", progress=True):
        return 1
    _say(f"done in {time.perf_counter() - began:.1f} s; the UI shows the run as twin_daily_job")
    return 0


def cmd_pantry_history(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.embedded import resolve_urls
    from twin_pipeline.migrations import available, migrate, pending

    url = resolve_urls(settings).source("pantry")
    engine = create_engine(url)
    try:
        waiting = pending(engine, "pantry_history")
        if args.action == "status":
            state = "not installed" if waiting else "installed"
            _say(f"pantry history capture in {mask_url(url)}: {state}")
            return 0
        if not waiting:
            _say(f"pantry history capture is already installed in {mask_url(url)}")
            return 0
        header = [
            line[3:] for line in available("pantry_history")[0].sql.splitlines() if line.startswith("-- ")
        ]
        _say(f"This adds to the pantry database {mask_url(url)}:")
        for line in header:
            _say(f"  {line}")
        if not args.yes:
            _say("Nothing was changed. Run again with --yes to install it.")
            return 1
        migrate(engine, "pantry_history")
        _say("installed: from now on every change to pantry_inventory is kept, and past days become exact")
        return 0
    finally:
        engine.dispose()


def cmd_api(settings: TwinSettings, args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from twin_pipeline.api import LOOPBACK, create_app
    from twin_pipeline.api.behind import HistoryWatch
    from twin_pipeline.api.freshness import LiveToday
    from twin_pipeline.embedded import resolve_urls
    from twin_pipeline.reader import TwinReader

    host, port = args.host or settings.api_host, args.port or settings.api_port
    if host not in LOOPBACK and settings.api_key is None and not args.allow_remote_without_token:
        _say(
            f"refusing to serve {host}:{port} without a token: set DIGITAL_TWIN_API_KEY (clients then send "
            "it in X-API-KEY or as `Authorization: Bearer <key>`), serve on 127.0.0.1, "
            "or pass --allow-remote-without-token"
        )
        return 2
    # uvicorn configures only its own loggers; the security warnings of warn mode need a handler.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    urls = resolve_urls(settings)
    require_current_store(settings)
    from twin_pipeline.sources import SOURCES

    probes = {
        f"{role}_database": create_engine(urls.source(role), connect_args={"connect_timeout": 2})
        for role in SOURCES if role in urls.sources
    }
    # Today fresh from the sources (read-only sessions); the history's lag from the store and
    # the daemon's heartbeat in Dagster's storage (read only).
    dagster = create_engine(urls.dagster, pool_size=1, connect_args={
        "connect_timeout": 2, "options": "-c default_transaction_read_only=on"})
    app = create_app(
        TwinReader(urls.twin, person_id=settings.person_id), token=settings.api_key, auth_mode=settings.api_auth,
        probes=probes, weekly_workout_target=settings.weekly_workout_target,
        live=LiveToday(settings), history=HistoryWatch(settings.timezone, dagster),
    )
    if settings.api_key is None:
        auth = "no key (loopback only)"
    elif settings.api_auth == "warn":
        auth = "key checked, requests without it let through and logged (TWIN_API_AUTH=warn)"
    else:
        auth = "key required in X-API-KEY or as a bearer token"
    _say(f"twin API on http://{host}:{port} ({auth}); docs at /docs")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0


def cmd_note(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.notes import write_daily_note
    from twin_pipeline.reader import NoState, TwinReader

    vault = args.vault or settings.notes_dir
    if vault is None:
        _say("no vault: pass --vault DIR or set TWIN_NOTES_DIR")
        return 2
    from twin_pipeline.embedded import resolve_urls

    try:
        day = TwinReader(resolve_urls(settings).twin, person_id=settings.person_id).day(args.date)
    except NoState as exc:
        _say(str(exc))
        return 1
    outcome = write_daily_note(Path(vault), day.as_of, day.summary or "")
    _say(f"{Path(vault) / (day.as_of + '.md')}: {outcome}")
    return 0


def cmd_export(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.embedded import resolve_urls
    from twin_pipeline.reader import TwinReader

    file_format = args.format or {".csv": "csv", ".parquet": "parquet"}.get(args.out.suffix.lower())
    if file_format is None:
        _say(f"cannot tell the format of {args.out}: pass --format csv or --format parquet")
        return 2
    twin = TwinReader(resolve_urls(settings).twin, person_id=settings.person_id)
    try:
        days = twin.export(args.entity, args.out, file_format, args.start, args.end)
    finally:
        twin.engine.dispose()
    span = f"{args.start or 'the first day'} .. {args.end or 'the newest day'}"
    if days == 0:
        _say(f"no {args.entity} state from {span} in the twin store: nothing written")
        return 1
    _say(f"{args.out}: {days} days of {args.entity} ({span}), one row a day, {file_format}")
    return 0


def cmd_db_migrate(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.embedded import resolve_urls
    from twin_pipeline.migrations import SOURCE_TARGETS, migrate

    urls = resolve_urls(settings)
    targets = ["twin", *(SOURCE_TARGETS if args.sources else ())]
    for target in targets:
        engine = create_engine(urls.source(target))
        try:
            ran = migrate(engine, target)
        finally:
            engine.dispose()
        where = mask_url(urls.source(target))
        names = ", ".join(m.path.name for m in ran) or "nothing pending"
        _say(f"{target} ({where}): {names}")
    return 0


def cmd_db_stop(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.embedded import EmbeddedPostgres

    stopped = EmbeddedPostgres(settings.twin_home).stop()
    _say(f"embedded PostgreSQL in {settings.twin_home / 'pgdata'} " + ("stopped" if stopped else "was not running"))
    return 0


def cmd_demo_data(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.demo import load_demo_data
    from twin_pipeline.embedded import resolve_urls

    if not settings.embedded_sources and not args.allow_configured_sources:
        _say(
            "refusing to write demo data into configured source databases "
            f"({mask_url(settings.finance_url)} ...): pass --allow-configured-sources if they "
            "are scratch databases"
        )
        return 2
    urls = resolve_urls(settings)
    engines = [create_engine(urls.source(k)) for k in ("finance", "training", "pantry")]
    health = create_engine(urls.source("biometrics")) if "biometrics" in urls.sources else None
    try:
        counts = load_demo_data(
            *engines, days=args.days, seed=args.seed, end=args.end or _today(settings), replace=args.replace,
            health=health,
        )
    finally:
        for engine in [*engines, *([health] if health else [])]:
            engine.dispose()
    _say(f"demo data: {counts}")
    return 0


def cmd_up(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.demo import load_demo_data, sources_are_empty
    from twin_pipeline.embedded import resolve_urls
    from twin_pipeline.migrations import migrate

    if settings.uses_embedded:
        _say(f"embedded PostgreSQL in {settings.twin_home / 'pgdata'} (set *_DATABASE_URL to use your own)")
    urls = resolve_urls(settings)
    engine = create_engine(urls.twin)
    try:
        migrate(engine, "twin")
    finally:
        engine.dispose()
    today = _today(settings)
    if settings.embedded_sources:
        engines = [create_engine(urls.source(k)) for k in ("finance", "training", "pantry")]
        # The embedded health database is ours too; a configured one (HEALTH_DATABASE_URL) is not.
        health = create_engine(urls.source("biometrics")) if settings.source_url("biometrics") is None else None
        try:
            if sources_are_empty(*engines, health):
                _say(f"filling the embedded sources with {args.demo_days} days of demo data (seed {args.seed})")
                load_demo_data(*engines, days=args.demo_days, seed=args.seed, end=today, health=health)
        finally:
            for e in [*engines, *([health] if health else [])]:
                e.dispose()
    start = max(today - timedelta(days=args.days - 1), settings.start_date)
    _say(f"materializing {start} .. {today} in one run")
    if not run_days(settings, start, today, "twin-up"):
        return 1
    # Then goals, home and person; and today once more, so its text has the home line.
    if not run_entities(settings) or not run_days(settings, today, today, "twin-up"):
        return 1
    print_summary(settings, today)
    if args.no_serve:
        return 0
    prepare_dagster_home(settings)
    _say(f"Dagster UI and daemon on http://{args.host}:{args.port} (Ctrl-C to stop)")
    # `dg dev` (Dagster's own dev server since 1.13) with the package's workspace file, so it
    # runs the same from a checkout and from an installed wheel, as the location twin_pipeline.
    command = [
        str(Path(sys.executable).with_name("dg")), "dev", "-w", str(WORKSPACE_YAML),
        "-h", args.host, "-p", str(args.port),
    ]
    try:
        # cwd = DAGSTER_HOME, so Dagster reads its dagster.yaml there and nowhere else.
        return subprocess.call(command, cwd=os.environ["DAGSTER_HOME"])
    except KeyboardInterrupt:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twin",
        description="twin-pipeline: a daily, reproducible digital twin of money, body and pantry.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser(
        "up",
        help="the main job: database, migrations, demo data if empty, last 30 days, then the UI",
        description=(
            "Start (or reuse) the embedded PostgreSQL unless URLs are configured, apply the twin "
            "store's pending migrations (a login that may not, like twin_writer, is told to run "
            "`twin db migrate` as the owner), fill empty embedded sources with demo data, materialize the last "
            "days in one run, print today's summary, then serve Dagster's UI and daemon (dg dev)."
        ),
    )
    up.add_argument("--days", type=int, default=30, help="days to materialize before serving (default 30)")
    up.add_argument("--demo-days", type=int, default=400, help="days of demo data for empty sources (default 400)")
    up.add_argument("--seed", type=int, default=4, help="demo data seed (default 4)")
    up.add_argument("--host", default="127.0.0.1", help="UI host (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=3000, help="UI port (default 3000)")
    up.add_argument("--no-serve", action="store_true", help="stop after the run instead of serving the UI")
    up.set_defaults(handler=cmd_up)

    snapshot = commands.add_parser(
        "snapshot",
        help="materialize one day in-process and print its summary",
        description="Materialize sources -> twin_state -> daily_summary for one day and print the summary.",
    )
    snapshot.add_argument("--date", type=_day, help="YYYY-MM-DD (default: today in TWIN_TIMEZONE)")
    snapshot.set_defaults(handler=cmd_snapshot)

    backfill = commands.add_parser(
        "backfill",
        help="restate a range of days in one run (in-process, with progress)",
        description=(
            "Materialize sources -> twin_state -> daily_summary for --start..--end in one run. "
            "Each day is restated with what the sources say now: unchanged days write nothing, "
            "changed days add a row and keep the earlier one."
        ),
    )
    backfill.add_argument("--start", type=_day, required=True, help="first day, YYYY-MM-DD")
    backfill.add_argument("--end", type=_day, help="last day, YYYY-MM-DD (default today)")
    backfill.set_defaults(handler=cmd_backfill)

    history = commands.add_parser(
        "pantry-history",
        help="opt-in pantry history capture (so past pantry days become exact)",
        description=(
            "pantry_inventory keeps only the current state. `install` adds a history table and a "
            "trigger to the pantry database (it lists what it creates; --yes to apply); "
            "`status` says whether it is there."
        ),
    )
    history.add_argument("action", choices=["install", "status"])
    history.add_argument("--yes", action="store_true", help="really install it")
    history.set_defaults(handler=cmd_pantry_history)

    api = commands.add_parser(
        "api",
        help="serve the read API (port 5677) for n8n, dashboards and scripts",
        description=(
            "Serve /status, /today, /all, /morning_briefing, /health, /finance, /pantry, /history, "
            "/health/history, /person, /goals, /home, /health/live, /health/ready, /health/domain/NAME "
            "and /metrics (GET or POST) from what the pipeline persisted. Listens on 127.0.0.1 unless "
            "told otherwise; with DIGITAL_TWIN_API_KEY (or TWIN_API_TOKEN) set every endpoint but "
            "/health/live needs the key in X-API-KEY or as a bearer token (TWIN_API_AUTH=warn: "
            "logged and let through)."
        ),
    )
    api.add_argument("--host", help="default TWIN_API_HOST or 127.0.0.1")
    api.add_argument("--port", type=int, help="default TWIN_API_PORT or 5677")
    api.add_argument("--allow-remote-without-token", action="store_true",
                     help="serve a non-loopback address with no key (not recommended)")
    api.set_defaults(handler=cmd_api)

    note = commands.add_parser(
        "note",
        help="write a day's status into an Obsidian daily note",
        description=(
            "Write the status text of a day into VAULT/YYYY-MM-DD.md between %%TWIN_START%% and "
            "%%TWIN_END%%, creating the file or the markers when missing; nothing outside them changes."
        ),
    )
    note.add_argument("--vault", type=Path, help="the vault folder (default TWIN_NOTES_DIR)")
    note.add_argument("--date", type=_day, help="YYYY-MM-DD (default: the newest day with a state)")
    note.set_defaults(handler=cmd_note)

    export = commands.add_parser(
        "export",
        help="write an entity's day states to a CSV or Parquet file (for pandas, spreadsheets)",
        description=(
            "Write the day states of one entity as TwinReader.frame returns them: one row a day "
            "(its newest state), the document's fields as columns, nested objects flattened with "
            "dots, lists as JSON text, money as the stored numbers (2 decimals)."
        ),
    )
    export.add_argument("--entity", required=True, choices=["finance", "health", "pantry"])
    export.add_argument("--format", choices=["csv", "parquet"], help="default: from the --out suffix")
    export.add_argument("--out", type=Path, required=True, help="the file to write (replaced if it exists)")
    export.add_argument("--start", type=_day, help="first day, YYYY-MM-DD (default: the first stored)")
    export.add_argument("--end", type=_day, help="last day, YYYY-MM-DD (default: the newest stored)")
    export.set_defaults(handler=cmd_export)

    db = commands.add_parser("db", help="database chores (migrate, stop)", description="Database chores.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    migrate = db_commands.add_parser(
        "migrate",
        help="apply the twin store's migrations (and the sources' with --sources)",
        description=(
            "Apply pending migrations from sql/twin to the twin store. Source databases are "
            "never touched unless --sources is given (for a fresh install of the source schemas)."
        ),
    )
    migrate.add_argument("--sources", action="store_true", help="also create the source schemas (fresh installs)")
    migrate.set_defaults(handler=cmd_db_migrate)
    stop = db_commands.add_parser("stop", help="stop the embedded PostgreSQL", description="Stop the embedded server.")
    stop.set_defaults(handler=cmd_db_stop)

    demo = commands.add_parser(
        "demo-data",
        help="fill the sources with a believable person's data",
        description="Fill the source databases with deterministic demo data (same seed, same rows).",
    )
    demo.add_argument("--days", type=int, default=400, help="days of history ending --end (default 400)")
    demo.add_argument("--seed", type=int, default=4, help="random seed (default 4)")
    demo.add_argument("--end", type=_day, help="last day, YYYY-MM-DD (default today)")
    demo.add_argument("--replace", action="store_true", help="empty the demo tables first")
    demo.add_argument(
        "--allow-configured-sources", action="store_true",
        help="allow writing into databases given by *_DATABASE_URL (scratch databases only)",
    )
    demo.set_defaults(handler=cmd_demo_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = TwinSettings.from_env()
        return args.handler(settings, args)
    except ConfigurationError as exc:
        _say(f"configuration error: {exc}")
        return 2
    except (MigrationError, StoreError) as exc:
        _say(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
