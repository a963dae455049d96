#!/usr/bin/env python3
"""The two quick-start commands, from a fresh clone with nothing but Python 3.11:

    python3.11 dev.py up      # virtualenv + packages + embedded PostgreSQL + demo + UI
    python3.11 dev.py test    # the same environment, then the whole test suite (two workers)
    python3.11 dev.py test --fast   # only the pure tests (twin_pipeline_tests/pure/), seconds
    python3.11 dev.py test --deploy # only the Docker deployment (twin_pipeline_tests/deploy/), as root

Anything after the command goes to `twin up` or to pytest.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".twin-install-stamp"


def ensure_environment() -> None:
    if sys.version_info[:2] != (3, 11):
        sys.exit(f"twin-pipeline needs Python 3.11 (this is {sys.version.split()[0]}); run it with python3.11")
    if not (BIN / "python").exists():
        print(f"creating virtualenv {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing packages (pinned by constraints.txt)", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[test]"],
        check=True,
    )
    STAMP.write_text(wanted)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("up", "test"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    ensure_environment()
    if command == "up":
        if os.name == "nt":
            return subprocess.call([str(BIN / "twin"), "up", *rest], cwd=ROOT)
        # dev.py becomes `twin up`, so a process manager's SIGTERM (or Ctrl-C) reaches it and
        # it stops its whole tree; a parent left waiting would exit alone and orphan the tree.
        os.chdir(ROOT)
        os.execv(BIN / "twin", [str(BIN / "twin"), "up", *rest])
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *_workers(rest), *rest], cwd=ROOT)


def _workers(args: list[str]) -> list[str]:
    """Two pytest-xdist workers sharing out the units of conftest's `work_unit` (a module, whose
    tests share databases, or a date-sensitive module at one clock), the longest first; unless
    the caller chose (-n, --dist) or runs only the pure tests, which one process runs faster,
    or the deployment's, which share one Docker stack."""
    chosen = any(arg.startswith(("-n", "--numprocesses", "--dist")) for arg in args)
    return [] if chosen or "--fast" in args or "--deploy" in args else ["-n", "2", "--dist", "loadscope"]


if __name__ == "__main__":
    sys.exit(main())
