"""The package installs anywhere: a wheel built from the repository carries its SQL, examples
and dagster.yaml, and `twin snapshot` works from a fresh virtualenv outside the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_a_wheel_installed_outside_the_repository_runs_twin_snapshot(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)])
    (wheel,) = wheels.glob("twin_pipeline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "twin_pipeline/dagster.yaml",
        "twin_pipeline/dg.toml",
        "twin_pipeline/store/sql/migrations/001_digital_twin_updates.sql",
        "twin_pipeline/sources/finance/sql/daily_flows.sql",
        "twin_pipeline/sources/pantry/sql/history_capture/001_capture.sql",
        "twin_pipeline/examples/goals/G04_Digital-Twin-Ecosystem.md",
        "twin_pipeline/examples/home_assistant_states.json",
        "twin_pipeline/workspace.yaml",
        "twin_pipeline/api/static/dashboard.html",
        "twin_pipeline/api/static/vendor/uplot/LICENSE",
    ):
        assert shipped in names, f"{shipped} is not in the wheel"

    # A fresh virtualenv in a directory outside the repository. Its dependencies come from the
    # suite's own environment (a .pth line), so the test needs no network and minutes of
    # installing; the package itself is only the wheel.
    elsewhere = tmp_path / "elsewhere"
    venv.EnvBuilder(with_pip=True).create(elsewhere / "venv")
    python = elsewhere / "venv" / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    ours = Path(_run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "twin-suite-dependencies.pth").write_text(f"{ours}\n")
    _run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)])

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWIN_", "DAGSTER_", "PYTHONPATH"))}
    env.update(TWIN_HOME=str(elsewhere / "home"))
    where = _run([str(python), "-c", "import twin_pipeline; print(twin_pipeline.__file__)"], cwd=elsewhere, env=env)
    assert str(site) in where.stdout, f"twin_pipeline imported from {where.stdout} instead of the wheel"

    # The embedded demo reads the example goals the package ships.
    goals = _run([str(python), "-c", "from twin_pipeline.settings import current_settings as s; print(s().goals_dir)"],
                 cwd=elsewhere, env=env).stdout.strip()
    assert goals.startswith(str(site)) and any(Path(goals).glob("*.md")), goals

    twin = str(elsewhere / "venv" / "bin" / "twin")
    _run([twin, "demo-data", "--days", "40", "--seed", "3"], cwd=elsewhere, env=env)
    snapshot = _run([twin, "snapshot"], cwd=elsewhere, env=env)
    try:
        assert "📊 AUTONOMOUS LIVING STATUS" in snapshot.stdout
        assert "💰 Finance:" in snapshot.stdout and "unavailable" not in snapshot.stdout
        assert "warning" not in snapshot.stderr.lower(), snapshot.stderr
    finally:
        subprocess.run([twin, "db", "stop"], cwd=elsewhere, env=env, capture_output=True, timeout=120)
