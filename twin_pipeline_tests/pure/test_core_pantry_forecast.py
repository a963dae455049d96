"""The pantry forecast on crafted rows, pure and fast: every expected value is worked out by
hand in the comment beside it (both Warsaw DST days, leap day, the year's end, a negative
quantity, a category added or deleted inside the window, rows after D)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from twin_pipeline.core.forecasting import implausible_counts
from twin_pipeline.core.pantry.forecast import (
    NEGATIVE_QUANTITY_CHECK,
    pantry_forecasts,
    pantry_history_forecast_reach,
    pantry_history_needed_from,
)
from twin_pipeline.core.pantry.section import PantryItem, PantryVersion
from twin_pipeline_tests.crafted_rows import CAPTURED, WARSAW, chain, days_between, local, pantry_on


def test_consumption_counts_decreases_in_the_window_and_ignores_restocks():
    day = date(2026, 3, 10)  # window 11 Feb 00:00 .. 11 Mar 00:00 local
    coffee = chain(
        "Coffee",
        [
            (local(2026, 1, 1, 0, 0), "10"),
            (local(2026, 2, 10, 12, 0), "9"),  # before the window: the opening quantity
            (local(2026, 2, 15, 8, 0), "7"),  # -2
            (local(2026, 2, 20, 8, 0), "12"),  # a restock: ignored
            (local(2026, 3, 1, 8, 0), "8"),  # -4
            (local(2026, 3, 10, 23, 30), "6"),  # -2, still D in Warsaw (22:30 UTC)
            (local(2026, 3, 11, 0, 30), "2"),  # after D
        ],
    )
    (forecast,) = pantry_on(day, coffee).to_json()["categories"]
    # 8 consumed: 8 / 28 = 0.2857 -> 0.29 a day; 6 left, threshold 1: ceil(5 * 28 / 8) = ceil(17.5)
    # = 18 days -> 28 March.
    assert forecast == {
        "category": "Coffee",
        "consumed_28d": 8.0,
        "consumption_per_day": 0.29,
        "consumption_per_day_reason": None,
        "reaches_threshold_on": "2026-03-28",
        "reaches_threshold_on_reason": None,
    }


@pytest.mark.parametrize(
    "day, inside, outside",
    [
        # Spring forward: 29 Mar 2026 has 23 hours. It ends at 30 Mar 00:00 CEST (29 Mar 22:00 UTC);
        # start + 24 h would reach 30 Mar 01:00 CEST and take the 00:30 change.
        (date(2026, 3, 29), local(2026, 3, 29, 23, 30), local(2026, 3, 30, 0, 30)),
        # Fall back: 25 Oct 2026 has 25 hours. It ends at 26 Oct 00:00 CET (25 Oct 23:00 UTC);
        # start + 24 h would stop at 23:00 CET and miss the 23:30 change.
        (date(2026, 10, 25), local(2026, 10, 25, 23, 30), local(2026, 10, 26, 0, 30)),
        # The window of 25 Apr starts on the 23-hour day, at 29 Mar 00:00 CET (28 Mar 23:00 UTC);
        # end - 28 x 24 h would start at 28 Mar 23:00 CET and take the 23:30 change.
        (date(2026, 4, 25), local(2026, 3, 29, 0, 30), local(2026, 3, 28, 23, 30)),
        # The window of 21 Nov starts on the 25-hour day, at 25 Oct 00:00 CEST (24 Oct 22:00 UTC);
        # end - 28 x 24 h would start at 25 Oct 01:00 CEST and miss the 00:30 change.
        (date(2026, 11, 21), local(2026, 10, 25, 0, 30), local(2026, 10, 24, 23, 30)),
        # Leap year: 10 Mar 2024 - 27 days = 12 Feb (11 Feb in 2023).
        (date(2024, 3, 10), local(2024, 2, 12, 0, 30), local(2024, 2, 11, 23, 30)),
        (date(2023, 3, 10), local(2023, 2, 11, 0, 30), local(2023, 2, 10, 23, 30)),
    ],
)
def test_the_window_is_28_local_days_whatever_their_length(day, inside, outside):
    # 3 consumed inside the window, 5 just outside it.
    changes = sorted([(inside, 3), (outside, 5)])
    quantity, timeline = 100, [(local(day.year - 1, 1, 1, 0, 0), "100")]
    for since, used in changes:
        quantity -= used
        timeline.append((since, str(quantity)))
    (forecast,) = pantry_on(day, chain("Rice", timeline), history_starts=date(day.year - 1, 1, 1)).categories
    # 3 / 28 = 0.107 -> 0.11 a day.
    assert forecast.consumed_28d == 3
    assert forecast.to_json()["consumption_per_day"] == 0.11


@pytest.mark.parametrize(
    "day, reaches",
    [
        # 10 left, threshold 1, 28 used in 28 days: ceil(9 * 28 / 28) = 9 days.
        (date(2024, 2, 20), date(2024, 2, 29)),  # onto the leap day
        (date(2023, 2, 20), date(2023, 3, 1)),  # no leap day
        (date(2026, 12, 31), date(2027, 1, 9)),  # across the year end
    ],
)
def test_the_day_a_category_reaches_its_threshold(day, reaches):
    start = local(day.year, day.month, day.day) - timedelta(days=40)
    timeline = [(start, "38"), (local(day.year, day.month, day.day, 12), "10")]
    (forecast,) = pantry_on(day, chain("Flour", timeline), history_starts=start.date()).categories
    assert forecast.reaches_threshold_on == reaches


def test_pantry_forecast_needs_the_capture_to_cover_the_window():
    versions = chain("Rice", [(local(2026, 2, 11, 10, 0), "5"), (local(2026, 3, 5, 10, 0), "4")])
    # Captured since 11 Feb: 10 Mar needs the quantity at the end of 10 Feb.
    early = pantry_on(date(2026, 3, 10), versions, history_starts=date(2026, 2, 11)).to_json()
    assert early == {
        "window_days": 28,
        "categories": None,
        "categories_reason": "pantry history starts on 2026-02-11; 28 days needed",
    }
    # 11 Mar: the window starts 12 Feb 00:00, after the capture began.
    (rice,) = pantry_on(date(2026, 3, 11), versions, history_starts=date(2026, 2, 11)).categories
    assert rice.consumed_28d == 1
    assert pantry_history_needed_from(date(2026, 3, 11), WARSAW) == local(2026, 2, 12)
    missing = pantry_on(date(2026, 3, 11), versions, history_starts=None).to_json()
    assert missing["categories_reason"] == "pantry history capture not installed; 28 days of it needed"


@pytest.mark.parametrize(
    "timeline, threshold, consumed, reason",
    [
        ([(local(2026, 1, 1), "1")], "1", 0.0, "already at or below the threshold"),
        ([(local(2026, 1, 1), "5")], "1", 0.0, "nothing consumed in 28 days"),
        ([(local(2026, 1, 1), "5"), (local(2026, 3, 1), "3")], None, 2.0, "no critical threshold"),
        ([(local(2026, 1, 1), "5"), (local(2026, 3, 1), None)], "1", 0.0, "quantity unknown"),
    ],
)
def test_reaches_threshold_is_null_with_a_reason(timeline, threshold, consumed, reason):
    (forecast,) = pantry_on(date(2026, 3, 10), chain("Oil", timeline, threshold)).to_json()["categories"]
    assert forecast["consumed_28d"] == consumed
    assert forecast["reaches_threshold_on"] is None
    assert forecast["reaches_threshold_on_reason"] == reason


def test_a_category_added_inside_the_window_or_deleted_before_the_end_of_d():
    added = chain("Tea", [(local(2026, 3, 1, 9, 0), "5"), (local(2026, 3, 5, 9, 0), "4")])
    gone = [PantryVersion(PantryItem("Salt", Decimal(1), "kg", None, Decimal(1)), local(2026, 1, 1), local(2026, 3, 2))]
    (tea,) = pantry_on(date(2026, 3, 10), added + gone).to_json()["categories"]
    assert tea["category"] == "Tea"
    assert tea["consumption_per_day"] is None
    assert tea["consumption_per_day_reason"] == "in the pantry only since 2026-03-01; 28 days needed"


def test_a_negative_quantity_makes_the_category_null_and_is_counted_once():
    beans = chain(
        "Beans", [(local(2026, 1, 1), "5"), (local(2026, 3, 1, 9, 0), "-2.00"), (local(2026, 3, 2, 9, 0), "4")]
    )
    rice = chain("Rice", [(local(2026, 1, 1), "5"), (local(2026, 3, 1, 9, 0), "4")])
    forecasts = pantry_forecasts(days_between(date(2026, 3, 10), date(2026, 3, 15)), beans + rice, CAPTURED, WARSAW)
    beans_forecast, rice_forecast = forecasts[date(2026, 3, 10)].to_json()["categories"]
    assert beans_forecast["consumption_per_day"] is None
    assert beans_forecast["consumption_per_day_reason"] == "negative quantity -2.00 in the window"
    assert rice_forecast["consumed_28d"] == 1.0
    assert implausible_counts(forecasts.values()) == {NEGATIVE_QUANTITY_CHECK: 1}


def test_pantry_rows_after_d_change_nothing():
    day = date(2026, 3, 10)
    timeline = [(local(2026, 1, 1), "10"), (local(2026, 2, 20, 8, 0), "7")]
    later = timeline + [(local(2026, 3, 11, 0, 0), "1"), (local(2026, 3, 12, 8, 0), "0")]
    before = pantry_on(day, chain("Rice", timeline))
    after = pantry_forecasts([day, day + timedelta(days=2)], chain("Rice", later), CAPTURED, WARSAW)[day]
    assert after.to_json() == before.to_json()
    assert before.categories[0].consumed_28d == 3


def test_a_category_deleted_before_the_window_and_added_again_inside_it_is_new():
    day = date(2026, 3, 10)
    old = PantryVersion(PantryItem("Tea", Decimal(9), "kg", None, Decimal(1)), local(2026, 1, 1), local(2026, 1, 20))
    again = chain("Tea", [(local(2026, 2, 20, 9, 0), "5"), (local(2026, 3, 5, 9, 0), "4")])
    # The reader reads the versions alive from the start of D-27 on, so it never sees `old`.
    needed_from = pantry_history_needed_from(day, WARSAW)
    assert old.valid_to < needed_from
    unbounded = pantry_on(day, [old, *again]).to_json()
    assert unbounded == pantry_on(day, again).to_json()
    assert unbounded["categories"][0]["consumption_per_day_reason"] == (
        "in the pantry only since 2026-02-20; 28 days needed"
    )


def test_how_far_a_changed_row_reaches_into_the_forecasts():
    assert pantry_history_forecast_reach(date(2026, 3, 29)) == date(2026, 4, 25)
