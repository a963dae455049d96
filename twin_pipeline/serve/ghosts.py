"""Runs a `twin` command executed in its own process (`twin backfill`, `twin snapshot`, `twin up`'s
first runs) and that died with it: marked failed when the next `twin` command or service starts,
and by `twin serve daemon` every minute while it runs.

Dagster's run monitoring cannot see them: no run launcher started them, so no code server
knows their worker. Each such run carries the tag twin/process = host:pid:process start time,
and its process holds a PostgreSQL advisory lock named by the run for as long as it runs, in
Dagster's storage. A run still unfinished is a ghost when its process is gone from this host,
or, started on another host (another container: a recreated one has a new host name), when
no session holds its lock any more.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psutil
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.database import Database
from twin_pipeline.sqlfiles import load

PROCESS_TAG = "twin/process"
# How often `twin serve daemon` looks for ghosts: a killed run blocks the twin's serial queue.
SWEEP_SECONDS = 60.0

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


@contextmanager
def holding_run_lock(storage: Database, run_id: str) -> Iterator[None]:
    """Hold run_id's advisory lock in Dagster's storage while the block executes the run."""
    with storage.engine().connect() as conn:
        conn.execute(load("twin_pipeline.serve", "run_lock_hold"), {"run_id": run_id})
        conn.commit()  # the lock is the session's: no transaction stays open beside the run
        try:
            yield
        finally:
            conn.execute(load("twin_pipeline.serve", "run_lock_release"), {"run_id": run_id})
            conn.commit()


def _lock_free(conn: Connection, run_id: str) -> bool:
    free = conn.execute(load("twin_pipeline.serve", "run_lock_probe"), {"run_id": run_id}).scalar_one()
    if free:
        conn.execute(load("twin_pipeline.serve", "run_lock_release"), {"run_id": run_id})
    conn.commit()
    return free


def _alive(conn: Connection, run_id: str, process: str) -> bool:
    """Whether the process named by a twin/process tag still runs: asked of this host's process
    table when it ran here, else of its run lock."""
    host, pid, _ = process.rsplit(":", 2)
    if host != socket.gethostname():
        return not _lock_free(conn, run_id)
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
            rows = conn.execute(load("twin_pipeline.serve", "unfinished_in_process_runs"), {"tag": PROCESS_TAG}).all()
            conn.commit()
            return [Ghost(row.run_id, row.process) for row in rows if not _alive(conn, row.run_id, row.process)]
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


def sweep_ghost_runs(storage: Database, stop: threading.Event, every: float = SWEEP_SECONDS) -> None:
    """Fail ghosts every `every` seconds until `stop` is set, saying each on stdout."""
    while not stop.wait(every):
        try:
            for ghost in fail_ghost_runs(storage):
                print(f"run {ghost.run_id} marked failed: {ghost.reason}", flush=True)
        except Exception as exc:  # Dagster's storage unreachable for a while: the next sweep tries again
            log.warning("ghost-run sweep failed: %s", exc)
