"""`twin`: the command line door: parses a command and dispatches it (up, snapshot, backfill,
api, keys, note, export, db, demo-data). Runs happen in runs.py, the API is assembled in api/;
everything per source follows from the source specs (twin_pipeline.sources.SOURCES)."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine

from twin_pipeline.dagster_home import prepare_dagster_home
from twin_pipeline.database import Database
from twin_pipeline.migrations import MigrationError
from twin_pipeline.settings import ConfigurationError, TwinSettings, today_in
from twin_pipeline.sources import ENTITY_SOURCES, SOURCES
from twin_pipeline.store.schema import StoreError
from twin_pipeline.urls import mask_url


def _say(message: str) -> None:
    print(message, flush=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


# Dagster (about 3 s to import) is imported by the commands that run jobs, not by every `twin`.
def _materialize_days(settings: TwinSettings, start: date, end: date, trigger: str, progress: bool = False) -> bool:
    from twin_pipeline.runs import materialize_days

    return materialize_days(settings, start, end, trigger, _say if progress else None)


def print_summary(settings: TwinSettings, day: date) -> bool:
    from twin_pipeline.store.person import resolve_person
    from twin_pipeline.store.summaries import latest_summary

    engine = Database.for_role(settings, "twin").engine()
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


def _demo_engines(settings: TwinSettings) -> dict[str, Engine]:
    """An engine on each source database the demo fills, by source name."""
    from twin_pipeline.demo import DEMO_SOURCES

    # An optional source left out of a configured install (no HEALTH_DATABASE_URL) gets none.
    return {
        name: Database.for_role(settings, name, read_only=False).engine()
        for name in SOURCES if name in DEMO_SOURCES and settings.source_configured(name)
    }


def cmd_snapshot(settings: TwinSettings, args: argparse.Namespace) -> int:
    day = args.date or settings.today()
    if _materialize_days(settings, day, day, "cli-snapshot"):
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
    end = args.end or settings.today()
    _say(f"backfill {args.start} .. {end} ({(end - args.start).days + 1} days) in one run")
    began = time.perf_counter()
    if not _materialize_days(settings, args.start, end, "cli-backfill", progress=True):
        return 1
    _say(f"done in {time.perf_counter() - began:.1f} s; the UI shows the run as twin_daily_job")
    return 0


def cmd_pantry_history(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.migrations import available, migrate, pending

    pantry = Database.for_role(settings, "pantry", read_only=False)
    url, engine = pantry.resolved_url(), pantry.engine()
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
    from twin_pipeline.api import LOOPBACK, weak_key_problem
    from twin_pipeline.api.server import serve

    host, port = args.host or settings.api_host, args.port or settings.api_port
    keyless = settings.api_key is None and settings.api_keys_file is None
    if host not in LOOPBACK and keyless and not args.allow_remote_without_token:
        _say(
            f"refusing to serve {host}:{port} without a token: set DIGITAL_TWIN_API_KEY (clients then send "
            "it in X-API-KEY or as `Authorization: Bearer <key>`), serve on 127.0.0.1, "
            "or pass --allow-remote-without-token"
        )
        return 2
    if host not in LOOPBACK and keyless and settings.allowed_hosts is None:
        _say(
            f"refusing to serve {host}:{port} without a key and without TWIN_ALLOWED_HOSTS: a keyless API "
            "answers only the Host names localhost, 127.0.0.1 and [::1]; set TWIN_ALLOWED_HOSTS to the names "
            "its clients use (e.g. twin.home.lan), or set DIGITAL_TWIN_API_KEY"
        )
        return 2
    if host not in LOOPBACK and settings.api_key is not None and (problem := weak_key_problem(settings.api_key)):
        _say(
            f"refusing to serve {host}:{port} with DIGITAL_TWIN_API_KEY {problem}: make one with "
            '`python -c "import secrets; print(secrets.token_urlsafe(32))"` and give the same to its clients'
        )
        return 2
    serve(settings, host, port)
    return 0


def _keys_file(settings: TwinSettings) -> Path:
    if settings.api_keys_file is None:
        raise ConfigurationError("TWIN_API_KEYS_FILE is not set: set it to the keys file, e.g. ~/.twin/keys.toml")
    return settings.api_keys_file


def cmd_keys_add(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.api.keys import add_key

    path = _keys_file(settings)
    if args.expires is not None and args.expires < today_in(settings.timezone):
        raise ConfigurationError(f"--expires {args.expires} is in the past: give the last day the key may be used")
    key = add_key(path, args.name, args.tier, args.expires)
    until = f", valid through {args.expires}" if args.expires else ""
    _say(f"{args.name} ({args.tier}{until}) added to {path}; its key, shown this once (the file keeps only its hash):")
    _say(key)
    _say("send it in X-API-KEY or as `Authorization: Bearer <key>`; a running API accepts it within seconds")
    return 0


def cmd_keys_list(settings: TwinSettings, args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from sqlalchemy.exc import SQLAlchemyError

    from twin_pipeline.api.keys import OWNER_NAME, read_keys
    from twin_pipeline.store.key_uses import key_uses

    listed = read_keys(_keys_file(settings))
    keys = [(key.name, key.tier) for key in listed]
    expires = {key.name: key.expires for key in listed if key.expires is not None}
    if settings.api_key is not None:
        keys.insert(0, (OWNER_NAME, "owner"))
    database = Database.for_role(settings, "twin")
    engine = database.engine()
    try:
        with engine.connect() as conn:
            used, unknown = key_uses(conn), None
    except SQLAlchemyError as exc:
        used, unknown = {}, f"unknown ({str(exc).splitlines()[0]})"
    finally:
        engine.dispose()
    if not keys:
        _say(f"no keys in {settings.api_keys_file}: `twin keys add NAME --tier household` adds one")
        return 0
    width = max(len(name) for name, _ in keys)
    _say(f"{'name':<{width}}  {'tier':<9}  last used (to the minute)")
    for name, tier in keys:
        row = used.get(name)
        local = row and row["last_used_at"].astimezone(ZoneInfo(settings.timezone))
        when = unknown or (local.strftime("%Y-%m-%d %H:%M %Z") if row else "never")
        where = f" from {row['last_client']}" if row and row["last_client"] else ""
        source = "  (DIGITAL_TWIN_API_KEY)" if name == OWNER_NAME else ""
        until = ""
        if name in expires:
            until = f"  ({'expired after' if expires[name] < today_in(settings.timezone) else 'valid through'} {expires[name]})"
        _say(f"{name:<{width}}  {tier:<9}  {when}{where}{source}{until}")
    return 0


def cmd_keys_revoke(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.api.keys import RECHECK_SECONDS, revoke_key

    path = _keys_file(settings)
    key = revoke_key(path, args.name)
    _say(f"{key.name} ({key.tier}) revoked in {path}: a running API refuses the key within "
         f"{RECHECK_SECONDS:.0f} s, no restart needed")
    return 0


def cmd_note(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.note_file import write_daily_note
    from twin_pipeline.reader import NoState, TwinReader

    vault = args.vault or settings.notes_dir
    if vault is None:
        _say("no vault: pass --vault DIR or set TWIN_NOTES_DIR")
        return 2
    try:
        day = TwinReader(settings=settings).day(args.date)
    except NoState as exc:
        _say(str(exc))
        return 1
    outcome = write_daily_note(Path(vault), day.as_of, day.summary or "")
    _say(f"{Path(vault) / (day.as_of + '.md')}: {outcome}")
    return 0


def cmd_export(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.reader import TwinReader

    file_format = args.format or {".csv": "csv", ".parquet": "parquet"}.get(args.out.suffix.lower())
    if file_format is None:
        _say(f"cannot tell the format of {args.out}: pass --format csv or --format parquet")
        return 2
    twin = TwinReader(settings=settings)
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
    from twin_pipeline.migrations import SOURCE_TARGETS, migrate

    targets = ["twin", *(SOURCE_TARGETS if args.sources else ())]
    for target in targets:
        database = Database.for_role(settings, target, read_only=False)
        engine = database.engine()
        try:
            ran = migrate(engine, target)
        finally:
            engine.dispose()
        where = mask_url(database.resolved_url())
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

    if not settings.embedded_sources and not args.allow_configured_sources:
        first = next(iter(SOURCES))
        _say(
            "refusing to write demo data into configured source databases "
            f"({mask_url(settings.source_url(first))} ...): pass --allow-configured-sources if they "
            "are scratch databases"
        )
        return 2
    engines = _demo_engines(settings)
    try:
        counts = load_demo_data(
            **engines, days=args.days, seed=args.seed, end=args.end or settings.today(), replace=args.replace
        )
    finally:
        for engine in engines.values():
            engine.dispose()
    _say(f"demo data: {counts}")
    return 0


def cmd_up(settings: TwinSettings, args: argparse.Namespace) -> int:
    from twin_pipeline.demo import load_demo_data, sources_are_empty
    from twin_pipeline.migrations import migrate
    from twin_pipeline.runs import materialize_entities, serve_dagster

    if settings.uses_embedded:
        _say(f"embedded PostgreSQL in {settings.twin_home / 'pgdata'} (set *_DATABASE_URL to use your own)")
    engine = Database.for_role(settings, "twin").engine()
    try:
        migrate(engine, "twin")
    finally:
        engine.dispose()
    today = settings.today()
    if settings.embedded_sources:
        # The embedded databases are ours to fill; a configured one (HEALTH_DATABASE_URL) is the person's.
        engines = {name: engine for name, engine in _demo_engines(settings).items() if settings.source_url(name) is None}
        try:
            if sources_are_empty(**engines):
                _say(f"filling the embedded sources with {args.demo_days} days of demo data (seed {args.seed})")
                load_demo_data(**engines, days=args.demo_days, seed=args.seed, end=today)
        finally:
            for e in engines.values():
                e.dispose()
    start = max(today - timedelta(days=args.days - 1), settings.start_date)
    _say(f"materializing {start} .. {today} in one run")
    if not _materialize_days(settings, start, today, "twin-up"):
        return 1
    # Then goals, home and person; and today once more, so its text has the home line.
    if not materialize_entities(settings) or not _materialize_days(settings, today, today, "twin-up"):
        return 1
    print_summary(settings, today)
    if args.no_serve:
        return 0
    _say(f"Dagster UI and daemon on http://{args.host}:{args.port} (Ctrl-C to stop)")
    return serve_dagster(settings, args.host, args.port)


def cmd_serve(settings: TwinSettings, args: argparse.Namespace) -> int:
    if args.role == "api":
        return cmd_api(settings, args)
    from twin_pipeline.serve.roles import serve

    return serve(settings, args, prepare_dagster_home(settings))


def fail_ghost_runs(settings: TwinSettings) -> None:
    """Runs left unfinished by a killed in-process `twin` command: failed, and said, before anything else."""
    from twin_pipeline.serve.ghosts import fail_ghost_runs as fail

    prepare_dagster_home(settings)
    for ghost in fail(Database.for_role(settings, "dagster")):
        _say(f"run {ghost.run_id} marked failed: {ghost.reason}")


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
        # Every route the app serves; pure/test_docs.py holds this list to the app's routes.
        description=(
            "Serve /status, /today, /all, /morning_briefing, /health, /finance, /pantry, /history, "
            "/health/history, /person, /goals, /home, /notable, /forecasts/review, /dashboard, "
            "/dashboard/data, /health/live, /health/ready, /health/domain/NAME and /metrics (GET or POST) "
            "from what the pipeline persisted, the dashboard's files under /dashboard/static/FILE, and "
            "the schema at /openapi.json with its viewers /docs and /redoc. Listens on 127.0.0.1 unless "
            "told otherwise; with DIGITAL_TWIN_API_KEY (or TWIN_API_TOKEN) set every endpoint but "
            "/health/live, the /dashboard page, its files and the schema's pages needs the key in "
            "X-API-KEY or as a bearer token (TWIN_API_AUTH=warn: logged and let through); the "
            "household's keys come from TWIN_API_KEYS_FILE (`twin keys`)."
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
    export.add_argument("--entity", required=True, choices=list(ENTITY_SOURCES))
    export.add_argument("--format", choices=["csv", "parquet"], help="default: from the --out suffix")
    export.add_argument("--out", type=Path, required=True, help="the file to write (replaced if it exists)")
    export.add_argument("--start", type=_day, help="first day, YYYY-MM-DD (default: the first stored)")
    export.add_argument("--end", type=_day, help="last day, YYYY-MM-DD (default: the newest stored)")
    export.set_defaults(handler=cmd_export)

    keys = commands.add_parser(
        "keys",
        help="the API's keys for the household: add, list, revoke",
        description=(
            "Keys in TWIN_API_KEYS_FILE, one per member: the owner tier reads everything, the household "
            "tier the pantry and the home. The file holds each key's name, tier and SHA-256, never the "
            "key; a running API reads it again within seconds of a change."
        ),
    )
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="KEYS_COMMAND")
    add = key_commands.add_parser("add", help="a new random key for NAME, printed once",
                                  description="Make a new random key for NAME, print it once and write its hash.")
    add.add_argument("name", help="who holds it (letters, digits, _ . -), as X-User-ID and the logs name it")
    add.add_argument("--tier", required=True, choices=["owner", "household"])
    add.add_argument("--expires", type=_day, metavar="YYYY-MM-DD",
                     help="the last day the key is valid (in TWIN_TIMEZONE); refused after it")
    add.set_defaults(handler=cmd_keys_add)
    listing = key_commands.add_parser("list", help="names, tiers and when each key was last used",
                                      description="Names, tiers and when each key was last used (the monthly audit).")
    listing.set_defaults(handler=cmd_keys_list)
    revoke = key_commands.add_parser("revoke", help="remove NAME's key (a lost phone)",
                                     description="Remove NAME's key from the file; a running API refuses it within seconds.")
    revoke.add_argument("name")
    revoke.set_defaults(handler=cmd_keys_revoke)

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

    serve = commands.add_parser(
        "serve",
        help="run one service of a deployment: code-server, webserver, daemon or api",
        description=(
            "One long-running service each, for containers or systemd: Dagster's gRPC code server, "
            "the webserver and the daemon (both load the code from TWIN_CODE_SERVER, default "
            "127.0.0.1:4266), or the read API (as `twin api`). Logs go to stdout; SIGTERM stops it whole."
        ),
    )
    roles = serve.add_subparsers(dest="role", required=True, metavar="ROLE")
    for role, help_text, default_port in (
        ("code-server", "Dagster's gRPC code server with the twin's definitions", "4266"),
        ("webserver", "Dagster's UI and GraphQL (no login of its own: keep it on loopback)", "3000"),
        ("api", "the read API and the dashboard, as `twin api`", "TWIN_API_PORT or 5677"),
    ):
        served = roles.add_parser(role, help=help_text, description=help_text)
        served.add_argument("--host", help="default 127.0.0.1" + (" (TWIN_API_HOST)" if role == "api" else ""))
        served.add_argument("--port", type=int, help=f"default {default_port}")
        if role == "api":
            served.add_argument("--allow-remote-without-token", action="store_true",
                                help="serve a non-loopback address with no key (not recommended)")
    roles.add_parser("daemon", help="Dagster's daemon: schedules, the sensor, the run queue, retries, monitoring",
                     description="Dagster's daemon: schedules, the sensor, the run queue, run retries and monitoring.")
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = TwinSettings.from_env()
        if args.handler is cmd_serve:
            from twin_pipeline.serve.roles import require_databases

            require_databases(settings, args.role)  # before anything could start the embedded server
        # Stopping the server must not start it; the keys' commands and the API run no job (and
        # the API's login may not mark runs failed: it only reads Dagster's heartbeats).
        serves_api = args.handler is cmd_api or (args.handler is cmd_serve and args.role == "api")
        if args.handler not in (cmd_db_stop, cmd_keys_add, cmd_keys_list, cmd_keys_revoke) and not serves_api:
            fail_ghost_runs(settings)
        return args.handler(settings, args)
    except ConfigurationError as exc:
        _say(f"configuration error: {exc}")
        return 2
    except (MigrationError, StoreError) as exc:
        _say(f"error: {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
