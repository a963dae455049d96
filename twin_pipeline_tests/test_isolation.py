"""The suite on a developer's machine: nothing of the caller's configuration reaches it. A
pytest session started with every variable the settings could read set (to a value that
would change them or make them fail) must see the settings of a clean environment."""

import os
import re
import subprocess
import sys
from pathlib import Path

import twin_pipeline
from twin_pipeline.settings import environment_variables

PACKAGE = Path(twin_pipeline.__file__).resolve().parent
# A name spelled like an environment variable (TWIN_HOME, HEALTH_DATABASE_URL, ...).
VARIABLE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
SEEN_BY_THE_SUITE = '''
from twin_pipeline.settings import TwinSettings
from twin_pipeline_tests.conftest import settings_for_tests


def test_the_settings_are_those_of_a_clean_environment():
    assert TwinSettings.from_env() == settings_for_tests()
'''


def named_variables() -> set[str]:
    """Every variable the settings read, and every name like one in the settings' code and
    the sources' declarations (so a variable read there but left out of the derived list
    is set too, and shows)."""
    texts = [PACKAGE / "settings.py", *PACKAGE.rglob("source.toml")]
    return set(environment_variables()) | {name for path in texts for name in VARIABLE.findall(path.read_text())}


def test_every_variable_the_settings_read_is_cleared_before_the_suite(tmp_path):
    variables = named_variables()
    assert {"HEALTH_DATABASE_URL", "FINANCE_DATABASE_URL", "DIGITAL_TWIN_API_KEY", "TWIN_TIMEZONE"} <= variables
    (tmp_path / "test_seen.py").write_text(SEEN_BY_THE_SUITE)
    env = {**os.environ, **{name: "set-by-the-caller" for name in variables}}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "twin_pipeline_tests.conftest", "-p", "no:cacheprovider",
         "-p", "no:randomly", f"--basetemp={tmp_path / 'session'}", "test_seen.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
