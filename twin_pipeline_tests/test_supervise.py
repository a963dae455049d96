"""A supervised process tree stops whole: SIGTERM, SIGINT or SIGHUP to the parent leaves no
process behind and no port held (a toy tree that ignores SIGTERM, then the real `twin up`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from twin_pipeline_tests.conftest import create_sources, wait_until

DEV_PY = Path(__file__).resolve().parents[1] / "dev.py"

# A server that ignores SIGTERM and holds a port, under a parent that ignores it too.
TREE = """
import signal, socket, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
server = socket.socket(); server.bind(("127.0.0.1", int(sys.argv[1]))); server.listen()
subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"])
print("ready", flush=True)
time.sleep(600)
"""
SUPERVISOR = """
import sys
from twin_pipeline.serve.supervise import run_supervised
sys.exit(run_supervised([sys.executable, "-c", sys.argv[1], sys.argv[2]], grace_seconds=2))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    """No process listens there: a new server could bind it (as servers do, with SO_REUSEADDR,
    which passes over the closed connections still in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def stop_and_check(parent: subprocess.Popen, signum: int, port: int, within: float) -> None:
    tree = psutil.Process(parent.pid).children(recursive=True)
    assert tree, "the supervisor started nothing"
    began = time.monotonic()
    parent.send_signal(signum)
    parent.wait(within)
    gone, alive = psutil.wait_procs(tree, timeout=max(0.1, within - (time.monotonic() - began)))
    assert alive == [], [p.cmdline() for p in alive]
    assert time.monotonic() - began < within
    assert port_is_free(port)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_to_the_supervisor_stops_a_tree_that_ignores_sigterm(signum):
    port = free_port()
    parent = subprocess.Popen([sys.executable, "-c", SUPERVISOR, TREE, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        assert not port_is_free(port)
        stop_and_check(parent, signum, port, within=5)
        assert parent.returncode == 0  # a requested stop
    finally:
        parent.kill()


@pytest.mark.parametrize("door", ["twin", "dev.py"])
def test_sigterm_to_twin_up_stops_the_webserver_the_daemon_and_the_code_server(pg_server, tmp_path, door):
    """What `docker stop` and systemd do; before, `twin up` exited and its servers stayed on,
    and `python3.11 dev.py up` exited alone, leaving `twin up` and its tree behind."""
    name = "supervise_up" if door == "twin" else "supervise_dev_up"
    sources = create_sources(pg_server, name, tmp_path / ".twin")
    pg_server.ensure_databases([f"{name}_dagster"])
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "TWIN_"))}
    env.update(TWIN_HOME=str(tmp_path / ".twin"), DAGSTER_PG_URL=pg_server.url(f"{name}_dagster"),
               FINANCE_DATABASE_URL=sources.finance_url, TRAINING_DATABASE_URL=sources.training_url,
               PANTRY_DATABASE_URL=sources.pantry_url)
    log = tmp_path / "up.log"
    command = [sys.executable, "-m", "twin_pipeline.cli"] if door == "twin" else [sys.executable, str(DEV_PY)]
    parent = subprocess.Popen([*command, "up", "--days", "2", "--port", str(port)],
                              env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    def serving() -> bool:
        assert parent.poll() is None, log.read_text()[-3000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5)
            return True
        except OSError:
            return False

    try:
        wait_until(serving, "twin up's UI serving", timeout=180, every=1)
        # The daemon is up too (dg dev starts it beside the webserver and the code server).
        wait_until(lambda: any("daemon" in " ".join(p.cmdline()) for p in psutil.Process(parent.pid).children(recursive=True)),
                   "twin up's daemon started", timeout=60)
        tree = psutil.Process(parent.pid).children(recursive=True)
        stop_and_check(parent, signal.SIGTERM, port, within=10)
    finally:
        # On a failure, nothing of the tree may outlive the test.
        parent.kill()  # a no-op once it has exited
        for process in locals().get("tree", []):
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        sources.dispose()
