"""The read API in a process of its own, under uvicorn as `twin api` serves it, for the tests that
measure that process (its memory) or stall its databases while it serves:

    python -m twin_pipeline_tests.served_api PORT

The store, the sources (read live for today) and DIGITAL_TWIN_API_KEY come from the environment.
Not `twin api` itself: the tests here judge the app and its server, not the command's checks.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from twin_pipeline_tests.conftest import wait_until


@dataclass(frozen=True)
class ServedApi:
    port: int
    pid: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def kib(self, field: str) -> int:
        """A figure of the process's /proc status in KiB: VmRSS (resident now), VmHWM (its peak)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
        raise LookupError(f"no {field} in /proc/{self.pid}/status")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served_api(env: dict[str, str], log: Path) -> Iterator[ServedApi]:
    """The API serving on a free loopback port until the block ends."""
    port = free_port()
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-m", "twin_pipeline_tests.served_api", str(port)],
                                   env={**os.environ, **env}, stdout=output, stderr=subprocess.STDOUT)
        try:
            def live() -> bool:
                assert process.poll() is None, log.read_text()[-3000:]
                try:
                    return urllib.request.urlopen(f"http://127.0.0.1:{port}/health/live", timeout=1).status == 200
                except OSError:
                    return False

            wait_until(live, "the API process answering /health/live", timeout=60, every=0.1)
            yield ServedApi(port, process.pid)
        finally:
            process.terminate()
            process.wait(10)


def main() -> None:
    import uvicorn

    from twin_pipeline.api import create_app
    from twin_pipeline.api.freshness import LiveToday
    from twin_pipeline.database import Database
    from twin_pipeline.reader import TwinReader
    from twin_pipeline.settings import TwinSettings
    from twin_pipeline.sources import SOURCES

    settings = TwinSettings.from_env()
    probes = {f"{role}_database": Database.for_role(settings, role).engine()
              for role in SOURCES if settings.source_configured(role)}
    app = create_app(TwinReader(settings=settings), token=settings.api_key, probes=probes, live=LiveToday(settings))
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
