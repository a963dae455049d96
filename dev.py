#!/usr/bin/env python3
"""The two quick-start commands, from a fresh clone with nothing but Python 3.11:

    python3.11 dev.py up      # virtualenv + packages + embedded PostgreSQL + demo + UI
    python3.11 dev.py test    # the same environment, then the whole test suite (two workers)
    python3.11 dev.py test --fast   # only the pure tests (twin_pipeline_tests/pure/), seconds
    python3.11 dev.py test -p randomly   # the suite in a random order (the modules, and the tests
                                         # in each); add --randomly-seed=N to replay a run's order
    python3.11 dev.py screenshots   # the browser tests, keeping their pictures in docs/ (a test
                                    # run keeps them in its temporary folder)
    python3.11 dev.py test --deploy # only the Docker deployment (twin_pipeline_tests/deploy/), as root

`test` (but --fast) and `screenshots` first install Debian's Chromium and an emoji font with
apt-get when missing (the browser tests drive them). Anything after the command goes to
`twin up` or to pytest.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".twin-install-stamp"
# The commands dev.py takes (the docs' test checks every `dev.py <command>` they name against these).
COMMANDS = ("up", "test", "screenshots")
# What the browser tests drive (no browser download) and the font their screenshots need.
BROWSER_PACKAGES = ("chromium", "fonts-noto-color-emoji")
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")


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


def ensure_browser() -> None:
    """Chromium and the emoji font, installed once with apt-get when missing."""
    if shutil.which("chromium") and EMOJI_FONT.exists():
        return
    wanted = " and ".join(BROWSER_PACKAGES)
    if not shutil.which("apt-get"):
        sys.exit(f"the browser tests need Chromium and the Noto Color Emoji font: install them "
                 f"(Debian's {wanted}), then run this again")
    print(f"installing {wanted} with apt-get (the browser tests' browser, once)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=600", *BROWSER_PACKAGES]):
        done = subprocess.run(step, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            sys.exit(f"`{' '.join(step)}` failed ({last}): install {wanted} as root, then run this again")


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
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
    if "--fast" not in rest and "--deploy" not in rest:
        ensure_browser()
    if command == "screenshots":
        # The tests that take the docs' pictures (conftest marks them: they use `screenshots`).
        rest = ["-m", "screenshot", f"--screenshots-into={ROOT / 'docs'}", *rest]
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
