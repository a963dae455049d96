"""Real PostgreSQL for the tests: one embedded server per session, fresh databases per module."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from twin_pipeline.embedded import EmbeddedPostgres
from twin_pipeline.migrations import migrate
from twin_pipeline.settings import environment_variables
from twin_pipeline_tests.clock import MOMENTS, Clock
from twin_pipeline_tests.clock import clock as named_clock

# The roles the person applies as the owner (documented, not shipped in the package).
ROLES = Path(__file__).resolve().parents[1] / "sql" / "roles"
PURE = Path(__file__).resolve().parent / "pure"
DEPLOY = Path(__file__).resolve().parent / "deploy"
SESSION_HOME = pytest.StashKey[Path]()  # this session's temporary home (pytest_configure)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fast", action="store_true",
                     help=f"only the pure tests ({PURE.name}/: no database, server, browser or subprocess)")
    parser.addoption("--screenshots-into", type=Path, default=None, metavar="DIR",
                     help="keep the browser tests' screenshots in DIR (dev.py screenshots: docs/); "
                          "by default they go to the session's temporary folder")
    parser.addoption("--deploy", action="store_true",
                     help=f"only the Docker deployment ({DEPLOY.name}/: installs Docker, builds and runs the stack; root)")


def from_the_caller(variable: str) -> bool:
    """A variable of the caller's configuration, which must not reach the suite (TWIN_HOME is
    set per session): every one the settings read, and every TWIN_* and DAGSTER_* variable,
    except the suite's own switch (TWIN_UPDATE_SNAPSHOTS)."""
    if variable == "TWIN_UPDATE_SNAPSHOTS":
        return False
    return variable.startswith(("TWIN_", "DAGSTER_")) or variable in environment_variables()


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module imports the definitions: a home of its own for this session
    (never the repository's .twin/), and none of the caller's configuration (`from_the_caller`)."""
    home = Path(tempfile.mkdtemp(prefix="twin-tests-"))
    config.stash[SESSION_HOME] = home
    for variable in [name for name in os.environ if from_the_caller(name)]:
        os.environ.pop(variable)
    os.environ["TWIN_HOME"] = str(home / "default-home")


def pytest_unconfigure(config: pytest.Config) -> None:
    home = config.stash.get(SESSION_HOME, None)
    if home is not None:
        # A `twin` or `dg` command run as the quick start runs it (no URL: the embedded default
        # in TWIN_HOME) leaves its server running, as it does for a person: not after the suite.
        EmbeddedPostgres(home / "default-home").stop()
        shutil.rmtree(home, ignore_errors=True)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """--fast: only the files under pure/; --deploy: only those under deploy/, which nothing
    else runs (the others are not even imported)."""
    if collection_path.suffix != ".py":
        return None
    if config.getoption("fast") and PURE not in collection_path.parents:
        return True
    if config.getoption("deploy") != (DEPLOY in collection_path.parents):
        return True
    return None


# How the two workers share the suite out (`--dist loadscope`, dev.py): a module's tests stay
# on one worker (they share its databases), except that each clock of a date-sensitive module
# is a unit of its own (its fixtures are per clock anyway). Units start longest first, so the
# workers finish together: these are their seconds in a whole run with two workers on the
# 2-core machine (December 2026); a unit not named here takes a few and starts after them.
UNIT_SECONDS = {
    "test_services.py": 85, "test_cli.py": 71, "test_ui.py": 69, "test_dagster_dev.py": 62,
    "test_supervise.py": 37, "test_asof.py": 34, "test_roles.py": 27, "test_faults.py": 24,
    "test_forecast_review.py": 22, "test_definitions.py": 22, "test_package.py": 22,
    "test_sensor.py, each clock": 17, "test_api.py": 17, "test_dashboard_ui.py": 14, "test_demo_data.py": 13,
    "test_api_bounds.py": 60, "test_day_metadata.py": 12, "test_dashboard.py": 12, "test_instance.py": 8, "test_biometrics.py": 7,
    "test_history.py": 7, "test_entities.py": 6, "test_api_clients.py": 6, "test_states_unchanged.py": 6,
}


def work_unit(nodeid: str) -> tuple[str, str]:
    """The unit a test runs in (its module, or its module at one clock: the clock is a
    parameter of the test's id), and that unit's key in UNIT_SECONDS."""
    module, _, test = nodeid.partition("::")
    parameters = f"-{test[test.index('[') + 1:-1]}-" if test.endswith("]") else ""
    clock = next((name for name in sorted(MOMENTS, key=len, reverse=True) if f"-{name}-" in parameters), None)
    if clock is None:
        return module, Path(module).name
    return f"{module}:{clock}", f"{Path(module).name}, each clock"


def pytest_itemcollected(item: pytest.Item) -> None:
    """The tests that take the docs' pictures, marked for `dev.py screenshots` (-m screenshot)."""
    if "screenshots" in getattr(item, "fixturenames", ()):
        item.add_marker(pytest.mark.screenshot)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each unit's tests together, in the order they came (shuffled by `-p randomly`, which
    shuffles within a module too): a clock's module fixtures are then set up once."""
    first_seen = {}
    for index, item in enumerate(items):
        first_seen.setdefault(work_unit(item.nodeid)[0], index)
    items.sort(key=lambda item: first_seen[work_unit(item.nodeid)[0]])


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`--dist loadscope` with the units of `work_unit`, the longest first."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)[0]

        def _assign_work_unit(self, node) -> None:
            def seconds(unit: str) -> float:
                return UNIT_SECONDS.get(work_unit(next(iter(self.workqueue[unit])))[1], 0)

            self.workqueue.move_to_end(max(self.workqueue, key=seconds), last=False)  # the first of equals
            super()._assign_work_unit(node)

    return LongestFirst(config, log)


@pytest.fixture(scope="session")
def screenshots(pytestconfig, tmp_path_factory) -> Path:
    """Where the browser tests keep their pictures: this session's temporary folder, or the
    one --screenshots-into names (`python3.11 dev.py screenshots`: docs/)."""
    folder = pytestconfig.getoption("screenshots_into") or tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def pg_server(pytestconfig):
    server = EmbeddedPostgres(pytestconfig.stash[SESSION_HOME] / "server")
    server.start()
    yield server
    wait_for_stopped_servers()  # a server stopping in the background may still use this one
    server.stop()


@dataclass
class Sources:
    """Fresh, migrated, empty source databases of one test module; the twin store is finance's."""

    finance_url: str
    training_url: str
    pantry_url: str
    finance: Engine
    training: Engine
    pantry: Engine
    twin_home: str
    health_url: str  # autonomous_health (the biometrics source)
    health: Engine

    @property
    def twin(self) -> Engine:
        return self.finance

    def resources(self, **config) -> dict:
        """The resources a run gets, on this module's databases; `config` overrides rules
        of the test settings (expiry_window_days=4, goals_dir=None, ...)."""
        from twin_pipeline.defs.resources import PostgresDatabase, TwinConfig, TwinStore

        def db(role: str, url: str) -> PostgresDatabase:
            return PostgresDatabase(role=role, url=url, twin_home=self.twin_home)

        return {
            "finance_db": db("finance", self.finance_url),
            "training_db": db("training", self.training_url),
            "pantry_db": db("pantry", self.pantry_url),
            "biometrics_db": db("biometrics", self.health_url),
            "twin_store": TwinStore(url=self.finance_url, twin_home=self.twin_home),
            "twin_config": TwinConfig.from_settings(settings_for_tests(), **config),
        }

    def dispose(self) -> None:
        for engine in (self.finance, self.training, self.pantry, self.health):
            engine.dispose()


def create_sources(server: EmbeddedPostgres, prefix: str, twin_home: Path) -> Sources:
    server.ensure_databases([f"{prefix}_finance", f"{prefix}_training", f"{prefix}_pantry", f"{prefix}_health"])
    urls = {kind: server.url(f"{prefix}_{kind}") for kind in ("finance", "training", "pantry", "health")}
    # Pinged at checkout: a test that restarts the server (test_services.py) leaves no dead
    # connection in the pools of the module's other fixtures.
    engines = {kind: create_engine(url, pool_pre_ping=True) for kind, url in urls.items()}
    for kind, engine in engines.items():
        migrate(engine, "biometrics" if kind == "health" else kind)
    migrate(engines["finance"], "twin")
    return Sources(
        finance_url=urls["finance"], training_url=urls["training"], pantry_url=urls["pantry"],
        health_url=urls["health"], twin_home=str(twin_home), **engines,
    )


@pytest.fixture
def own_sources(pg_server, tmp_path_factory) -> Iterator[Sources]:
    """Fresh sources of one test alone, for a test that changes them (or needs them unchanged
    by the module's other tests)."""
    name = f"own_{uuid.uuid4().hex[:12]}"
    created = create_sources(pg_server, name, tmp_path_factory.mktemp(name))
    yield created
    created.dispose()
    from twin_pipeline.database import dispose_engines

    dispose_engines()  # the resources' pools of this test's runs


def sources_at_clock(server: EmbeddedPostgres, clock: Clock, tmp_path_factory, prefix: str,
                     fill: Callable[[Sources, date], None]) -> Iterator[Sources]:
    """Fresh sources of their own for one clock of a date-sensitive module, filled by
    `fill(sources, today)` while that clock is frozen (a module fixture yields from it)."""
    name = f"{prefix}_{clock.name.replace('-', '_')}"
    sources = create_sources(server, name, tmp_path_factory.mktemp(name))
    with clock.frozen():
        fill(sources, clock.today)
    yield sources
    sources.dispose()


@pytest.fixture(scope="module")
def sources(pg_server, request, tmp_path_factory):
    prefix = re.sub(r"[^a-z0-9]", "_", request.module.__name__.split(".")[-1].lower())
    created = create_sources(pg_server, prefix, tmp_path_factory.mktemp(prefix))
    yield created
    created.dispose()
    from twin_pipeline.database import dispose_engines

    dispose_engines()  # the resources' pools of this module's runs


def settings_for_tests(**env: str):
    """The settings of the test environment (the conftest cleared every TWIN_* variable);
    `env` adds variables, e.g. TWIN_NOTES_DIR."""
    from twin_pipeline.settings import TwinSettings

    return TwinSettings.from_env({"TWIN_HOME": os.environ["TWIN_HOME"], **env})


def today():
    """Today in the test settings' time zone (by the clock a test froze, if any)."""
    return settings_for_tests().today()


@pytest.fixture(scope="module", params=list(MOMENTS))
def clock(request) -> Clock:
    """A date-sensitive module runs once at each moment of clock.MOMENTS (a month's first
    day, February's end, the DST days, New Year's Eve, now); freeze it with `clock.frozen()`
    or use `frozen_today`."""
    return named_clock(request.param)


@pytest.fixture
def frozen_today(clock: Clock):
    """The test runs at its module's clock; this is its today."""
    with clock.frozen() as day:
        yield day


def daily_assets():
    from twin_pipeline.definitions import daily_assets as build

    return build(settings_for_tests())


def execute(engine: Engine, sql: str, params: dict | list | None = None) -> None:
    """Run one statement in its own transaction (test data setup)."""
    with engine.begin() as conn:
        conn.execute(text(sql), params or {})


def materialize_days(sources: Sources, start, end=None, *, instance=None, **config):
    """Run sources -> twin_state -> daily_summary for start..end (one run), as the job does."""
    from dagster import DagsterInstance, materialize

    end = end or start
    kwargs = (
        {"partition_key": start.isoformat()}
        if start == end
        else {
            "tags": {
                "dagster/asset_partition_range_start": start.isoformat(),
                "dagster/asset_partition_range_end": end.isoformat(),
            }
        }
    )
    result = materialize(
        daily_assets(),
        resources=sources.resources(**config),
        instance=instance or DagsterInstance.ephemeral(),
        **kwargs,
    )
    assert result.success
    return result


def wait_until(condition: Callable[[], object], what: str, timeout: float = 120, every: float = 0.5,
               last: Callable[[], object] = lambda: None):
    """condition()'s first truthy answer; fails naming `what` (and `last()`) after `timeout`
    seconds. A server-bound test waits for a condition this way, never for a fixed time."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s; last: {last()}"
        time.sleep(every)


CHANGED_TABLE = re.compile(r"^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.IGNORECASE)


def write(url: str, sql: str, params: dict | None = None, *, counted: bool = True) -> None:
    """A change to a source as another tool makes it: its own session, ended at once. With
    `counted` (the next step looks for it, as the sensor does), returns once the changed
    table's statistics counters, which the sensor reads, have moved: an ended session
    flushes them as it exits, within moments."""
    engine = create_engine(url, poolclass=NullPool)
    if not counted:
        with engine.begin() as conn:
            conn.execute(text(sql), params or {})
        engine.dispose()
        return
    from twin_pipeline.sqlfiles import load

    table = CHANGED_TABLE.match(sql).group(1)
    counters = load("twin_pipeline.sources", "source_change_counters")  # what the sensor reads
    watcher = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with watcher.connect() as watching:
            def moved_since(before: int | None) -> int | None:
                watching.execute(text("SELECT pg_stat_clear_snapshot()"))  # read afresh, not a cached snapshot
                now = watching.execute(counters, {"table": table}).scalar_one()
                return now if now != before else None

            before = moved_since(None)
            with engine.begin() as conn:
                conn.execute(text(sql), params or {})
            engine.dispose()
            wait_until(lambda: moved_since(before) is not None, f"the counters of {table} moving after: {sql}",
                       timeout=10, every=0.02)
    finally:
        watcher.dispose()


def states_of(sources: Sources, days) -> dict:
    """(entity, 'YYYY-MM-DD') -> the newest stored document, for the single person in the store."""
    from twin_pipeline.store.person import resolve_person
    from twin_pipeline.store.states import newest_states

    with sources.twin.begin() as conn:
        person = resolve_person(conn, None)
        return {key: state.document for key, state in newest_states(conn, person, list(days)).items()}


def count_state_rows(sources: Sources, as_of=None) -> int:
    with sources.twin.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM digital_twin_updates "
                "WHERE CAST(:d AS text) IS NULL OR update_data ->> 'as_of' = CAST(:d AS text)"
            ),
            {"d": None if as_of is None else as_of.isoformat()},
        ).scalar_one()


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    """POST a query to the Dagster webserver's GraphQL endpoint; fail on GraphQL errors."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body
    return body["data"]


BACKFILL_RUNS = """query($id: String!) {
  partitionBackfillOrError(backfillId: $id) { ... on PartitionBackfill { status numPartitions } }
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { status tags { key value } assetSelection { path } } } } }"""


def wait_for_backfill(port: int, backfill_id: str, timeout: float = 180) -> tuple[dict, list[dict]]:
    """The backfill and its runs once every run it launched has finished. Dagster's backfill
    daemon looks at a backfill every 30 s (a fixed interval), so it may still say REQUESTED
    for up to that long after its run finished: waiting for the runs, not that word, saves
    a whole daemon interval per test. A run the backfill would have launched later (for
    downstream assets) shows as a run without every asset: check `asset_keys(run)`."""
    seen = {}

    def finished() -> tuple[dict, list[dict]] | None:
        data = graphql(port, BACKFILL_RUNS, {"id": backfill_id})
        seen.update(backfill=data["partitionBackfillOrError"], runs=data["runsOrError"]["results"])
        assert seen["backfill"]["status"] not in ("FAILED", "CANCELED", "COMPLETED_FAILED"), seen["backfill"]
        done = seen["runs"] and all(run["status"] in ("SUCCESS", "FAILURE", "CANCELED") for run in seen["runs"])
        return (seen["backfill"], seen["runs"]) if done else None

    return wait_until(finished, f"backfill {backfill_id}'s runs finished", timeout, every=1, last=lambda: seen)


def asset_keys(run: dict) -> list[str]:
    return sorted("/".join(key["path"]) for key in run["assetSelection"] or [])


def fuzz_for_server_errors(operations, examples: int = 15) -> None:
    """Schemathesis cases generated for each OpenAPI operation; none may answer 5xx. Driven
    directly: its pytest plugin does not run under pytest 9 yet."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        no_server_error()


_STOPPING: list[threading.Thread] = []  # this worker's servers still shutting down


def stop_in_background(stop: Callable[[], None]) -> None:
    """Run a server's `stop` (which waits for its orderly shutdown, seconds of idling) while the
    next tests run; the worker waits for every one before its PostgreSQL server stops."""
    thread = threading.Thread(target=stop, name="stopping a test server")
    thread.start()
    _STOPPING.append(thread)


def wait_for_stopped_servers() -> None:
    while _STOPPING:
        _STOPPING.pop().join()


def pytest_sessionfinish(session: pytest.Session) -> None:
    wait_for_stopped_servers()


def stop_process_group(process: subprocess.Popen) -> None:
    """Stop a server started in its own session (dagster dev and its children): asked
    first, killed after 10 s (dg dev's orderly shutdown can take 25 s, all of it waiting
    for idle daemon threads; the test's home is thrown away after)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@dataclass
class DagsterDev:
    port: int
    sources: Sources
    home: Path


@pytest.fixture(scope="module")
def dagster_dev(pg_server, tmp_path_factory):
    """`dagster dev` (webserver and daemon) on its own sources, as a user starts it."""
    from twin_pipeline.paths import DAGSTER_YAML, WORKSPACE_YAML

    home = tmp_path_factory.mktemp("dagster-dev")
    dev_sources = create_sources(pg_server, "devserver", home / "twin")
    migrate(dev_sources.pantry, "pantry_history")
    pg_server.ensure_databases(["devserver_dagster"])
    shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "TWIN_"))}
    env.update(
        DAGSTER_HOME=str(home),
        TWIN_HOME=str(home / "twin"),
        DAGSTER_PG_URL=pg_server.url("devserver_dagster"),
        FINANCE_DATABASE_URL=dev_sources.finance_url,
        TRAINING_DATABASE_URL=dev_sources.training_url,
        PANTRY_DATABASE_URL=dev_sources.pantry_url,
        HEALTH_DATABASE_URL=dev_sources.health_url,
        TWIN_SENSOR_INTERVAL_SECONDS="5",
    )
    log = open(home / "dagster-dev.log", "w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("dg")), "dev", "-w", str(WORKSPACE_YAML),
         "-h", "127.0.0.1", "-p", str(port)],
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    def serving_the_assets() -> bool:
        try:
            nodes = graphql(port, "{ assetNodes { assetKey { path } } }")["assetNodes"]
            return {"twin_state", "daily_summary"} <= {node["assetKey"]["path"][0] for node in nodes}
        except OSError:
            assert process.poll() is None, (home / "dagster-dev.log").read_text()[-3000:]
            return False

    try:
        wait_until(serving_the_assets, "dagster dev serving the assets", timeout=120, every=1)
        yield DagsterDev(port, dev_sources, home)
    finally:
        dev_sources.dispose()

        def stop() -> None:
            stop_process_group(process)
            log.close()

        stop_in_background(stop)


class LocalClient(TestClient):
    """A client of an app as a program on this machine calls it: Host localhost, one of the
    names a keyless API answers (TestClient's own `testserver` is refused, as a rebound name would be)."""

    def __init__(self, app, **options) -> None:
        options.setdefault("base_url", "http://localhost")
        super().__init__(app, **options)
