"""Fast tests of the status text: exact lines for crafted day states, markup kept literal, and the
forecast line over forecasts of crafted rows. No database."""

from datetime import date
from decimal import Decimal

import pytest

from twin_pipeline.core.finance.section import Budget
from twin_pipeline.core.summary import forecast_line, format_money, literal, render_summary
from twin_pipeline_tests.crafted_rows import STEADY, chain, expense, finance_on, groceries, income, local, pantry_on

HEALTH = {
    "status": "ok", "error": None, "workouts_last_7_days": 2,
    "body_composition": {"bodyweight_kg": 81.34, "weight_trend": "LOSING"},
}
FINANCE = {
    "status": "ok", "error": None, "currency": "PLN", "mtd_net": 2450.0, "active_budget_alerts": 3,
    "alerts": [
        {"alert_id": "B1", "category_path": "*Snacks* <b>"},
        {"alert_id": "B-2", "category_path": None},
        {"alert_id": "B3", "category_path": "Food > Eating Out"},
    ],
}
PANTRY = {
    "status": "ok", "error": None, "low_stock_count": 5,
    "low_stock": ["Eggs", "Rice_white", "[Oats]", "Milk", "Tea"],
    "expiring_soon_count": 2, "expired_count": 1,
}


def test_the_whole_text_of_a_crafted_day():
    text = render_summary("2026-03-05", {"health": HEALTH, "finance": FINANCE, "pantry": PANTRY})
    assert text == "\n".join([
        "📊 AUTONOMOUS LIVING STATUS · 2026-03-05",
        "💪 Health: 2/3 workouts this week · 81.3 kg, losing",
        # Two alert names shown, the third counted; an alert without a path shows its id.
        "💰 Finance: +2,450.00 PLN MTD · 3 budget alerts (\\*Snacks\\* \\<b>, B-2 +1)",
        "🛒 Pantry: 5 items low stock (Eggs, Rice\\_white, \\[Oats\\] +2) · 2 expiring soon · 1 expired",
    ])


def test_singulars_zeroes_and_the_weekly_target():
    health = {"status": "ok", "workouts_last_7_days": 1, "body_composition": {"bodyweight_kg": 80.0, "weight_trend": None}}
    finance = {"status": "ok", "currency": "PLN", "mtd_net": -312.4, "active_budget_alerts": 1,
               "alerts": [{"alert_id": "B1", "category_path": "Transport > Fuel"}]}
    pantry = {"status": "ok", "low_stock_count": 0, "low_stock": [], "expiring_soon_count": 0, "expired_count": 0}
    lines = render_summary("2026-03-05", {"health": health, "finance": finance, "pantry": pantry},
                           weekly_workout_target=4).splitlines()
    assert lines[1:] == [
        "💪 Health: 1/4 workouts this week · 80.0 kg",
        "💰 Finance: -312.40 PLN MTD · 1 budget alert (Transport > Fuel)",
        "🛒 Pantry: 0 items low stock",
    ]


def test_several_currencies_put_the_primary_first():
    finance = {**FINANCE, "active_budget_alerts": 0, "alerts": [],
               "by_currency": {"EUR": {"mtd_net": -10.1}, "PLN": {"mtd_net": 1234567.5}, "USD": {"mtd_net": 0}}}
    line = render_summary("2026-03-05", {"finance": finance}).splitlines()[2]
    assert line == "💰 Finance: +1,234,567.50 PLN, -10.10 EUR, +0.00 USD MTD"


def test_unavailable_sections_say_why_and_degraded_ones_add_a_note():
    health = {**HEALTH, "status": "degraded", "error": "no body measurement on or before 2026-03-05",
              "body_composition": None}
    pantry = {"status": "unavailable", "error": "pantry database unreachable at db:5432"}
    lines = render_summary("2026-03-05", {"health": health, "pantry": pantry}).splitlines()
    assert lines[1:] == [
        "💪 Health: 2/3 workouts this week",
        "⚠️ Finance: unavailable (no state for this day)",
        "⚠️ Pantry: unavailable (pantry database unreachable at db:5432)",
        "ℹ️ health: no body measurement on or before 2026-03-05",
    ]
    no_reason = render_summary("2026-03-05", {"finance": {"status": "unavailable", "error": None}})
    assert "⚠️ Finance: unavailable (no reason given)" in no_reason.splitlines()


def test_the_home_line_only_when_given_and_before_the_notes():
    degraded_finance = {**FINANCE, "status": "degraded", "error": "EUR rows without a rate"}
    states = {"health": HEALTH, "finance": degraded_finance, "pantry": PANTRY}
    without = render_summary("2026-03-05", states)
    assert "🏠" not in without
    home = {
        "environmental_data": {"temperature_c": 21.46, "humidity_pct": 44.6},
        "device_inventory": [{"state": "on"}, {"state": "unavailable"}, {"state": "unknown"}],
        "operational_status": "Degraded",
    }
    lines = render_summary("2026-03-05", states, home=home).splitlines()
    assert lines[4:] == [
        "🏠 Home: 21.5 °C · 45 % humidity · Degraded (2 of 3 devices not reporting)",
        "ℹ️ finance: EUR rows without a rate",
    ]
    bare = render_summary("2026-03-05", states, home={}).splitlines()[4]
    assert bare == "🏠 Home: unknown"


def test_literal_escapes_every_markup_character_and_nothing_else():
    assert literal("*Snacks* <b>") == "\\*Snacks\\* \\<b>"
    assert literal("a\\b `c` _d_ [e](f) ~g~ #h |i| &j; !k {l}") == (
        "a\\\\b \\`c\\` \\_d\\_ \\[e\\]\\(f\\) \\~g\\~ \\#h \\|i\\| \\&j; \\!k \\{l\\}")
    assert literal("Ryż > kasza: 2-3 kg.") == "Ryż > kasza: 2-3 kg."


def test_money_has_a_sign_thousands_separators_and_two_decimals():
    assert format_money(2450, "PLN") == "+2,450.00 PLN"
    assert format_money(-1234567.891, "EUR") == "-1,234,567.89 EUR"
    assert format_money(0, "PLN") == "+0.00 PLN"


# The forecast line


def test_format_money_in_whole_units_rounds_half_away_from_zero():
    assert format_money(1980.5, "PLN", places=0) == "+1,981 PLN"
    assert format_money(-1980.5, "PLN", places=0) == "-1,981 PLN"
    assert format_money(2450.0, "PLN") == "+2,450.00 PLN"
    assert format_money(-312.4, "PLN") == "-312.40 PLN"


def states_for(day: date, *, pantry_category: str = "Coffee") -> dict:
    finance = {
        "as_of": day.isoformat(),
        "status": "ok",
        "error": None,
        "currency": "PLN",
        "mtd_net": 1200.0,
        "active_budget_alerts": 0,
        "alerts": [],
    }
    finance["forecast"] = finance_on(
        day,
        STEADY + [income(date(2026, 2, 25), "5080"), expense(date(2026, 3, 2), "900", category=7)],
        [groceries(2026, 3, "1000"), Budget("b-rent", 2026, 3, 9, "Home > Rent", Decimal("100"), 80, None)],
    ).to_json()
    coffee = chain(pantry_category, [(local(2026, 1, 1), "20"), (local(2026, 2, 20), "10")])
    pantry = {
        "as_of": day.isoformat(),
        "status": "ok",
        "error": None,
        "low_stock_count": 0,
        "low_stock": [],
        "expiring_soon_count": 0,
        "expired_count": 0,
        "forecast": pantry_on(day, coffee).to_json(),
    }
    health = {"as_of": day.isoformat(), "status": "ok", "error": None, "workouts_last_7_days": 2}
    return {"finance": finance, "pantry": pantry, "health": health}


def test_forecast_line_shows_the_month_end_the_first_budget_and_the_first_item_running_low():
    day = date(2026, 3, 10)
    states = states_for(day, pantry_category="*Coffee* <b>")
    # Month end: 5,080 - (1,900 + 3,900 * 21 / 30 = 4,630) = 450. Groceries: 900 in 10 days,
    # 1,000 at day ceil(11.1) = 12; Rent: nothing spent, lasts. Coffee: 10 used, 10 left:
    # ceil(9 * 28 / 10) = ceil(25.2) = 26 days, beyond the 14 shown.
    assert forecast_line(states) == "📈 Month end +450 PLN · Groceries over by the 12th"
    # Bought less coffee: 5 left after the same 10 used: ceil(4 * 28 / 10) = 12 days.
    low = chain("*Coffee* <b>", [(local(2026, 1, 1), "15"), (local(2026, 2, 20), "5")])
    states["pantry"]["forecast"] = pantry_on(day, low).to_json()
    assert forecast_line(states) == (
        "📈 Month end +450 PLN · Groceries over by the 12th · \\*Coffee\\* \\<b> low in 12 days"
    )
    # With its 80 % range (whole units, signed, half away from zero).
    states["finance"]["forecast"]["month_end_net_range"] = {"low": -899.5, "high": 400.49, "level_pct": 80, "errors": 40}
    assert forecast_line(states).startswith("📈 Month end +450 PLN (80 %: -900 to +400) · Groceries")


@pytest.mark.parametrize(
    "day_of_month, ordinal",
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"),
     (21, "21st"), (22, "22nd"), (23, "23rd"), (27, "27th"), (31, "31st")],
)
def test_forecast_line_ordinals(day_of_month, ordinal):
    budget = {"budget_id": "b", "category_path": "Food > Groceries", "status": "runs_out",
              "runs_out_on": f"2026-03-{day_of_month:02d}"}
    states = {"finance": {"forecast": {"month_end_net_projected": None, "currency": "PLN", "budgets": [budget]}}}
    assert forecast_line(states) == f"📈 Groceries over by the {ordinal}"


def test_forecast_line_is_none_without_forecasts_and_the_summary_is_unchanged_by_default():
    assert forecast_line({"finance": {"status": "unavailable"}, "pantry": None}) is None
    day = date(2026, 3, 10)
    states = states_for(day)
    plain = {name: {k: v for k, v in doc.items() if k not in ("forecast", "trends")} for name, doc in states.items()}
    today = render_summary(day.isoformat(), plain)
    assert render_summary(day.isoformat(), states) == today
    with_line = render_summary(day.isoformat(), states, forecasts=True).split("\n")
    assert with_line[:4] == today.split("\n")[:4]
    assert with_line[4] == "📈 Month end +450 PLN · Groceries over by the 12th"
