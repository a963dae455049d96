"""Runs a `twin` command executed in its own process (`twin backfill`, `twin snapshot`, `twin up`'s
first runs) and that died with it: marked failed when the next `twin` command or service starts.

Dagster's run monitoring cannot see them: no run launcher started them, so no code server
knows their worker. Each such run carries the tag twin/process = host:pid:process start time;
a run still unfinished whose process is gone from this host is a ghost.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass

import psutil
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.database import Database
from twin_pipeline.sqlfiles import load

PROCESS_TAG = "twin/process"

log = logging.getLogger(__name__)


def _identity(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{int(psutil.Process(pid).create_time())}"


def in_process_tags() -> dict[str, str]:
    """The tag naming this process, for a run it executes itself."""
    return {PROCESS_TAG: _identity(psutil.Process().pid)}


@dataclass(frozen=True)
class Ghost:
    run_id: str
    process: str

    @property
    def reason(self) -> str:
        host, pid, _ = self.process.rsplit(":", 2)
        return (
            f"the process that ran this run in-process (pid {pid} on {host}, a `twin` command) is gone: "
            "it was killed or its machine restarted before the run finished; run the command again "
            "to restate these days"
        )


def _alive(process: str) -> bool:
    """Whether the process named by a twin/process tag still runs; True for another host's,
    which this one cannot see."""
    host, pid, _ = process.rsplit(":", 2)
    if host != socket.gethostname():
        return True
    try:
        return _identity(int(pid)) == process
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def find_ghosts(storage: Database) -> list[Ghost]:
    """Unfinished in-process runs whose process is gone. Empty when Dagster's storage cannot be
    read (unreachable, or not created yet): the command that asked goes on and says its own error."""
    engine = storage.engine()
    try:
        with engine.connect() as conn:
            rows = conn.execute(load("twin_pipeline.serve", "unfinished_in_process_runs"), {"tag": PROCESS_TAG})
            return [Ghost(row.run_id, row.process) for row in rows if not _alive(row.process)]
    except SQLAlchemyError as exc:
        log.debug("no ghost-run check: %s", exc)
        return []


def fail_ghost_runs(storage: Database) -> list[Ghost]:
    """Mark every ghost failed in Dagster's storage (DAGSTER_HOME must be prepared), with its
    reason in the run's log; returns them."""
    ghosts = find_ghosts(storage)
    if not ghosts:
        return []
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        for ghost in ghosts:
            run = instance.get_run_by_id(ghost.run_id)
            if run is not None and not run.is_finished:
                instance.report_run_failed(run, message=ghost.reason)
    return ghosts
