"""The run launcher of the twin's Dagster instance: Dagster's default one (runs start in the
code server over gRPC), plus a worker health check, so run monitoring notices a dead run.

Stock DefaultRunLauncher says it cannot check a worker, so the monitoring daemon leaves a
STARTED run alone however long its worker has been dead. The code server itself fails a
run whose worker process exits while it keeps running, but not the runs it was running
when it was itself killed or restarted. Here the daemon asks the code server that launched
the run (its address is in the run's tags) whether the run is still executing there.

Private use: the health-check types (`dagster._core.launcher.base`), the run's gRPC address
tag, Dagster's gRPC client and its cancel-probe request, and its serdes. Fallback, should
any of them move: the stock launcher (no worker check; a run whose code server died is then
failed by run monitoring's start timeout or by hand), and a warning saying so.
"""

from __future__ import annotations

import json
import logging

from dagster import DagsterRun, DefaultRunLauncher

try:
    from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus
    from dagster._core.storage.tags import GRPC_INFO_TAG
    from dagster._grpc.client import DagsterGrpcClient
    from dagster._grpc.types import CanCancelExecutionRequest, CanCancelExecutionResult
    from dagster._serdes import deserialize_value

    WORKER_CHECK = True
except ImportError:  # Dagster's internals moved: the stock launcher, said once
    WORKER_CHECK = False
    logging.getLogger(__name__).warning(
        "Dagster's run-launcher internals changed: runs whose code server died are not noticed "
        "by run monitoring until its start timeout (twin_pipeline/internals/run_launcher.py)"
    )


class TwinRunLauncher(DefaultRunLauncher):
    """DefaultRunLauncher whose runs' workers the monitoring daemon can check."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return WORKER_CHECK

    def check_run_worker_health(self, run: DagsterRun):
        if not WORKER_CHECK:
            return super().check_run_worker_health(run)
        info = run.tags.get(GRPC_INFO_TAG)
        if info is None:
            # Not started through a code server (executed in a `twin` process): see serve/ghosts.py.
            return CheckRunHealthResult(WorkerStatus.RUNNING, "not launched through a code server")
        address = json.loads(info)
        client = DagsterGrpcClient(
            port=address.get("port"), socket=address.get("socket"), host=address.get("host"),
            use_ssl=bool(address.get("use_ssl", False)),
        )
        where = f"{address.get('host')}:{address.get('port') or address.get('socket')}"
        try:
            answer = deserialize_value(
                client.can_cancel_execution(CanCancelExecutionRequest(run_id=run.run_id), timeout=10),
                CanCancelExecutionResult,
            )
        except Exception as exc:  # the code server is down or restarting: ask again next round
            return CheckRunHealthResult(
                WorkerStatus.RUNNING, f"code server {where} did not answer ({type(exc).__name__})"
            )
        if answer.can_cancel:
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"the code server {where} is not running this run: its worker process died "
            "(killed, out of memory, or the code server restarted)",
        )
