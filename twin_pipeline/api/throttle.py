"""Guessing keys is slow: a client address that sends 20 wrong keys within a minute gets 429
for the next minute, whatever it sends. The addresses are remembered in bounded caches
(cachetools' TTLCache), so a flood of addresses cannot grow the process."""

from __future__ import annotations

import threading
import time

from cachetools import TTLCache

FAILED_KEYS_A_MINUTE = 20
BLOCK_SECONDS = 60.0
# Addresses remembered at once; past this the oldest are forgotten first.
ADDRESSES = 10_000


class KeyGuessing:
    """Failed keys per client address, and the addresses refused for guessing."""

    def __init__(self, limit: int = FAILED_KEYS_A_MINUTE, block_seconds: float = BLOCK_SECONDS,
                 addresses: int = ADDRESSES, clock=time.monotonic):
        self.limit, self.block_seconds, self._clock = limit, block_seconds, clock
        # address -> (when its minute began, wrong keys in it)
        self._failures: TTLCache = TTLCache(addresses, block_seconds, timer=clock)
        self._blocked: TTLCache = TTLCache(addresses, block_seconds, timer=clock)
        self._lock = threading.Lock()

    def blocked(self, address: str) -> bool:
        with self._lock:
            return address in self._blocked

    def failed(self, address: str, keys: int) -> bool:
        """`keys` wrong keys from `address`; True when that makes it blocked."""
        now = self._clock()
        with self._lock:
            began, count = self._failures.get(address, (now, 0))
            if now - began >= self.block_seconds:
                began, count = now, 0
            count += keys
            if count >= self.limit:
                self._failures.pop(address, None)
                self._blocked[address] = True
                return True
            self._failures[address] = (began, count)
            return False
