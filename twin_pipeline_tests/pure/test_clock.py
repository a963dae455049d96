"""The tests' clock reaches every `today` of the package, and only while it is frozen."""

from datetime import UTC, datetime

import pytest

from twin_pipeline.defs.resources import TwinConfig
from twin_pipeline.settings import TwinSettings, today_in
from twin_pipeline_tests.clock import MOMENTS, clock


@pytest.mark.parametrize("name", [name for name in MOMENTS if name != "now"])
def test_every_today_of_the_package_reads_the_frozen_clock(name, tmp_path):
    frozen = clock(name)
    settings = TwinSettings.from_env({"TWIN_HOME": str(tmp_path)})
    with frozen.frozen() as day:
        assert settings.today() == day
        assert TwinConfig.from_settings(settings).today() == day
        # The same moment is another day elsewhere: the zone decides, not the machine.
        assert today_in("UTC") == frozen.moment.astimezone(UTC).date()
    assert settings.today() == datetime.now(UTC).astimezone(frozen.moment.tzinfo).date()


def test_early_moments_are_the_day_before_in_utc():
    # What makes them edges: a `date.today()` on a UTC machine would be a day off.
    assert clock("first-of-month").moment.astimezone(UTC).date().isoformat() == "2026-10-31"
    assert clock("leap-february-end").moment.astimezone(UTC).date().isoformat() == "2024-02-28"
