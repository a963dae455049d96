"""The Docker deployment for real (`python3.11 dev.py test --deploy`, as root on Debian 12): Docker
from Debian's packages, a private dockerd (its own data root and socket, containers on bridge
networks of its own), python:3.11-slim (pulled, or the stand-in deploy/stand-in-base.sh makes),
the image built with the documented command, and deploy/compose.yaml brought up with an
override (stack.yaml) that adds the person's PostgreSQL, seeded here with the demo."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from twin_pipeline.migrations import migrate
from twin_pipeline.paths import EXAMPLES
from twin_pipeline_tests.conftest import wait_until

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STATE = Path("/var/lib/twin-deploy")  # the private dockerd's images and containers
RUN = Path("/run/twin-deploy")
SOCKET = RUN / "docker.sock"
DOCKER = "/usr/bin/docker"  # Debian's docker.io, the CLI of the daemon it ships
COMPOSE = "/usr/bin/docker-compose"
PROJECT = "twindeploy"
IMAGE = "twin-pipeline:latest"
OWNER_PASSWORD = "owner-" + secrets.token_hex(8)
DEMO_DAYS = 400
SERVICES = ("code-server", "webserver", "daemon", "api")
WEBSERVER, API = 3000, 5677  # as compose.yaml publishes them



def docker_env() -> dict[str, str]:
    """The private dockerd, and Debian's docker CLI first on PATH (for deploy/stand-in-base.sh)."""
    return {**os.environ, "DOCKER_HOST": f"unix://{SOCKET}", "PATH": f"/usr/bin:{os.environ['PATH']}"}


def run(*command: str | Path, check: bool = True, timeout: float = 900, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(c) for c in command], env=kwargs.pop("env", docker_env()), capture_output=True,
                          text=True, timeout=timeout, **kwargs)
    if check:
        assert done.returncode == 0, f"{' '.join(map(str, command))}: {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def docker(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(DOCKER, *args, **kwargs)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


@dataclass
class Timings:
    seconds: dict[str, float]

    def record(self, what: str, began: float) -> None:
        self.seconds[what] = round(time.monotonic() - began, 1)


@pytest.fixture(scope="session")
def timings() -> Iterator[Timings]:
    recorded = Timings({})
    yield recorded
    print(f"\ndeploy layer timings (s): {json.dumps(recorded.seconds)}")


@pytest.fixture(scope="session")
def docker_host(timings) -> Iterator[None]:
    """Docker Engine, compose and debootstrap from Debian's packages, and a private dockerd."""
    if os.geteuid() != 0:
        pytest.fail("the deploy layer installs Docker and runs dockerd: run it as root")
    began = time.monotonic()
    if not all(shutil.which(tool) for tool in ("dockerd", COMPOSE, "debootstrap")) or not Path(DOCKER).exists():
        install = ["apt-get", "install", "-y", "-q", "docker.io", "docker-compose", "debootstrap"]
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if run(*install, check=False, env=apt_env).returncode != 0:
            run("apt-get", "update", "-q", env=apt_env)
            run(*install, env=apt_env)
    timings.record("install docker", began)
    began = time.monotonic()
    daemon = None
    if docker("info", check=False).returncode != 0:
        (STATE / "docker").mkdir(parents=True, exist_ok=True)
        RUN.mkdir(parents=True, exist_ok=True)
        log = open(STATE / "dockerd.log", "a")
        # No iptables rules and no default bridge: the host's firewall is left alone; compose's
        # own bridge networks still connect the containers, and published ports go through
        # docker-proxy.
        daemon = subprocess.Popen(
            ["dockerd", "--iptables=false", "--bridge=none", "--data-root", str(STATE / "docker"),
             "--exec-root", str(RUN / "exec"), "--pidfile", str(RUN / "docker.pid"), "-H", f"unix://{SOCKET}"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        wait_until(lambda: docker("info", check=False).returncode == 0, "dockerd answers", 60,
                   last=lambda: (STATE / "dockerd.log").read_text()[-2000:])
    timings.record("start dockerd", began)
    yield
    if daemon is not None:
        daemon.terminate()
        daemon.wait(60)


@pytest.fixture(scope="session")
def image(docker_host, timings) -> str:
    """The base (pulled or the stand-in), then the image, built with the documented command."""
    began = time.monotonic()
    run(REPO / "deploy" / "stand-in-base.sh")
    timings.record("base image", began)
    began = time.monotonic()
    docker("build", "--network", "host", "-f", "deploy/Dockerfile", "-t", "twin-pipeline", ".", cwd=REPO)
    timings.record("build image", began)
    return IMAGE


CADDY_STAND_IN = """FROM python:3.11-slim
COPY caddy /usr/bin/caddy
RUN mkdir -p /config/caddy /data/caddy /etc/caddy /srv
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
"""


@pytest.fixture(scope="session")
def caddy_image(image, tmp_path_factory, timings) -> str:
    """caddy:2, the tls profile's proxy: pulled when a registry answers, else a stand-in of that
    name laid out as the official image is (the binary in /usr/bin, its data in /data and
    /config, the Caddyfile in /etc/caddy), with Debian 12's caddy (2.6) on the python:3.11-slim
    base, its package only unpacked (installing it would start a system Caddy on port 80)."""
    began = time.monotonic()
    if docker("image", "inspect", "caddy:2", check=False).returncode != 0 and \
            docker("pull", "caddy:2", check=False).returncode != 0:
        folder = tmp_path_factory.mktemp("caddy")
        run("apt-get", "download", "-q", "caddy", cwd=folder, env=os.environ)
        (package,) = folder.glob("caddy_*.deb")
        run("dpkg-deb", "-x", package, folder / "unpacked", env=os.environ)
        shutil.copy(folder / "unpacked" / "usr" / "bin" / "caddy", folder / "caddy")
        docker("build", "-q", "-t", "caddy:2", "-f", "-", str(folder), input=CADDY_STAND_IN)
    timings.record("caddy image", began)
    return "caddy:2"


@dataclass
class Stack:
    directory: Path
    env: dict[str, str]
    key: str
    notes: Path
    pg_port: int

    def compose(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        return run(COMPOSE, "-p", PROJECT, "-f", REPO / "deploy" / "compose.yaml", "-f", HERE / "stack.yaml",
                   "--env-file", self.directory / "deploy.env", *args, check=check, timeout=timeout,
                   env={**docker_env(), "TWIN_TEST_PG_PORT": str(self.pg_port), "TWIN_TEST_OWNER_PASSWORD": OWNER_PASSWORD})

    def container(self, service: str) -> str:
        return self.compose("ps", "-q", service).stdout.strip()

    def inspect(self, service: str) -> dict:
        return json.loads(docker("inspect", self.container(service)).stdout)[0]

    def health(self, service: str) -> str:
        return self.inspect(service)["State"].get("Health", {}).get("Status", "none")

    def owner_url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres:{OWNER_PASSWORD}@127.0.0.1:{self.pg_port}/{database}"

    def wait_healthy(self, timeout: float = 300) -> None:
        def unhealthy() -> dict:
            return {s: self.health(s) for s in SERVICES if self.health(s) != "healthy"}

        wait_until(lambda: not unhealthy(), "every service healthy", timeout, every=2,
                   last=lambda: (unhealthy(), self.compose("logs", "--tail", "30", check=False).stdout[-4000:]))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed(stack: Stack) -> None:
    """The person's databases as "Pointing it at your existing databases" has them: the sources
    (the demo's 400 days), the twin's tables migrated by the owner, the role files (the API's
    in Dagster's storage once the services created it), a database for Dagster owned by the
    dagster login."""
    from twin_pipeline_tests.test_roles import psql

    passwords = {login: secrets.token_hex(12) for login in ("twin_reader", "twin_writer", "twin_api", "dagster")}
    admin = create_engine(stack.owner_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in ("autonomous_finance", "autonomous_training", "autonomous_pantry", "autonomous_health"):
            conn.execute(text(f"CREATE DATABASE {database}"))
        conn.execute(text(f"CREATE ROLE dagster LOGIN PASSWORD '{passwords['dagster']}'"))
        conn.execute(text("CREATE DATABASE dagster OWNER dagster"))
    admin.dispose()
    # The sources' own tables, as the person's other projects created them.
    for database, target in (("autonomous_finance", "finance"), ("autonomous_training", "training"),
                             ("autonomous_pantry", "pantry"), ("autonomous_health", "biometrics")):
        engine = create_engine(stack.owner_url(database))
        migrate(engine, target)
        engine.dispose()
    owner_env = {
        "FINANCE_DATABASE_URL": stack.owner_url("autonomous_finance"),
        "TRAINING_DATABASE_URL": stack.owner_url("autonomous_training"),
        "PANTRY_DATABASE_URL": stack.owner_url("autonomous_pantry"),
        "HEALTH_DATABASE_URL": stack.owner_url("autonomous_health"),
        "TWIN_DATABASE_URL": stack.owner_url("autonomous_finance"),
        "DAGSTER_PG_URL": stack.owner_url("dagster"),
        "TWIN_HOME": str(stack.directory / "owner-home"),
    }
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TWIN_", "DAGSTER_"))}, **owner_env}
    twin = [str(REPO / ".venv" / "bin" / "twin")]
    run(*twin, "demo-data", "--allow-configured-sources", "--days", str(DEMO_DAYS), env=env)
    run(*twin, "db", "migrate", env=env)
    for database in ("autonomous_finance", "autonomous_training", "autonomous_pantry", "autonomous_health"):
        done = psql(stack.owner_url(database), "-f", str(REPO / "sql" / "roles" / "twin_reader.sql"))
        assert done.returncode == 0, done.stderr
    for role_file in ("twin_writer.sql", "twin_api.sql"):
        done = psql(stack.owner_url("autonomous_finance"), "-f", str(REPO / "sql" / "roles" / role_file))
        assert done.returncode == 0, done.stderr
    admin = create_engine(stack.owner_url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for login in ("twin_reader", "twin_writer", "twin_api"):
            conn.execute(text(f"ALTER ROLE {login} PASSWORD '{passwords[login]}'"))
    admin.dispose()
    on_network = "postgres:5432"
    reader = f"twin_reader:{passwords['twin_reader']}@{on_network}"
    stack.env.update(
        FINANCE_DATABASE_URL=f"postgresql://{reader}/autonomous_finance",
        TRAINING_DATABASE_URL=f"postgresql://{reader}/autonomous_training",
        PANTRY_DATABASE_URL=f"postgresql://{reader}/autonomous_pantry",
        HEALTH_DATABASE_URL=f"postgresql://{reader}/autonomous_health",
        TWIN_DATABASE_URL=f"postgresql://twin_writer:{passwords['twin_writer']}@{on_network}/autonomous_finance",
        DAGSTER_PG_URL=f"postgresql://dagster:{passwords['dagster']}@{on_network}/dagster",
        TWIN_API_DATABASE_URL=f"postgresql://twin_api:{passwords['twin_api']}@{on_network}/autonomous_finance",
        TWIN_API_DAGSTER_URL=f"postgresql://twin_api:{passwords['twin_api']}@{on_network}/dagster",
    )


def write_env(stack: Stack) -> None:
    (stack.directory / "deploy.env").write_text("".join(f"{k}={v}\n" for k, v in stack.env.items()))


@pytest.fixture(scope="session")
def stack(image, tmp_path_factory, timings) -> Iterator[Stack]:
    """deploy/compose.yaml with the test override, the person's PostgreSQL seeded, all four
    services healthy; taken down (volumes too) at the end."""
    for port in (WEBSERVER, API):
        if not port_is_free(port):
            pytest.fail(f"port {port} is taken on this host: compose.yaml publishes the webserver on 3000 and the API on 5677")
    directory = tmp_path_factory.mktemp("stack")
    goals, notes = directory / "goals", directory / "notes"
    shutil.copytree(EXAMPLES / "goals", goals)
    notes.mkdir()
    os.chown(notes, 10001, 10001)  # the image's user writes the daily notes
    stack = Stack(directory, {
        "DIGITAL_TWIN_API_KEY": secrets.token_urlsafe(32),
        "TWIN_TIMEZONE": "Europe/Warsaw",
        "TWIN_START_DATE": (date.today() - timedelta(days=DEMO_DAYS - 1)).isoformat(),
        "TWIN_GOALS_DIR": str(goals),
        "TWIN_NOTES_DIR": str(notes),
        "TWIN_SENSOR_INTERVAL_SECONDS": "5",
        # Placeholders until seed() knows the logins' passwords: compose needs them to parse.
        **dict.fromkeys(("FINANCE_DATABASE_URL", "TRAINING_DATABASE_URL", "PANTRY_DATABASE_URL",
                         "DAGSTER_PG_URL", "TWIN_API_DATABASE_URL", "TWIN_API_DAGSTER_URL"),
                        "postgresql://unset@postgres/unset"),
    }, key="", notes=notes, pg_port=free_port())
    stack.key = stack.env["DIGITAL_TWIN_API_KEY"]
    write_env(stack)
    # The person's network, where their PostgreSQL and the API's clients are (stack.yaml gives
    # the PostgreSQL a fixed address on it).
    if docker("network", "inspect", "autonomous-living", check=False).returncode != 0:
        docker("network", "create", "--subnet", "172.30.87.0/24", "autonomous-living")
    try:
        began = time.monotonic()
        stack.compose("down", "--volumes", check=False)  # what an interrupted earlier run left
        stack.compose("up", "-d", "postgres")
        wait_until(lambda: stack.health("postgres") == "healthy", "the person's PostgreSQL healthy", 120, every=1,
                   last=lambda: stack.compose("logs", "postgres", check=False).stdout[-2000:])
        seed(stack)
        write_env(stack)
        timings.record("person's PostgreSQL and demo", began)
        began = time.monotonic()
        stack.compose("up", "-d")
        stack.wait_healthy()
        # Dagster's tables exist now (the services created them): the API may read its heartbeats.
        from twin_pipeline_tests.test_roles import psql

        done = psql(stack.owner_url("dagster"), "-f", str(REPO / "sql" / "roles" / "twin_api.sql"))
        assert done.returncode == 0, done.stderr
        timings.record("stack up, all healthy", began)
        yield stack
    finally:
        stack.compose("down", "--volumes", "--timeout", "10", check=False)
        docker("network", "rm", "autonomous-living", check=False)
