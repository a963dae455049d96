"""Fast tests of the status text: exact lines for crafted day states, markup kept literal. No database."""

from twin_pipeline.core.summary import format_money, literal, render_summary

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
