"""When each API key was last used, and from which client address (`twin keys list`, the
monthly audit), kept in the twin store's twin_api_key_use: a key's use is written at most once a
minute, by a thread of its own, so a request never waits for the store and a busy client costs
one upsert a minute."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.store.key_uses import record_key_uses
from twin_pipeline.api.keys import Caller
from twin_pipeline.api.log_fields import api_logger

WRITE_EVERY_SECONDS = 60.0
MAX_ADDRESS = 64  # an IPv6 address with its zone fits; the column holds no more

use_log = api_logger("twin_pipeline.api.key_use")


class KeyUse:
    """Uses of the keys, on their way into the twin store (a login that may write them: twin_api)."""

    def __init__(self, engine: Engine, every_seconds: float = WRITE_EVERY_SECONDS):
        self._engine, self._every = engine, every_seconds
        self._written: dict[str, float] = {}  # name -> when its use was last queued (monotonic)
        self._pending: dict[str, tuple[str, datetime, str]] = {}
        self._busy = False
        self._change = threading.Condition()
        threading.Thread(target=self._run, name="twin-api-key-use", daemon=True).start()

    def seen(self, caller: Caller, address: str) -> None:
        """A request with this key from `address`; queued when its last write is a minute old."""
        now = time.monotonic()
        last = self._written.get(caller.name)
        if last is not None and now - last < self._every:
            return
        self._written[caller.name] = now
        with self._change:
            self._pending[caller.name] = (caller.tier, datetime.now(UTC), address[:MAX_ADDRESS])
            self._change.notify_all()

    def wait_written(self, timeout: float = 10.0) -> bool:
        """Until every queued use is written (or failed, logged); False after `timeout`."""
        with self._change:
            return self._change.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._change:
                self._change.wait_for(lambda: bool(self._pending))
                pending, self._pending, self._busy = self._pending, {}, True
            try:
                with self._engine.begin() as conn:
                    record_key_uses(conn, [(name, *use) for name, use in pending.items()])
            except SQLAlchemyError as exc:
                # The audit loses a minute of uses; the API answers on.
                use_log.warning("last use of %s not recorded in the twin store (%s): run `twin db migrate` "
                                "and apply sql/roles/twin_api.sql as the store's owner", ", ".join(pending),
                                str(exc).splitlines()[0])
            finally:
                with self._change:
                    self._busy = False
                    self._change.notify_all()
