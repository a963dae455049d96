"""Run a server as a child process tree that stops whole: SIGTERM, SIGINT or SIGHUP to us
reaches every process under it (webserver, daemon, code servers, run workers), and whatever
is still alive after a grace period is killed, so no orphan keeps a port or schedules runs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# docker stop and systemd wait 10 s before their own SIGKILL; ours comes first, so the
# tree is gone (and the port free) within their window.
GRACE_SECONDS = 5.0


def _signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def run_supervised(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    grace_seconds: float = GRACE_SECONDS,
) -> int:
    """Run `command` in a session of its own and wait for it. A stop signal to this process is
    passed on as SIGTERM to the child's whole process group; after `grace_seconds` the group is
    SIGKILLed. When the child exits by itself, what it left in its group is killed too.
    Returns the child's exit code, or 0 when a stop signal ended it (a requested stop)."""
    stop_requested: list[int] = []

    def stop(signum: int, _frame) -> None:
        stop_requested.append(signum)
        _signal_group(child.pid, signal.SIGTERM)

    child = subprocess.Popen(
        list(command), cwd=cwd, env=None if env is None else dict(env),
        # The tree's logs on our stdout, where a container runtime or systemd collects them.
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    # The child leads its own process group; everything it starts belongs to it.
    group = child.pid
    previous = {signum: signal.signal(signum, stop) for signum in STOP_SIGNALS}
    try:
        while child.poll() is None and not stop_requested:
            time.sleep(0.2)
        deadline = time.monotonic() + grace_seconds
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        # Whatever is left: a server that did not stop in time, children it left behind.
        _signal_group(group, signal.SIGKILL)
        child.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0 if stop_requested else child.returncode
