"""`twin serve ROLE`: the four long-running services of a deployment, one process tree each.

Dagster's production shape: a gRPC code server holding the twin's definitions; a webserver
and a daemon that load the code location from it (TWIN_CODE_SERVER) through a workspace
file written here; and the read API. Each prepares DAGSTER_HOME like `twin up`, fails runs
left behind by a killed `twin` process, logs to stdout and stops whole on SIGTERM.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

import yaml

from twin_pipeline.database import Database
from twin_pipeline.serve.ghosts import sweep_ghost_runs
from twin_pipeline.serve.supervise import run_supervised
from twin_pipeline.paths import source_names
from twin_pipeline.settings import ConfigurationError, TwinSettings, optional_sources, source_url_variable

LOCATION_NAME = "twin_pipeline"
DEFINITIONS_MODULE = "twin_pipeline.definitions"
DEFAULT_PORTS = {"code-server": 4266, "webserver": 3000}
# The webserver and the daemon only reach Dagster's storage; the code server runs the jobs
# and the API answers from the sources and the store, so they need every database.
STORAGE_ONLY_ROLES = ("webserver", "daemon")


def require_databases(settings: TwinSettings, role: str) -> None:
    """A service never starts an embedded PostgreSQL: inside a container each service would
    get its own, and the roles would not see each other's runs. Raises naming what is missing."""
    if role == "api":
        # The API's own login, or (an install from before it) Dagster's owner's.
        missing = [] if settings.api_dagster_url else ["TWIN_API_DAGSTER_URL"]
    else:
        missing = [] if settings.dagster_url else ["DAGSTER_PG_URL"]
    if role not in STORAGE_ONLY_ROLES:
        missing += [source_url_variable(name) for name in sorted(set(source_names()) - optional_sources())
                    if settings.source_url(name) is None]
        if settings.twin_url is None:
            missing.append("TWIN_DATABASE_URL")
    if missing:
        raise ConfigurationError(
            f"`twin serve {role}` needs {', '.join(missing)}: a service does not start an embedded "
            "PostgreSQL of its own; set the URLs of the databases it shares with the other services"
        )


def _executable(name: str) -> str:
    """A console script installed beside this interpreter (dagster, dagster-webserver, ...)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise ConfigurationError(f"{path} is missing: install the package with its dependencies (dagster-webserver)")
    return str(path)


def write_workspace(dagster_home: Path, settings: TwinSettings) -> Path:
    """A workspace file loading the twin's code location from the code server TWIN_CODE_SERVER names."""
    host, port = settings.code_server_address
    workspace = dagster_home / "workspace-code-server.yaml"
    workspace.write_text(yaml.safe_dump(
        {"load_from": [{"grpc_server": {"host": host, "port": port, "location_name": LOCATION_NAME}}]}
    ))
    return workspace


def role_command(role: str, settings: TwinSettings, args: argparse.Namespace, dagster_home: Path) -> list[str]:
    """The command line of a Dagster role (code-server, webserver, daemon)."""
    if role == "code-server":
        return [
            _executable("dagster"), "api", "grpc", "--module-name", DEFINITIONS_MODULE,
            "--location-name", LOCATION_NAME, "--host", args.host or "127.0.0.1",
            "--port", str(args.port or DEFAULT_PORTS[role]),
        ]
    workspace = str(write_workspace(dagster_home, settings))
    if role == "webserver":
        return [
            _executable("dagster-webserver"), "-w", workspace, "-h", args.host or "127.0.0.1",
            "-p", str(args.port or DEFAULT_PORTS[role]),
        ]
    return [_executable("dagster-daemon"), "run", "-w", workspace]


def serve(settings: TwinSettings, args: argparse.Namespace, dagster_home: Path) -> int:
    """Run a Dagster role in the foreground until it exits or a stop signal arrives."""
    command = role_command(args.role, settings, args, dagster_home)
    where = "" if args.role == "daemon" else f" on {args.host or '127.0.0.1'}:{args.port or DEFAULT_PORTS[args.role]}"
    source = "" if args.role == "code-server" else f", code from {settings.code_server}"
    print(f"twin serve {args.role}{where}{source} (DAGSTER_HOME={dagster_home})", flush=True)
    stop_sweeping = threading.Event()
    if args.role == "daemon":
        # Runs of a killed `twin` command on another host (container) block the serial queue.
        threading.Thread(
            target=sweep_ghost_runs, args=(Database.for_role(settings, "dagster"), stop_sweeping), daemon=True
        ).start()
    try:
        # cwd = DAGSTER_HOME, so Dagster reads its dagster.yaml there and nowhere else.
        return run_supervised(command, cwd=dagster_home, env=os.environ)
    finally:
        stop_sweeping.set()
